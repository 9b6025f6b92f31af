import { resolveLoggerConfig, type LoggerConfig, type ResolvedLoggerConfig } from '../config/LoggerConfig';
import { uuidv7 } from '../ids';
import { Tracing } from '../otel/Tracing';
import type { ExecutionStore } from '../store/ExecutionStore';
import type { RecoveryResult } from '../store/types';
import type { WriterStats } from '../writer/BatchWriter';
import type { ExecutionContext, ExecutionState } from './context';
import { createPipeline, type Pipeline } from './createPipeline';
import { ErrorReporter } from './ErrorReporter';
import { addExitHooks, removeExitHooks, type ExitHookTarget } from './exitHooks';
import { InstanceLifecycle } from './InstanceLifecycle';
import type { Method } from './invoke';
import { Recorder } from './Recorder';
import { recording } from './recording';
import type { ReuseNodeParams, SkipNodeParams, StartExecutionParams, StartNodeParams } from './recordParams';
import { retentionPlan } from './retentionPlan';
import type { NodeSite, WorkflowSite } from './sites';

/** `stats()`: the writer's counters plus what the logger itself saw. */
export interface LoggerStats extends WriterStats {
  executionsStarted: number;
  stepsStarted: number;
  /** Tags dropped because they did not fit the limits (`currentExecution()?.tag`, the decorator's `tags`). */
  tagsDropped: number;
  /** Failures reported through `onError` (or the warning). */
  errorsReported: number;
  /** Whether batches are written on the writer thread (see `writerThread`). */
  writerThread: boolean;
}

let defaultLogger: ExecutionLogger | null = null;

