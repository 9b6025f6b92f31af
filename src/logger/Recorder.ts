import type { StepStatus } from '../entities';
import type { Tracing } from '../otel/Tracing';
import type { BatchWriter } from '../writer/BatchWriter';
import { executionContext, type ExecutionContext, type ExecutionState } from './context';
import type { ErrorReporter } from './ErrorReporter';
import type { ExecutionLogger } from './ExecutionLogger';
import { InFlight } from './InFlight';
import { invoke, likeSite, type Method, type PromiseSite } from './invoke';
import { Records, type RecorderSettings } from './Records';
import type { ReuseNodeParams, SkipNodeParams, StartExecutionParams, StartNodeParams } from './recordParams';
import type { ExecutionOrigin, NodeSite, WorkflowSite } from './sites';
import { isUnrecorded } from './unrecorded';

interface OpenRow {
  startedAt: number;
}

/**
 * Records executions and steps: decides whether a call is recorded and when its caller waits,
 * for room in a full queue while the database answers (backpressure), and in strict mode for
 * each record to be persisted. The rows themselves are built and queued by {@link Records}.
 *
 * Every decorated call that is recorded goes through {@link runWorkflow} or {@link runNode}: the
 * hot path, where nothing is allocated or looked up that the record does not need.
 */
export class Recorder {
  // The records' settings the hot path reads before calling into them (capture off skips the option function).
  private readonly captureInputs: boolean;
  private readonly captureOutputs: boolean;
  private readonly strict: boolean;
  private readonly records: Records;
  private readonly inFlight: InFlight;
  private readonly openExecutions = new Map<string, ExecutionState>();
  private readonly openSteps = new Map<string, OpenRow>();
  private accepting = true;

  constructor(
    /** Named by the contexts the recorder opens; its switch says whether to record at all. */
    private readonly logger: ExecutionLogger,
    private readonly writer: BatchWriter,
    private readonly reporter: ErrorReporter,
    settings: RecorderSettings,
    /** For the records: reads the span active as a row starts, and starts spans of its own with `otel.spans`. */
    tracing: Tracing,
    /** Called when {@link running} leaves or reaches 0: after shutdown, the logger records steps only while it is not. */
    runningChanged: () => void,
  ) {
    this.inFlight = new InFlight(runningChanged);
    this.records = new Records(logger, writer, reporter, settings, tracing, this.inFlight);
    this.captureInputs = settings.captureInputs;
    this.captureOutputs = settings.captureOutputs;
    this.strict = settings.durability === 'strict';
  }

