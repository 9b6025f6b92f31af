import type { ReportError } from '../errors';
import type { Context, OtelApi, Span } from './otelApi';

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
    private readonly api: OtelApi,
    /** The OpenTelemetry span itself. */
    readonly otelSpan: Span,
    /** The context the body runs in: the caller's, with this span active. */
    readonly activeIn: Context,
    /** `flowtrail.execution.status` or `flowtrail.step.status`. */
    private readonly statusKey: string,
    private readonly report: ReportError,
  ) {}

  /** Runs `body` with this span active, so spans it starts (and child workflows) nest under it. */
  run<T>(body: () => T): T {
    return this.api.context.with(this.activeIn, body);
  }

  /** Ends the span with the row's status; an error sets the span's status and records the exception, by the stored text only. */
  end(status: string, error: SpanError | null): void {
    try {
      this.otelSpan.setAttribute(this.statusKey, status);
      if (error !== null) {
        this.otelSpan.setAttribute('error.type', error.errorType);
        this.otelSpan.recordException({ name: error.errorType, message: error.errorMessage, stack: error.errorStack ?? undefined });
        this.otelSpan.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.errorMessage });
      }
      this.otelSpan.end();
    } catch (caught) {
      this.report(caught, { operation: 'otel' });
    }
  }
}
