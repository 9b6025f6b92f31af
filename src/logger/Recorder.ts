import { buildRedactPattern, captureJson, CapturedJson, type CaptureOptions } from '../capture';
import type { ResolvedLoggerConfig } from '../config/LoggerConfig';
import type { ExecutionStatus, StepStatus, TriggerType } from '../entities';
import { uuidv7 } from '../ids';
import { spanError } from '../otel/spanError';
import type { FlowSpan, SpanError } from '../otel/FlowSpan';
import type { StepSpanFields, TraceIds, Tracing } from '../otel/Tracing';
import type { ExecutionPatch, StepPatch } from '../store/types';
import type { BatchWriter } from '../writer/BatchWriter';
import { executionContext, type ExecutionContext, type ExecutionState } from './context';
import { errorDetails, type ErrorTextOptions } from './errorDetails';
import type { ErrorReporter } from './ErrorReporter';
import type { ExecutionLogger } from './ExecutionLogger';
import { invoke, likeSite, type Method, type PromiseSite } from './invoke';
import { Labels } from './Labels';
import type { ReuseNodeParams, SkipNodeParams, StartExecutionParams, StartNodeParams, WorkflowDefinitionParams } from './recordParams';
import type { ExecutionOrigin, NodeSite, WorkflowSite } from './sites';
import { TagSet } from './TagSet';
import { isUnrecorded } from './unrecorded';

/** A definition's hash as `workflow_definitions.hash` holds it. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the recorder reads of the configuration. */
export type RecorderSettings = Pick<
  ResolvedLoggerConfig,
  'captureInputs' | 'captureOutputs' | 'durability' | 'maxDataSize' | 'redactKeys' | 'maxErrorMessageSize' | 'maxErrorStackSize'
>;

interface OpenRow {
  startedAt: number;
}

/**
 * Builds the records of executions and steps, captures their data, and queues them on the writer.
 * It also decides when a caller waits: for room in a full queue while the database answers
 * (backpressure), and in strict mode for each record to be persisted.
 *
 * Every decorated call that is recorded goes through {@link runWorkflow} or {@link runNode}: the
 * hot path, where nothing is allocated or looked up that the record does not need.
 *
 * Longer than most files here on purpose: the hot path stays in one class, where V8 sees its
 * calls monomorphic; what is off it (labels, error text, the call's wrapping) is in its own file.
 */
export class Recorder {
  private readonly instanceId: string;
  private readonly capture: CaptureOptions;
  private readonly errorText: ErrorTextOptions;
  private readonly labels: Labels;
  private readonly captureInputs: boolean;
  private readonly captureOutputs: boolean;
  private readonly strict: boolean;
  private readonly openExecutions = new Map<string, ExecutionState>();
  private readonly openSteps = new Map<string, OpenRow>();
  /** The spans of steps running now, by step id; empty unless `otel.spans`. */
  private readonly stepSpans = new Map<string, FlowSpan>();
  private readonly counters = { executionsStarted: 0, stepsStarted: 0, tagsDropped: 0 };
  /** Hashes of the definitions this logger has queued: each is written once per process, not once per run. */
  private readonly definitionsQueued = new Set<string>();
  /** Executions started and not finished: what shutdown waits for, up to its grace period. */
  private inFlight = 0;
  private accepting = true;
  private drainWaiters: (() => void)[] = [];