  /**
   * Shutdown has begun: executions started from now on run unrecorded, except those started
   * inside an execution being recorded (a child workflow), whose steps would otherwise be
   * recorded as the parent's.
   */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Resolves true once no execution is being recorded, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    return this.inFlight.drained(timeoutMs);
  }

  /** Executions started and not finished. */
  get running(): number {
    return this.inFlight.count;
  }

  private acceptsExecution(): boolean {
    return this.accepting || executionContext.getStore()?.logger === this.logger;
  }

  /** Executions and steps started so far, and tags dropped for not fitting the limits. */
  stats(): { executionsStarted: number; stepsStarted: number; tagsDropped: number } {
    return this.records.stats();
  }

  // ── Imperative lifecycle (for runners that cannot use the decorators) ────────────────────────

  async startExecution(params: StartExecutionParams): Promise<string> {
    if (!this.logger.enabled || !this.acceptsExecution() || isUnrecorded()) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const parent = executionContext.getStore();
    const execution = this.records.openExecution(params, parent);
    this.openExecutions.set(execution.id, execution);
    await this.records.waitAfterWrite();
    return execution.id;
  }

  async completeExecution(executionId: string, success: boolean, error?: unknown): Promise<void> {
    const execution = this.openExecutions.get(executionId);
    if (!execution) return;
    this.openExecutions.delete(executionId);
    await this.records.closeExecution(execution, success ? 'success' : 'error', error, true);
  }

  async startNode(params: StartNodeParams): Promise<string> {
    const execution = this.executionFor(params.executionId);
    if (!this.logger.recordsSteps || !execution) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const stepId = this.openStep(execution, params, 'running', this.records.captureInput(params.inputData));
    await this.records.waitAfterWrite();
    return stepId;
  }

  async completeNode(stepId: string, success: boolean, outputData?: unknown, error?: unknown): Promise<void> {
    const step = this.openSteps.get(stepId);
    if (!step) return;
    this.openSteps.delete(stepId);
    await this.records.closeStep(
      stepId,
      step.startedAt,
      success ? 'success' : 'error',
      this.records.captureOutput(outputData),
      error,
      true,
    );
  }

  skipNode(params: SkipNodeParams): string {
    const execution = this.executionFor(params.executionId);
    if (!this.logger.recordsSteps || !execution) return '';
    return this.records.skipStep(execution, params);
  }

  /**
   * Records a step whose node did not run in this execution: its input and output are those of
   * `reusedFromStepId` (as read back from the store, usually), captured like any data, so that
   * what an engine of its own passes is redacted and capped too; it takes no time. Returns the
   * step id, or '' when not recorded. Never throws.
   */
  reuseNode(params: ReuseNodeParams): string {
    try {
      const execution = this.executionFor(params.executionId);
      if (!this.logger.recordsSteps || !execution) return '';
      return this.records.reuseStep(execution, params);
    } catch (error) {
      this.reporter.report(error, { operation: 'capture' });
      return '';
    }
  }

  /** {@link tag} for an execution started with {@link startExecution}, by its id; false for an id not running here. */
  tagById(executionId: string, key: unknown, value: unknown): boolean {
    const execution = this.executionFor(executionId);
    return execution !== undefined && execution.id === executionId && this.records.tag(execution, key, value);
  }

  private openStep(execution: ExecutionState, params: StartNodeParams, status: StepStatus, inputData: unknown): string {
    const startedAt = Date.now();
    const id = this.records.recordStep(execution, params, status, startedAt, { inputData });
    this.openSteps.set(id, { startedAt });
    return id;
  }

  // ── Decorator paths ──────────────────────────────────────────────────────────────────────────

  /** Runs a `@LoggedWorkflow` method as one recorded execution. */
  runWorkflow(site: WorkflowSite, self: unknown, args: unknown[], method: Method): unknown {
    if (!this.accepting && !this.acceptsExecution()) return method.apply(self, args);
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(site, () => this.runWorkflow(site, self, args, method), self, args, method);
    const parent = executionContext.getStore();
    const execution = this.records.openExecution(
      {
        workflowId: this.read(() => site.workflowId(self, args), 'unknown'),
        workflowName: this.read(() => site.workflowName(self, args), 'unknown'),
        triggerType: this.read(() => site.triggerType(self, args), 'manual'),
        triggerData: this.captureInputs ? this.read(() => site.triggerData(self, args), undefined) : undefined,
        metadata: this.read(() => site.metadata(self, args), undefined),
        tags: site.tags === null ? undefined : this.read(() => site.tags!(self, args) as StartExecutionParams['tags'], undefined),
        ...(site.origin === null ? undefined : this.read(() => site.origin!(self, args) as ExecutionOrigin | undefined, undefined)),
      },
      parent,
    );
    const context: ExecutionContext = { logger: this.logger, execution, stepId: null };
    const call = () =>
      invoke(site, context, self, args, method, (status, _value, error, canWait) =>
        this.records.closeExecution(execution, status, error, canWait),
      );
    const { span } = execution;
    return span === null ? this.startCall(site, call) : span.run(() => this.startCall(site, call));
  }

  /** What `currentExecution().tag()` calls: adds a tag to a running execution; never throws. */
  tag(execution: ExecutionState, key: unknown, value: unknown): boolean {
    return this.records.tag(execution, key, value);
  }

  /** Runs a `@LoggedNode` method as one recorded step of the context's execution. */
  runNode(site: NodeSite, context: ExecutionContext, self: unknown, args: unknown[], method: Method): unknown {
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(site, () => this.runNode(site, context, self, args, method), self, args, method);
    const input = this.captureInputs ? this.records.captureInput(this.read(() => site.inputs(self, args), undefined)) : undefined;
    const startedAt = Date.now();
    const stepId = this.records.recordStep(context.execution, this.nodeParams(site, self), 'running', startedAt, { inputData: input });
    const inner: ExecutionContext = { logger: this.logger, execution: context.execution, stepId };
    const call = () =>
      invoke(site, inner, self, args, method, (status, value, error, canWait) => {
        const output =
          status === 'success' && this.captureOutputs
            ? this.records.captureOutput(this.read(() => site.outputs(value, self), undefined))
            : undefined;
        return this.records.closeStep(stepId, startedAt, status, output, error, canWait);
      });
    const span = this.records.stepSpan(stepId);
    return span === undefined ? this.startCall(site, call) : span.run(() => this.startCall(site, call));
  }

  /** Calls the method now, or in strict mode once its start record is persisted when the caller gets a promise anyway. */
  private startCall(site: PromiseSite, call: () => unknown): unknown {
    return this.strict && site.returnsPromise ? likeSite(site, this.writer.persist().then(call)) : this.kickStrict(call);
  }

  /**
   * A full queue while the database answers means it is slower than the workflows. A method
   * known to be async then waits for room before its start is recorded: the start stays in
   * memory, instead of going to the spool and taking every record after it there too.
   */
  private afterRoom(site: PromiseSite, run: () => unknown, self: unknown, args: unknown[], method: Method): Promise<unknown> {
    return likeSite(
      site,
      this.writer.waitForRoom().then(() => (this.logger.recordsSteps ? run() : method.apply(self, args))),
    );
  }

  /** The node's labels; one try for all three, since option functions rarely throw. */
  private nodeParams(site: NodeSite, self: unknown): { nodeId: string; nodeType: string; nodeName: string | null } {
    try {
      return { nodeId: site.nodeId(self), nodeType: site.nodeType(self), nodeName: site.nodeName(self) };
    } catch {
      return {
        nodeId: this.read(() => site.nodeId(self), 'unknown'),
        nodeType: this.read(() => site.nodeType(self), 'unknown'),
        nodeName: this.read(() => site.nodeName(self), null),
      };
    }
  }

  /** In strict mode a start record goes out at once, even when the caller cannot wait for it. */
  private kickStrict<T>(call: () => T): T {
    if (this.strict) void this.writer.persist();
    return call();
  }

  /** An execution by id (started here imperatively, or the current one), or the current one. */
  private executionFor(executionId: string | undefined): ExecutionState | undefined {
    const current = executionContext.getStore()?.execution;
    if (executionId === undefined || current?.id === executionId) return current;
    return this.openExecutions.get(executionId);
  }

  /** Evaluates a user option function; a throwing one is reported and replaced by the fallback. */
  private read<T>(evaluate: () => T, fallback: T): T {
    try {
      return evaluate();
    } catch (error) {
      this.reporter.report(error, { operation: 'capture' });
      return fallback;
    }
  }
}
