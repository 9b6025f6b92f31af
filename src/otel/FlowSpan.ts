import type { ReportError } from '../errors';
import type { OtelApi } from './otelApi';

type Span = OtelApi.Span;
type Context = OtelApi.Context;

/** The error text a span ends with: what the row stores, already masked, redacted and capped. */
export interface SpanError {
  errorMessage: string;
  errorStack: string | null;
  /** The thrown value's class (`error.type` in the semantic conventions). */
  errorType: string;
}

/**
 * A span flowtrail started for an execution or a step: the row stores its ids, the body runs with
 * it active, and it ends with the row's status. Its calls never throw: a failing tracer (a user's
 * own) is reported, and the workflow carries on.
 */
export class FlowSpan {
  constructor(
    private readonly api: typeof OtelApi,
    private readonly span: Span,
    /** The context the body runs in: the caller's, with this span active. */
    readonly activeIn: Context,
    /** `flowtrail.execution.status` or `flowtrail.step.status`. */
    private readonly statusKey: string,
    private readonly report: ReportError,
  ) {}

  /** The span's trace and span ids (hex), as the row stores them. */
  spanContext(): OtelApi.SpanContext {
    return this.span.spanContext();
  }

  setAttribute(key: string, value: string): void {
    try {
      this.span.setAttribute(key, value);
    } catch (error) {
      this.report(error, { operation: 'otel' });
    }
  }

  /** Runs `body` with this span active, so spans it starts (and child workflows) nest under it. */
  run<T>(body: () => T): T {
    return this.api.context.with(this.activeIn, body);
  }

  /** Ends the span with the row's status; an error sets the span's status and records the exception, by the stored text only. */
  end(status: string, error: SpanError | null): void {
    try {
      this.span.setAttribute(this.statusKey, status);
      if (error !== null) {
        this.span.setAttribute('error.type', error.errorType);
        this.span.recordException({ name: error.errorType, message: error.errorMessage, stack: error.errorStack ?? undefined });
        this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.errorMessage });
      }
      this.span.end();
    } catch (caught) {
      this.report(caught, { operation: 'otel' });
    }
  }
}
