import { buildRedactPattern, captureJson, type CaptureOptions } from '../capture';
import type { ResolvedLoggerConfig } from '../config/LoggerConfig';
import type { ExecutionStatus, StepStatus, TriggerType } from '../entities';
import { uuidv7 } from '../ids';
import { spanError } from '../otel/spanError';
import type { FlowSpan, SpanError } from '../otel/FlowSpan';
import type { StepSpanFields, TraceIds, Tracing } from '../otel/Tracing';
import type { ExecutionPatch, StepPatch } from '../store/types';
import type { BatchWriter } from '../writer/BatchWriter';
import { executionContext, type ExecutionContext, type ExecutionState } from './context';
import { DefinitionQueue } from './DefinitionQueue';
import { errorDetails, type ErrorTextOptions } from './errorDetails';
import type { ErrorReporter } from './ErrorReporter';
import type { ExecutionLogger } from './ExecutionLogger';
import type { InFlight } from './InFlight';
import { Labels } from './Labels';
import type { ReuseNodeParams, SkipNodeParams, StartExecutionParams } from './recordParams';
import { TagSet } from './TagSet';

/** What the recorder reads of the configuration. */
export type RecorderSettings = Pick<
  ResolvedLoggerConfig,
  'captureInputs' | 'captureOutputs' | 'durability' | 'maxDataSize' | 'redactKeys' | 'maxErrorMessageSize' | 'maxErrorStackSize'
>;

/**
 * The records of executions and steps: builds their rows and patches (labels, captured data,
 * error text, trace ids, tags), queues them on the writer, and says what a caller that can wait
 * waits for after a write. It holds what a row needs between its start and its end: the step's
 * span, the execution's count in flight.
 *
 * Apart from the {@link Recorder}, which decides whether and when a call is recorded. One
 * concrete class the recorder calls on every step, so those calls stay monomorphic.
 */
export class Records {
  private readonly instanceId: string;
  private readonly capture: CaptureOptions;
  private readonly errorText: ErrorTextOptions;
  private readonly labels: Labels;
  private readonly captureInputs: boolean;
  private readonly captureOutputs: boolean;
  private readonly strict: boolean;
  /** The spans of steps running now, by step id; empty unless `otel.spans`. */
  private readonly stepSpans = new Map<string, FlowSpan>();
  private readonly counters = { executionsStarted: 0, stepsStarted: 0, tagsDropped: 0 };
  private readonly definitions: DefinitionQueue;

  constructor(
    /** Its `recordsSteps` says whether a tag is still recorded; its id is the rows' `instanceId`. */
    private readonly logger: ExecutionLogger,
    private readonly writer: BatchWriter,
    private readonly reporter: ErrorReporter,
    settings: RecorderSettings,
    /** Reads the span active as a row starts, and starts spans of its own with `otel.spans`. */
    private readonly tracing: Tracing,
    /** Counts the executions between their start and end records. */
    private readonly inFlight: InFlight,
  ) {
    this.instanceId = logger.instanceId;
    this.capture = { maxDataSize: settings.maxDataSize, redact: buildRedactPattern(settings.redactKeys) };
    this.labels = new Labels(reporter, settings.maxErrorMessageSize);
    this.definitions = new DefinitionQueue(writer, this.labels);
    this.errorText = {
      redact: this.capture.redact,
      maxMessageBytes: settings.maxErrorMessageSize,
      maxStackBytes: settings.maxErrorStackSize,
    };
    this.captureInputs = settings.captureInputs;
    this.captureOutputs = settings.captureOutputs;
    this.strict = settings.durability === 'strict';
  }

  /** Executions and steps started so far, and tags dropped for not fitting the limits. */
  stats(): { executionsStarted: number; stepsStarted: number; tagsDropped: number } {
    return { ...this.counters };
  }

  openExecution(params: StartExecutionParams, parent: ExecutionContext | undefined): ExecutionState {
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
    this.inFlight.started();
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
      definitionHash: params.definition === undefined ? null : this.definitions.queue(params.definition),
    });
    return execution;
  }

  /** The ids a row stores: those of its own span, else of the span active as it starts, else none. */
  private traceIds(span: FlowSpan | null): TraceIds | null {
    return span === null ? this.tracing.activeIds() : this.tracing.idsOf(span.otelSpan);
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

  closeExecution(execution: ExecutionState, status: ExecutionStatus, error: unknown, canWait: boolean): Promise<void> | undefined {
    const completedAt = Date.now();
    this.inFlight.ended();
    const patch: ExecutionPatch = { status, completedAt, durationMs: completedAt - execution.startedAt };
    if (status === 'error') Object.assign(patch, errorDetails(error, this.errorText));
    if (execution.span !== null) execution.span.end(status, status === 'error' ? spanError(error, patch) : null);
    return this.complete(canWait, this.writer.queuesExecution(execution.id), () => this.writer.updateExecution(execution.id, patch));
  }

  recordStep(
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

  /** A step of a node that did not run (an untaken branch): ended as it starts. Returns its id. */
  skipStep(execution: ExecutionState, params: SkipNodeParams): string {
    const now = Date.now();
    const stepId = this.recordStep(execution, params, 'skipped', now, {
      completedAt: now,
      durationMs: 0,
      errorMessage: this.labels.reason(params.reason),
    });
    if (this.tracing.spans) this.endStepSpan(stepId, 'skipped', null);
    return stepId;
  }

  /** A step whose result is another step's (see `Recorder.reuseNode`): ended as it starts. Returns its id. */
  reuseStep(execution: ExecutionState, params: ReuseNodeParams): string {
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
  }

  closeStep(
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

  /** The span a running step's body runs in, if flowtrail started one for it. */
  stepSpan(stepId: string): FlowSpan | undefined {
    return this.tracing.spans ? this.stepSpans.get(stepId) : undefined;
  }

  /**
   * Writes a completion whose timestamps are already taken. One that its caller can wait for
   * waits for room first while the database answers but the queue is full, for the reason of
   * `Recorder.afterRoom`; one that folds into its insert still in memory only while memory is
   * full of bytes, since it adds no record.
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
  waitAfterWrite(): Promise<void> | undefined {
    if (this.strict) return this.writer.persist().then(() => undefined);
    if (this.writer.mustWait) return this.writer.waitForRoom();
    return undefined;
  }

  captureInput(value: unknown): unknown {
    return this.captureInputs && value !== undefined ? captureJson(value, this.capture) : undefined;
  }

  captureOutput(value: unknown): unknown {
    return this.captureOutputs && value !== undefined ? captureJson(value, this.capture) : undefined;
  }
}