/**
 * Builds execution-history records and hands them to a write-behind queue. Failures of capture
 * or storage are contained here: they are counted and reported, never thrown into a workflow.
 *
 * Keyed by the ids it returns, never by a "current execution" field: the decorators carry the
 * execution in an AsyncLocalStorage context, so concurrent workflows stay apart.
 *
 * This class composes the parts and holds the public surface: the {@link Recorder} builds the
 * records, the pipeline ({@link createPipeline}) writes them, the {@link InstanceLifecycle} keeps
 * the instance's lease, and the {@link ErrorReporter} is where every failure goes.
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
  private readonly reporter: ErrorReporter;
  private readonly lifecycle: InstanceLifecycle;
  private readonly pipeline: Pipeline;
  private readonly recorder: Recorder;
  private shutdownPromise: Promise<void> | null = null;
  /** Whether this logger is counted in `recording.loggers` (it is while {@link recordsSteps}). */
  private counted = false;

  /** @throws ConfigError when a setting (in code, the config file or the environment) is invalid. */
  constructor(store: ExecutionStore, config: LoggerConfig = {}) {
    this.store = store;
    this.config = Object.freeze(fitToColumns(resolveLoggerConfig(config), store.sink.maxTextBytes));
    this.isEnabled = this.config.enabled;
    this.reporter = new ErrorReporter(this.config.onError);
    // Before anything starts: spans asked for without @opentelemetry/api installed is a ConfigError.
    const tracing = new Tracing(this.config.otel, this.reporter.report);
    this.lifecycle = new InstanceLifecycle(store.instances, this.instanceId, this.config, this.reporter);
    this.pipeline = createPipeline(store.sink, this.config, this.instanceId, this.reporter.report, (instance) => {
      void this.lifecycle.retire(instance);
    });
    this.recorder = new Recorder(this, this.pipeline.writer, this.reporter, this.config, tracing, () => this.recountRecording());
    this.recountRecording();
    this.ready = this.start();
    if (this.config.flushOnExit) addExitHooks(this.exitHooks);
  }

  /** What the process-level exit listeners call (see exitHooks.ts). */
  private readonly exitHooks: ExitHookTarget = {
    flushBeforeExit: () => {
      const { writer } = this.pipeline;
      // Once per batch of new records: a database that stays down must not loop the event loop.
      if (this.shutdownPromise !== null || writer.admitted === this.exitFlushedThrough) return;
      this.exitFlushedThrough = writer.admitted;
      void writer.flush().then((written) => {
        // The process is ending and the database does not answer: what is left goes to the spool.
        if (!written) return this.shutdown();
      });
    },
    shutdown: () => this.shutdown(),
    spoolOnExit: () => {
      this.pipeline.writer.spoolOnExit();
    },
  };
  private exitFlushedThrough = 0;

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

  /**
   * @internal Whether steps of an execution being recorded are recorded: while enabled, and
   * after `shutdown()` began, while executions it was recording still run (their records go to
   * the database, or past the grace period to the spool).
   */
  get recordsSteps(): boolean {
    return this.isEnabled || (this.shutdownPromise !== null && this.recorder.running > 0);
  }

  /** Turns recording on or off at runtime; runs already being recorded finish their records. */
  setEnabled(enabled: boolean): void {
    this.isEnabled = enabled && this.shutdownPromise === null;
    this.recountRecording();
  }

  /** Keeps `recording.loggers` in step with {@link recordsSteps}, on each change of what it reads. */
  private recountRecording(): void {
    const records = this.recordsSteps;
    if (records === this.counted) return;
    this.counted = records;
    recording.loggers += records ? 1 : -1;
  }

  // ── Imperative lifecycle (for runners that cannot use the decorators) ────────────────────────

  /** Records a new running execution and returns its id ('' when logging is disabled). */
  startExecution(params: StartExecutionParams): Promise<string> {
    return this.recorder.startExecution(params);
  }

  /** Marks an execution finished: `success`, or `error` with the error's details. */
  completeExecution(executionId: string, success: boolean, error?: unknown): Promise<void> {
    return this.recorder.completeExecution(executionId, success, error);
  }

  /** Records a running step in the given (or current) execution and returns its id ('' when not recorded). */
  startNode(params: StartNodeParams): Promise<string> {
    return this.recorder.startNode(params);
  }

  /** Marks a step finished, with its output or its error. */
  completeNode(stepId: string, success: boolean, outputData?: unknown, error?: unknown): Promise<void> {
    return this.recorder.completeNode(stepId, success, outputData, error);
  }

  /** Records a step that did not run (an untaken branch), in the given or current execution. */
  skipNode(params: SkipNodeParams): string {
    return this.recorder.skipNode(params);
  }

  /**
   * Records a step whose node did not run because its result is reused from another step (a
   * re-run), in the given or current execution: status `reused`, `reusedFromStepId` that step,
   * its input and output copied as given (already captured data). Returns the step id.
   */
  reuseNode(params: ReuseNodeParams): string {
    return this.recorder.reuseNode(params);
  }

  /**
   * Tags an execution started with {@link startExecution} (from inside a decorated one, use
   * `currentExecution()?.tag(key, value)`). Never throws; same limits and counting.
   * @returns whether the tag was kept (false for an execution not running in this logger).
   */
  tag(executionId: string, key: string, value: string | number | boolean | bigint): boolean {
    return this.recorder.tagById(executionId, key, value);
  }

  // ── Decorator paths ──────────────────────────────────────────────────────────────────────────

  /** @internal Runs a `@LoggedWorkflow` method as one recorded execution. */
  runWorkflow(site: WorkflowSite, self: unknown, args: unknown[], method: Method): unknown {
    return this.recorder.runWorkflow(site, self, args, method);
  }

  /** @internal What `currentExecution().tag()` calls. */
  tagExecution(execution: ExecutionState, key: unknown, value: unknown): boolean {
    return this.recorder.tag(execution, key, value);
  }

  /** @internal Runs a `@LoggedNode` method as one recorded step of the context's execution. */
  runNode(site: NodeSite, context: ExecutionContext, self: unknown, args: unknown[], method: Method): unknown {
    return this.recorder.runNode(site, context, self, args, method);
  }

  // ── Maintenance ──────────────────────────────────────────────────────────────────────────────

  /** Writes what is queued now. Resolves true when committed; false when the write failed (records stay queued). */
  flush(): Promise<boolean> {
    return this.pipeline.writer.flush();
  }

  /**
   * Stops recording new executions, waits up to `shutdownGraceMs` for those being recorded to
   * finish, writes everything queued (retrying up to `shutdownTimeoutMs`; what is left goes to the
   * spool) and marks this instance stopped. Records of executions that outlive the grace period
   * go to the spool too, for the next logger on this database. Idempotent; never rejects. Does not
   * close the store, which may be shared.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      // New executions are no longer recorded; those being recorded finish their records first.
      this.recorder.stopAccepting();
      try {
        // After `ready`: start() may still be about to arm the heartbeat timer.
        await this.ready;
        await this.recorder.drained(this.config.shutdownGraceMs);
        this.isEnabled = false;
        this.recountRecording();
        this.lifecycle.stopHeartbeat();
        await this.pipeline.close(this.config.shutdownTimeoutMs);
        // Stopped only once written: other loggers may recover a stopped instance's running rows at once.
        await this.lifecycle.markStopped();
      } catch (error) {
        // Whatever went wrong is reported; shutdown() itself never rejects, so it can be awaited anywhere.
        this.reporter.report(error, { operation: 'shutdown' });
      } finally {
        this.isEnabled = false;
        this.recountRecording();
        removeExitHooks(this.exitHooks);
        if (defaultLogger === this) defaultLogger = null;
      }
    })();
    return this.shutdownPromise;
  }

  stats(): LoggerStats {
    return {
      ...this.pipeline.writer.stats(),
      ...this.recorder.stats(),
      errorsReported: this.reporter.reported,
      writerThread: this.pipeline.threadActive,
    };
  }

  /**
   * Applies the retention rules: each finished status's age (`retention.success`, `.error`,
   * `.interrupted`, else `retentionDays`), then `retention.maxPerWorkflow`. Through the store's
   * cleanup, so in short transactions; running executions are never removed. Call it on a schedule
   * of your own (e.g. daily): nothing runs it by itself.
   * @returns how many executions were removed (their steps went with them).
   */
  async runRetentionCleanup(): Promise<number> {
    let removed = 0;
    for (const rule of retentionPlan(this.config.retention)) {
      const options = rule.status === undefined ? {} : { status: rule.status };
      removed +=
        'keepPerWorkflow' in rule
          ? await this.store.cleanupExcessExecutions(rule.keepPerWorkflow, options)
          : await this.store.cleanupOldExecutions(rule.maxAgeMs, options);
    }
    return removed;
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

/**
 * The caps on captured values and error text, no larger than what one text column holds: past
 * it (MySQL's TEXT) a value would be refused whole instead of stored as a truncation marker.
 */
function fitToColumns(config: ResolvedLoggerConfig, maxTextBytes: number): ResolvedLoggerConfig {
  if (maxTextBytes === Infinity) return config;
  return {
    ...config,
    maxDataSize: Math.min(config.maxDataSize, maxTextBytes),
    maxErrorMessageSize: Math.min(config.maxErrorMessageSize, maxTextBytes),
    maxErrorStackSize: Math.min(config.maxErrorStackSize, maxTextBytes),
  };
}
