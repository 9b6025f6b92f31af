import { buildRedactPattern, captureJson, type CaptureOptions } from '../capture';
import { resolveLoggerConfig, type LoggerConfig, type ResolvedLoggerConfig } from '../config/LoggerConfig';
import { type ExecutionStatus, type StepStatus, type TriggerType } from '../entities';
import { uuidv7 } from '../ids';
import type { ExecutionStore } from '../store/ExecutionStore';
import type { ExecutionPatch, RecoveryResult, StepPatch } from '../store/types';
import type { BatchWriter, WriterStats } from '../writer/BatchWriter';
import { executionContext, type ExecutionContext, type ExecutionState } from './context';
import { createPipeline, type Pipeline } from './createPipeline';
import { errorDetails } from './errorDetails';
import { ErrorReporter } from './ErrorReporter';
import { InstanceLifecycle } from './InstanceLifecycle';

const DAY_MS = 86_400_000;

export interface StartExecutionParams {
  workflowId: string;
  workflowName: string;
  /** @default 'manual' */
  triggerType?: TriggerType;
  triggerData?: unknown;
  metadata?: unknown;
  parentExecutionId?: string | null;
  parentStepId?: string | null;
}

export interface StartNodeParams {
  /** The execution the step belongs to; defaults to the one the current async call runs in. */
  executionId?: string;
  nodeId: string;
  nodeType: string;
  nodeName?: string | null;
  inputData?: unknown;
}

export interface SkipNodeParams extends Omit<StartNodeParams, 'inputData'> {
  /** Why the node did not run; stored as the step's message. */
  reason?: string;
}

/** `stats()`: the writer's counters plus what the logger itself saw. */
export interface LoggerStats extends WriterStats {
  executionsStarted: number;
  stepsStarted: number;
  /** Failures reported through `onError` (or the warning). */
  errorsReported: number;
  /** Whether batches are written on the writer thread (see `writerThread`). */
  writerThread: boolean;
}

/** Static description of a decorated workflow method, resolved once per method. @internal */
export interface WorkflowSite {
  workflowId(self: unknown, args: unknown[]): string;
  workflowName(self: unknown, args: unknown[]): string;
  triggerType(self: unknown, args: unknown[]): TriggerType;
  triggerData(self: unknown, args: unknown[]): unknown;
  metadata(self: unknown, args: unknown[]): unknown;
  /**
   * Whether calls return promises: known up front for an `async` function, else learned from the
   * first result. Lets strict mode persist the start, and backpressure wait, before the body runs.
   */
  returnsPromise: boolean;
}

/** Static description of a decorated node method. @internal */
export interface NodeSite {
  nodeId(self: unknown): string;
  nodeType(self: unknown): string;
  nodeName(self: unknown): string | null;
  inputs(self: unknown, args: unknown[]): unknown;
  outputs(result: unknown, self: unknown): unknown;
  returnsPromise: boolean;
}

interface OpenRow {
  startedAt: number;
}

type Method = (...args: unknown[]) => unknown;

let defaultLogger: ExecutionLogger | null = null;

/**
 * Builds execution-history records and hands them to a write-behind queue. Failures of capture
 * or storage are contained here: they are counted and reported, never thrown into a workflow.
 *
 * Keyed by the ids it returns, never by a "current execution" field: the decorators carry the
 * execution in an AsyncLocalStorage context, so concurrent workflows stay apart.
 */
export class ExecutionLogger {
  /** This logger's id in `flowtrail_instances`; owner of the rows it writes while they run. */
  readonly instanceId = uuidv7();
  readonly store: ExecutionStore;
  /** The resolved configuration (defaults, file, code and environment merged). */
  readonly config: Readonly<ResolvedLoggerConfig>;
  /** Resolves once the writer thread (if any) has its connection, the instance is registered and start-up recovery has run (failures are reported, not thrown). */
  readonly ready: Promise<void>;
  private isEnabled: boolean;
  private readonly writer: BatchWriter;
  private readonly capture: CaptureOptions;
  private readonly strict: boolean;
  private readonly openExecutions = new Map<string, ExecutionState>();
  private readonly openSteps = new Map<string, OpenRow>();
  private shutdownPromise: Promise<void> | null = null;
  private readonly counters = { executionsStarted: 0, stepsStarted: 0 };
  private readonly reporter: ErrorReporter;
  private readonly lifecycle: InstanceLifecycle;
  private readonly pipeline: Pipeline;