  constructor(
    /** Named by the contexts the recorder opens; its switch says whether to record at all. */
    private readonly logger: ExecutionLogger,
    private readonly writer: BatchWriter,
    private readonly reporter: ErrorReporter,
    settings: RecorderSettings,
    /** Reads the span active as a row starts, and starts spans of its own with `otel.spans`. */
    private readonly tracing: Tracing,
    /** Called when {@link running} leaves or reaches 0: after shutdown, the logger records steps only while it is not. */
    private readonly runningChanged: () => void,
  ) {
    this.instanceId = logger.instanceId;
    this.capture = { maxDataSize: settings.maxDataSize, redact: buildRedactPattern(settings.redactKeys) };
    this.labels = new Labels(reporter, settings.maxErrorMessageSize);
    this.errorText = {
      redact: this.capture.redact,
      maxMessageBytes: settings.maxErrorMessageSize,
      maxStackBytes: settings.maxErrorStackSize,
    };
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
    if (this.inFlight <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Executions started and not finished. */
  get running(): number {
    return this.inFlight;
  }

  private acceptsExecution(): boolean {
    return this.accepting || executionContext.getStore()?.logger === this.logger;
  }

  /** Executions and steps started so far, and tags dropped for not fitting the limits. */
  stats(): { executionsStarted: number; stepsStarted: number; tagsDropped: number } {
    return { ...this.counters };
  }

  // ── Imperative lifecycle (for runners that cannot use the decorators) ────────────────────────

  async startExecution(params: StartExecutionParams): Promise<string> {
    if (!this.logger.enabled || !this.acceptsExecution() || isUnrecorded()) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const parent = executionContext.getStore();
    const execution = this.openExecution(params, parent);
    this.openExecutions.set(execution.id, execution);
    await this.waitAfterWrite();
    return execution.id;
  }

  async completeExecution(executionId: string, success: boolean, error?: unknown): Promise<void> {
    const execution = this.openExecutions.get(executionId);
    if (!execution) return;
    this.openExecutions.delete(executionId);
    await this.closeExecution(execution, success ? 'success' : 'error', error, true);
  }

  async startNode(params: StartNodeParams): Promise<string> {
    const execution = this.executionFor(params.executionId);
    if (!this.logger.recordsSteps || !execution) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const stepId = this.openStep(execution, params, 'running', this.captureInput(params.inputData));
    await this.waitAfterWrite();
    return stepId;
  }

  async completeNode(stepId: string, success: boolean, outputData?: unknown, error?: unknown): Promise<void> {
    const step = this.openSteps.get(stepId);
    if (!step) return;
    this.openSteps.delete(stepId);
    await this.closeStep(stepId, step.startedAt, success ? 'success' : 'error', this.captureOutput(outputData), error, true);
  }

  skipNode(params: SkipNodeParams): string {
    const execution = this.executionFor(params.executionId);
    if (!this.logger.recordsSteps || !execution) return '';
    const now = Date.now();
    const stepId = this.recordStep(execution, params, 'skipped', now, {
      completedAt: now,
      durationMs: 0,
      errorMessage: this.labels.reason(params.reason),
    });
    if (this.tracing.spans) this.endStepSpan(stepId, 'skipped', null);
    return stepId;
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
      const now = Date.now();
      const stepId = this.recordStep(execution, params, 'reused', now, {
        completedAt: now,
        durationMs: 0,
        inputData: this.captureInput(params.inputData ?? undefined),
        outputData: this.captureOutput(params.outputData ?? undefined),
        reusedFromStepId: this.labels.optional(params.reusedFromStepId, 'reusedFromStepId'),
      });
      if (this.tracing.spans) this.endStepSpan(stepId, 'reused', null);
      return stepId;
    } catch (error) {
      this.reporter.report(error, { operation: 'capture' });
      return '';
    }
  }

  // ── Decorator paths ──────────────────────────────────────────────────────────────────────────

  /** Runs a `@LoggedWorkflow` method as one recorded execution. */
  runWorkflow(site: WorkflowSite, self: unknown, args: unknown[], method: Method): unknown {
    if (!this.accepting && !this.acceptsExecution()) return method.apply(self, args);
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(site, () => this.runWorkflow(site, self, args, method), self, args, method);
    const parent = executionContext.getStore();
    const execution = this.openExecution(
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
      invoke(site, context, self, args, method, (status, _value, error, canWait) => this.closeExecution(execution, status, error, canWait));
    const { span } = execution;
    return span === null ? this.startCall(site, call) : span.run(() => this.startCall(site, call));
  }

  /** Runs a `@LoggedNode` method as one recorded step of the context's execution. */
  runNode(site: NodeSite, context: ExecutionContext, self: unknown, args: unknown[], method: Method): unknown {
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(site, () => this.runNode(site, context, self, args, method), self, args, method);
    const input = this.captureInputs ? this.captureInput(this.read(() => site.inputs(self, args), undefined)) : undefined;
    const startedAt = Date.now();
    const stepId = this.recordStep(context.execution, this.nodeParams(site, self), 'running', startedAt, { inputData: input });
    const inner: ExecutionContext = { logger: this.logger, execution: context.execution, stepId };
    const call = () =>
      invoke(site, inner, self, args, method, (status, value, error, canWait) => {
        const output =
          status === 'success' && this.captureOutputs
            ? this.captureOutput(this.read(() => site.outputs(value, self), undefined))
            : undefined;
        return this.closeStep(stepId, startedAt, status, output, error, canWait);
      });
    const span = this.tracing.spans ? this.stepSpans.get(stepId) : undefined;
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

  // ── Records ──────────────────────────────────────────────────────────────────────────────────

  private openExecution(params: StartExecutionParams, parent: ExecutionContext | undefined): ExecutionState {
    const startedAt = Date.now();
    const id = uuidv7(startedAt);
    const workflowId = this.labels.label(params.workflowId, 'unknown', 'workflowId');
    const workflowName = this.labels.label(params.workflowName, 'unknown', 'workflowName');
    const triggerType = this.labels.label(params.triggerType ?? 'manual', 'manual', 'triggerType');
    const span = this.tracing.spans ? this.tracing.startExecution({ id, workflowId, workflowName, triggerType }) : null;
    const ids = this.traceIds(span);
    const execution: ExecutionState = { id, startedAt, nextStepIndex: 0, tags: null, span };
    if (params.tags !== undefined) {
      execution.tags = new TagSet(this.capture.redact);
      this.counters.tagsDropped += execution.tags.addAll(params.tags);
    }
    this.counters.executionsStarted++;
    if (this.inFlight++ === 0) this.runningChanged();
    this.writer.insertExecution({
      id: execution.id,
      workflowId,
      workflowName,
      triggerType: triggerType as TriggerType,
      triggerData: this.captureInput(params.triggerData),
      status: 'running',
      startedAt,
      metadata: params.metadata === undefined ? undefined : captureJson(params.metadata, this.capture),
      parentExecutionId: this.labels.optional(params.parentExecutionId, 'parentExecutionId') ?? parent?.execution.id ?? null,
      parentStepId: this.labels.optional(params.parentStepId, 'parentStepId') ?? parent?.stepId ?? null,
      replayOfStepId: this.labels.optional(params.replayOfStepId, 'replayOfStepId') ?? null,
      instanceId: this.instanceId,
      tags: execution.tags === null || execution.tags.isEmpty ? undefined : execution.tags.snapshot(),
      traceId: ids === null ? null : ids.traceId,
      spanId: ids === null ? null : ids.spanId,
      forkedFromExecutionId: this.labels.optional(params.forkedFromExecutionId, 'forkedFromExecutionId'),
      forkedFromStepId: this.labels.optional(params.forkedFromStepId, 'forkedFromStepId'),
      definitionHash: params.definition === undefined ? null : this.queueDefinition(params.definition),
    });
    return execution;
  }

  /** The ids a row stores: those of its own span, else of the span active as it starts, else none. */
  private traceIds(span: FlowSpan | null): TraceIds | null {
    return span === null ? this.tracing.activeIds() : this.tracing.idsOf(span.otelSpan);
  }

  /**
   * Queues a definition's row the first time this logger sees its hash; later runs only name it.
   * The store ignores a hash it already has (another process, a replayed spool), so this is an
   * economy, not what keeps it once. Returns the hash, or null for a definition it cannot store.
   */
  private queueDefinition(definition: WorkflowDefinitionParams): string | null {
    const { hash, workflowId, json } = definition;
    // A hash the column cannot hold would fail the execution's row, and with it the run's history.
    if (typeof hash !== 'string' || !SHA256_HEX.test(hash) || typeof json !== 'string') return null;
    if (!this.definitionsQueued.has(hash)) {
      this.definitionsQueued.add(hash);
      this.writer.insertDefinition({
        hash,
        workflowId: this.labels.label(workflowId, 'unknown', 'workflowId'),
        definition: new CapturedJson(json),
        createdAt: Date.now(),
      });
    }
    return hash;
  }

  /**
   * Adds a tag to a running execution and writes all its tags so far at once, as an update of the
   * execution (it folds into the insert while that is still queued). Never throws.
   */
  tag(execution: ExecutionState, key: unknown, value: unknown): boolean {
    try {
      if (!this.logger.recordsSteps) return false;
      execution.tags ??= new TagSet(this.capture.redact);
      if (!execution.tags.add(key, value)) {
        this.counters.tagsDropped++;
        return false;
      }
      this.writer.updateExecution(execution.id, { tags: execution.tags.snapshot() });
      return true;
    } catch (error) {
      this.reporter.report(error, { operation: 'capture' });
      return false;
    }
  }

  /** {@link tag} for an execution started with {@link startExecution}, by its id; false for an id not running here. */
  tagById(executionId: string, key: unknown, value: unknown): boolean {
    const execution = this.executionFor(executionId);
    return execution !== undefined && execution.id === executionId && this.tag(execution, key, value);
  }

  private closeExecution(execution: ExecutionState, status: ExecutionStatus, error: unknown, canWait: boolean): Promise<void> | undefined {
    const completedAt = Date.now();
    if (--this.inFlight === 0) {
      if (this.drainWaiters.length > 0) for (const wake of this.drainWaiters.splice(0)) wake();
      this.runningChanged();
    }
    const patch: ExecutionPatch = { status, completedAt, durationMs: completedAt - execution.startedAt };
    if (status === 'error') Object.assign(patch, errorDetails(error, this.errorText));
    if (execution.span !== null) execution.span.end(status, status === 'error' ? spanError(error, patch) : null);
    return this.complete(canWait, this.writer.queuesExecution(execution.id), () => this.writer.updateExecution(execution.id, patch));
  }

  private recordStep(
    execution: ExecutionState,
    params: { nodeId: string; nodeType: string; nodeName?: string | null },
    status: StepStatus,
    startedAt: number,
    extra: {
      inputData?: unknown;
      outputData?: unknown;
      completedAt?: number;
      durationMs?: number;
      errorMessage?: string | null;
      reusedFromStepId?: string | null;
    },
  ): string {
    const id = uuidv7(startedAt);
    this.counters.stepsStarted++;
    const nodeId = this.labels.label(params.nodeId, 'unknown', 'nodeId');
    const nodeType = this.labels.label(params.nodeType, 'unknown', 'nodeType');
    const nodeName = this.labels.optional(params.nodeName, 'nodeName');
    const stepIndex = execution.nextStepIndex++;
    const ids = this.tracing.spans
      ? this.startStepSpan(execution, { id, executionId: execution.id, nodeId, nodeType, nodeName, stepIndex })
      : this.tracing.activeIds();
    this.writer.insertStep({
      id,
      executionId: execution.id,
      nodeId,
      nodeType,
      nodeName,
      stepIndex,
      startedAt,
      status,
      instanceId: this.instanceId,
      inputData: extra.inputData,
      completedAt: extra.completedAt,
      durationMs: extra.durationMs,
      errorMessage: extra.errorMessage,
      traceId: ids === null ? null : ids.traceId,
      spanId: ids === null ? null : ids.spanId,
      outputData: extra.outputData,
      reusedFromStepId: extra.reusedFromStepId,
    });
    return id;
  }

  /**
   * Starts a step's span and keeps it until the step ends. Inside the execution's body it is the
   * child of the span active there (the execution's, or one the body started around the node);
   * called from elsewhere (the imperative API), of the execution's own span.
   */
  private startStepSpan(execution: ExecutionState, row: StepSpanFields): TraceIds | null {
    const inBody = executionContext.getStore()?.execution === execution;
    const span = this.tracing.startStep(row, execution.span, inBody);
    if (span === null) return this.tracing.activeIds();
    this.stepSpans.set(row.id, span);
    return this.tracing.idsOf(span.otelSpan);
  }

  private endStepSpan(stepId: string, status: StepStatus, error: SpanError | null): void {
    const span = this.stepSpans.get(stepId);
    if (span === undefined) return;
    this.stepSpans.delete(stepId);
    span.end(status, error);
  }

  private openStep(execution: ExecutionState, params: StartNodeParams, status: StepStatus, inputData: unknown): string {
    const startedAt = Date.now();
    const id = this.recordStep(execution, params, status, startedAt, { inputData });
    this.openSteps.set(id, { startedAt });
    return id;
  }

  private closeStep(
    stepId: string,
    startedAt: number,
    status: 'success' | 'error',
    outputData: unknown,
    error: unknown,
    canWait: boolean,
  ): Promise<void> | undefined {
    const completedAt = Date.now();
    const patch: StepPatch = { status, completedAt, durationMs: completedAt - startedAt, outputData };
    if (status === 'error') Object.assign(patch, errorDetails(error, this.errorText));
    if (this.tracing.spans) this.endStepSpan(stepId, status, status === 'error' ? spanError(error, patch) : null);
    return this.complete(canWait, this.writer.queuesStep(stepId), () => this.writer.updateStep(stepId, patch));
  }

  /**
   * Writes a completion whose timestamps are already taken. One that its caller can wait for
   * waits for room first while the database answers but the queue is full, for the reason of
   * {@link afterRoom}; one that folds into its insert still in memory only while memory is full
   * of bytes, since it adds no record.
   */
  private complete(canWait: boolean, folds: boolean, write: () => void): Promise<void> | undefined {
    if (canWait && this.writer.mustWaitFor(folds)) {
      return this.writer.waitForRoom().then(() => {
        write();
        return this.waitAfterWrite();
      });
    }
    write();
    return this.waitAfterWrite();
  }

  /**
   * What a caller that can wait should wait for after a completion: in strict mode the write
   * itself; in batched mode room in a full queue (backpressure); usually nothing.
   */
  private waitAfterWrite(): Promise<void> | undefined {
    if (this.strict) return this.writer.persist().then(() => undefined);
    if (this.writer.mustWait) return this.writer.waitForRoom();
    return undefined;
  }

  /** An execution by id (started here imperatively, or the current one), or the current one. */
  private executionFor(executionId: string | undefined): ExecutionState | undefined {
    const current = executionContext.getStore()?.execution;
    if (executionId === undefined || current?.id === executionId) return current;
    return this.openExecutions.get(executionId);
  }

  private captureInput(value: unknown): unknown {
    return this.captureInputs && value !== undefined ? captureJson(value, this.capture) : undefined;
  }

  private captureOutput(value: unknown): unknown {
    return this.captureOutputs && value !== undefined ? captureJson(value, this.capture) : undefined;
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
