import { maskCredentials } from '../credentials';
import type { ErrorContext, ReportError } from '../errors';

export type { ErrorContext, ReportError } from '../errors';

/**
 * Operations retried on a timer or at every start: while one keeps failing, its first failure
 * is the report and the rest are the same outage.
 */
const ONCE_PER_OUTAGE: ReadonlySet<string> = new Set(['heartbeat', 'recovery']);

/**
 * The one place a logger's failures go. Calls `onError` once per outage of each repeating
 * operation (a heartbeat failing at every interval is one report, not a stream), warns once when
 * nobody listens, counts what it reports, and cannot throw: instrumentation must never turn a
 * contained failure into a workflow failure.
 */
export class ErrorReporter {
  private count = 0;
  private readonly failing = new Set<string>();
  private warned = false;

  /** Bound once, so that the writer and the spool can hold it. */
  readonly report: ReportError = (error, context) => this.reportError(error, context);

  constructor(private readonly onError: ReportError | undefined) {}

  /** Failures passed on (to `onError`, or to the one warning); repeats within an outage are not counted. */
  get reported(): number {
    return this.count;
  }

  /** `operation` succeeded: its next failure is a new outage, and is reported again. */
  recovered(operation: string): void {
    this.failing.delete(operation);
  }

  private reportError(error: unknown, context: ErrorContext): void {
    if (ONCE_PER_OUTAGE.has(context.operation)) {
      if (this.failing.has(context.operation)) return;
      this.failing.add(context.operation);
    }
    this.count++;
    try {
      if (this.onError) {
        this.onError(error, context);
        return;
      }
    } catch {
      // A throwing handler must not turn a contained failure into a workflow failure.
    }
    if (this.warned) return;
    this.warned = true;
    try {
      // Printed, so masked as stored error text is: an option function's error may name a connection URL.
      const message = maskCredentials(String(error instanceof Error ? error.message : error));
      process.emitWarning(`flowtrail: ${context.operation} failed: ${message} (further failures are counted in logger.stats())`, {
        code: 'FLOWTRAIL_STORAGE',
      });
    } catch {
      // Nothing left to tell.
    }
  }
}