  /** @throws ConfigError when a setting (in code, the config file or the environment) is invalid. */
  constructor(store: ExecutionStore, config: LoggerConfig = {}) {
    this.store = store;
    this.config = Object.freeze(resolveLoggerConfig(config));
    this.isEnabled = this.config.enabled;
    this.strict = this.config.durability === 'strict';
    this.capture = { maxDataSize: this.config.maxDataSize, redact: buildRedactPattern(this.config.redactKeys) };
    this.reporter = new ErrorReporter(this.config.onError);
    this.lifecycle = new InstanceLifecycle(store.instances, this.instanceId, this.config, this.reporter);
    this.pipeline = createPipeline(store.sink, this.config, this.instanceId, this.reporter.report, (instance) => {
      void this.lifecycle.retire(instance);
    });
    this.writer = this.pipeline.writer;
    this.ready = this.start();
  }

  /** The logger that decorators use when their options name none. */
  static setDefault(logger: ExecutionLogger | null): void {
    defaultLogger = logger;
  }

  static getDefault(): ExecutionLogger | null {
    return defaultLogger;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Turns recording on or off at runtime; runs already being recorded finish their records. */
  setEnabled(enabled: boolean): void {
    this.isEnabled = enabled && this.shutdownPromise === null;
  }

  // ── Imperative lifecycle (for runners that cannot use the decorators) ────────────────────────

  /** Records a new running execution and returns its id ('' when logging is disabled). */
  async startExecution(params: StartExecutionParams): Promise<string> {
    if (!this.isEnabled) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const parent = executionContext.getStore();
    const execution = this.openExecution(params, parent);
    this.openExecutions.set(execution.id, execution);
    await this.waitAfterWrite();
    return execution.id;
  }

  /** Marks an execution finished: `success`, or `error` with the error's details. */
  async completeExecution(executionId: string, success: boolean, error?: unknown): Promise<void> {
    const execution = this.openExecutions.get(executionId);
    if (!execution) return;
    this.openExecutions.delete(executionId);
    await this.closeExecution(execution, success ? 'success' : 'error', error, true);
  }

  /** Records a running step in the given (or current) execution and returns its id ('' when not recorded). */
  async startNode(params: StartNodeParams): Promise<string> {
    const execution = this.executionFor(params.executionId);
    if (!this.isEnabled || !execution) return '';
    if (this.writer.mustWait) await this.writer.waitForRoom();
    const stepId = this.openStep(execution, params, 'running', this.captureInput(params.inputData));
    await this.waitAfterWrite();
    return stepId;
  }

  /** Marks a step finished, with its output or its error. */
  async completeNode(stepId: string, success: boolean, outputData?: unknown, error?: unknown): Promise<void> {
    const step = this.openSteps.get(stepId);
    if (!step) return;
    this.openSteps.delete(stepId);
    await this.closeStep(stepId, step.startedAt, success ? 'success' : 'error', this.captureOutput(outputData), error, true);
  }

  /** Records a step that did not run (an untaken branch), in the given or current execution. */
  skipNode(params: SkipNodeParams): string {
    const execution = this.executionFor(params.executionId);
    if (!this.isEnabled || !execution) return '';
    const now = Date.now();
    return this.recordStep(execution, params, 'skipped', now, {
      completedAt: now,
      durationMs: 0,
      errorMessage: params.reason ?? null,
    });
  }

  // ── Decorator paths ──────────────────────────────────────────────────────────────────────────

  /** @internal Runs a `@LoggedWorkflow` method as one recorded execution. */
  runWorkflow(site: WorkflowSite, self: unknown, args: unknown[], method: Method): unknown {
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(() => this.runWorkflow(site, self, args, method), self, args, method);
    const parent = executionContext.getStore();
    const execution = this.openExecution(
      {
        workflowId: this.read(() => site.workflowId(self, args), 'unknown'),
        workflowName: this.read(() => site.workflowName(self, args), 'unknown'),
        triggerType: this.read(() => site.triggerType(self, args), 'manual'),
        triggerData: this.config.captureInputs ? this.read(() => site.triggerData(self, args), undefined) : undefined,
        metadata: this.read(() => site.metadata(self, args), undefined),
      },
      parent,
    );
    const context: ExecutionContext = { logger: this, execution, stepId: null };
    const invoke = () =>
      this.invoke(site, context, self, args, method, (status, _value, error, canWait) =>
        this.closeExecution(execution, status, error, canWait),
      );
    return this.strict && site.returnsPromise ? this.writer.flush().then(invoke) : this.kickStrict(invoke);
  }

  /** @internal Runs a `@LoggedNode` method as one recorded step of the context's execution. */
  runNode(site: NodeSite, context: ExecutionContext, self: unknown, args: unknown[], method: Method): unknown {
    if (site.returnsPromise && this.writer.mustWait)
      return this.afterRoom(() => this.runNode(site, context, self, args, method), self, args, method);
    const input = this.config.captureInputs ? this.captureInput(this.read(() => site.inputs(self, args), undefined)) : undefined;
    const startedAt = Date.now();
    const stepId = this.recordStep(context.execution, this.nodeParams(site, self), 'running', startedAt, { inputData: input });
    const inner: ExecutionContext = { logger: this, execution: context.execution, stepId };
    const invoke = () =>
      this.invoke(site, inner, self, args, method, (status, value, error, canWait) => {
        const output =
          status === 'success' && this.config.captureOutputs
            ? this.captureOutput(this.read(() => site.outputs(value, self), undefined))
            : undefined;
        return this.closeStep(stepId, startedAt, status, output, error, canWait);
      });
    return this.strict && site.returnsPromise ? this.writer.flush().then(invoke) : this.kickStrict(invoke);
  }

  /**
   * A full queue while the database answers means it is slower than the workflows. A method
   * known to be async then waits for room before its start is recorded: the start stays in
   * memory, instead of going to the spool and taking every record after it there too.
   */
  private afterRoom(run: () => unknown, self: unknown, args: unknown[], method: Method): Promise<unknown> {
    return this.writer.waitForRoom().then(() => (this.isEnabled ? run() : method.apply(self, args)));
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

  /**
   * Calls the method inside `context`, records its outcome with `close`, and hands back exactly
   * what the method gave: the same sync value, a promise of the same value, or the same error.
   */
  private invoke(
    site: { returnsPromise: boolean },
    context: ExecutionContext,
    self: unknown,
    args: unknown[],
    method: Method,
    close: (status: 'success' | 'error', value: unknown, error: unknown, canWait: boolean) => Promise<void> | undefined,
  ): unknown {
    let result: unknown;
    try {
      result = executionContext.run(context, () => method.apply(self, args));
    } catch (error) {
      void close('error', undefined, error, false);
      throw error;
    }
    if (!isPromiseLike(result)) {
      void close('success', result, undefined, false);
      return result;
    }
    site.returnsPromise = true;
    return Promise.resolve(result).then(
      (value) => {
        const wait = close('success', value, undefined, true);
        return wait ? wait.then(() => value) : value;
      },
      (error: unknown) => {
        const wait = close('error', undefined, error, true);
        if (!wait) throw error;
        return wait.then(() => {
          throw error;
        });
      },
    );
  }

  /** In strict mode a start record goes out at once, even when the caller cannot wait for it. */
  private kickStrict<T>(invoke: () => T): T {
    if (this.strict) void this.writer.flush();
    return invoke();
  }

  // ── Records ──────────────────────────────────────────────────────────────────────────────────

  private openExecution(params: StartExecutionParams, parent: ExecutionContext | undefined): ExecutionState {
    const startedAt = Date.now();
    const execution: ExecutionState = { id: uuidv7(startedAt), startedAt, nextStepIndex: 0 };
    this.counters.executionsStarted++;
    this.writer.insertExecution({
      id: execution.id,
      workflowId: String(params.workflowId),
      workflowName: String(params.workflowName),
      triggerType: params.triggerType ?? 'manual',
      triggerData: this.captureInput(params.triggerData),
      status: 'running',
      startedAt,
      metadata: params.metadata === undefined ? undefined : captureJson(params.metadata, this.capture),
      parentExecutionId: params.parentExecutionId ?? parent?.execution.id ?? null,
      parentStepId: params.parentStepId ?? parent?.stepId ?? null,
      instanceId: this.instanceId,
    });
    return execution;
  }

  private closeExecution(execution: ExecutionState, status: ExecutionStatus, error: unknown, canWait: boolean): Promise<void> | undefined {
    const completedAt = Date.now();
    const patch: ExecutionPatch = { status, completedAt, durationMs: completedAt - execution.startedAt };
    if (status === 'error') Object.assign(patch, errorDetails(error));
    return this.complete(canWait && !this.writer.queuesExecution(execution.id), () => this.writer.updateExecution(execution.id, patch));
  }

  private recordStep(
    execution: ExecutionState,
    params: { nodeId: string; nodeType: string; nodeName?: string | null },
    status: StepStatus,
    startedAt: number,
    extra: { inputData?: unknown; completedAt?: number; durationMs?: number; errorMessage?: string | null },
  ): string {
    const id = uuidv7(startedAt);
    this.counters.stepsStarted++;
    this.writer.insertStep({
      id,
      executionId: execution.id,
      nodeId: String(params.nodeId),
      nodeType: String(params.nodeType),
      nodeName: params.nodeName ?? null,
      stepIndex: execution.nextStepIndex++,
      startedAt,
      status,
      instanceId: this.instanceId,
      inputData: extra.inputData,
      completedAt: extra.completedAt,
      durationMs: extra.durationMs,
      errorMessage: extra.errorMessage,
    });
    return id;
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
    if (status === 'error') Object.assign(patch, errorDetails(error));
    return this.complete(canWait && !this.writer.queuesStep(stepId), () => this.writer.updateStep(stepId, patch));
  }

  /**
   * Writes a completion whose timestamps are already taken. One that its caller can wait for,
   * and that will not fold into its insert still in memory, waits for room first while the
   * database answers but the queue is full, for the reason of {@link afterRoom}.
   */
  private complete(mayWaitForRoom: boolean, write: () => void): Promise<void> | undefined {
    if (mayWaitForRoom && this.writer.mustWait) {
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
    if (this.strict) return this.writer.flush().then(() => undefined);
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
    return this.config.captureInputs && value !== undefined ? captureJson(value, this.capture) : undefined;
  }

  private captureOutput(value: unknown): unknown {
    return this.config.captureOutputs && value !== undefined ? captureJson(value, this.capture) : undefined;
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

  // ── Maintenance ──────────────────────────────────────────────────────────────────────────────

  /** Writes what is queued now. Resolves true when committed; false when the write failed (records stay queued). */
  flush(): Promise<boolean> {
    return this.writer.flush();
  }

  /**
   * Stops recording, writes everything queued (retrying up to `shutdownTimeoutMs`) and marks this
   * instance stopped. Idempotent. Does not close the store, which may be shared.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.isEnabled = false;
      // After `ready`: start() may still be about to arm the heartbeat timer.
      await this.ready;
      this.lifecycle.stopHeartbeat();
      await this.pipeline.close(this.config.shutdownTimeoutMs);
      // Stopped only once written: other loggers may recover a stopped instance's running rows at once.
      await this.lifecycle.markStopped();
      if (defaultLogger === this) defaultLogger = null;
    })();
    return this.shutdownPromise;
  }

  stats(): LoggerStats {
    return { ...this.writer.stats(), ...this.counters, errorsReported: this.reporter.reported, writerThread: this.pipeline.threadActive };
  }

  /** Deletes executions older than `retentionDays`; returns how many. */
  runRetentionCleanup(): Promise<number> {
    return this.store.cleanupOldExecutions(this.config.retentionDays * DAY_MS);
  }

  /** Marks rows left `running` by dead instances (heartbeat older than `leaseMs`) as `interrupted`. */
  recoverInterrupted(): Promise<RecoveryResult> {
    return this.lifecycle.recover();
  }

  private async start(): Promise<void> {
    // Ready means writing: until the thread has its connection, a batch would wait for it, and
    // a crash then could lose more than the flush window documented for batched mode.
    await this.pipeline.ready;
    await this.lifecycle.start();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (value instanceof Promise) return true;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    // A hostile Proxy result is returned as it is, like any other value.
    return false;
  }
}
