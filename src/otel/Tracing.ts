import { ConfigError, type ReportError } from '../errors';
import { FlowSpan } from './FlowSpan';
import { contextManagerRegistered, loadOtelApi, type Attributes, type OtelApi, type Span, type Tracer } from './otelApi';
import type { ResolvedOtelConfig } from './OtelConfig';

/** A span's ids as rows store them: 32 and 16 lowercase hex digits. */
export interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
}

/** What an execution span is named and labelled by: the row's own values. */
export interface ExecutionSpanFields {
  id: string;
  workflowId: string;
  workflowName: string;
  triggerType: string;
}

/** What a step span is named and labelled by: the row's own values. */
export interface StepSpanFields {
  id: string;
  executionId: string;
  nodeId: string;
  nodeType: string;
  nodeName: string | null;
  stepIndex: number;
}

const INTERNAL_KIND = 0; // SpanKind.INTERNAL, a const enum of the API

/**
 * The logger's side of OpenTelemetry, both ways: it reads the span active when a row starts (its
 * ids go on the row), and with `otel.spans` it starts a span per execution and per step.
 *
 * `@opentelemetry/api` is an optional peer: nothing of it is loaded until a context manager is
 * registered in the process (without one no span can be active) or spans are turned on.
 */
export class Tracing {
  /** Whether this logger starts spans: the flag its hot path checks. */
  readonly spans: boolean;
  private api: OtelApi | null = null;
  private readonly tracer: Tracer | null = null;
  /** The span {@link idsOf} last read, and its ids: the steps of a run mostly start under the same span. */
  private lastSpan: Span | undefined;
  private lastIds: TraceIds | null = null;

  /** @throws ConfigError when spans are asked for and `@opentelemetry/api` cannot be loaded. */
  constructor(
    config: ResolvedOtelConfig,
    private readonly report: ReportError,
  ) {
    this.spans = config.spans;
    if (!config.spans) return;
    this.api = loadOtelApi();
    if (this.api === null) throw new ConfigError('otel.spans', true, 'false, or @opentelemetry/api installed');
    // The API's global tracer delegates to whichever provider is registered, even one registered later.
    this.tracer = (config.tracer as Tracer | undefined) ?? this.api.trace.getTracer('flowtrail');
  }

  /**
   * The ids of the span active now, or null: in a process with no context manager, one property
   * read; with one, a context lookup.
   */
  activeIds(): TraceIds | null {
    if (!contextManagerRegistered()) return null;
    const api = this.api ?? (this.api = loadOtelApi());
    if (api === null) return null;
    try {
      const span = api.trace.getSpan(api.context.active());
      return span === undefined ? null : this.idsOf(span);
    } catch (error) {
      this.report(error, { operation: 'otel' });
      return null;
    }
  }

  /**
   * A span's ids, when they are valid: a span of the no-op tracer (no provider registered) has ids
   * of zeros, and one made from a foreign context (or by a tracer of the user's) may have anything,
   * or throw, which no row should store nor the workflow see.
   */
  idsOf(span: Span): TraceIds | null {
    if (span === this.lastSpan) return this.lastIds;
    let ids: TraceIds | null;
    try {
      const context = span.spanContext();
      ids = this.api!.isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : null;
    } catch (error) {
      this.report(error, { operation: 'otel' });
      ids = null;
    }
    this.lastSpan = span;
    this.lastIds = ids;
    return ids;
  }

  /** Starts an execution's span, child of the span active now (a step's, for a child workflow); null if the tracer fails. */
  startExecution(row: ExecutionSpanFields): FlowSpan | null {
    return this.start(
      `workflow ${row.workflowId}`,
      {
        'flowtrail.execution.id': row.id,
        'flowtrail.workflow.id': row.workflowId,
        'flowtrail.workflow.name': row.workflowName,
        'flowtrail.trigger.type': row.triggerType,
      },
      'flowtrail.execution.status',
      null,
      true,
    );
  }

  /**
   * Starts a step's span. With `inBody` (the step starts inside its execution's body) it is the
   * child of the span active now: the execution's, or a span the body started around the node;
   * otherwise, or when no span is active there, of the execution's span.
   */
  startStep(row: StepSpanFields, execution: FlowSpan | null, inBody: boolean): FlowSpan | null {
    const attributes: Attributes = {
      'flowtrail.execution.id': row.executionId,
      'flowtrail.step.id': row.id,
      'flowtrail.step.index': row.stepIndex,
      'flowtrail.node.id': row.nodeId,
      'flowtrail.node.type': row.nodeType,
    };
    if (row.nodeName !== null) attributes['flowtrail.node.name'] = row.nodeName;
    return this.start(`${row.nodeType} ${row.nodeId}`, attributes, 'flowtrail.step.status', execution, inBody);
  }

  private start(name: string, attributes: Attributes, statusKey: string, execution: FlowSpan | null, inBody: boolean): FlowSpan | null {
    const api = this.api!;
    try {
      let parent = api.context.active();
      if (execution !== null && (!inBody || api.trace.getSpan(parent) === undefined)) parent = execution.activeIn;
      const span = this.tracer!.startSpan(name, { kind: INTERNAL_KIND, attributes }, parent);
      return new FlowSpan(api, span, api.trace.setSpan(parent, span), statusKey, this.report);
    } catch (error) {
      this.report(error, { operation: 'otel' });
      return null;
    }
  }
}
