import { maskCredentials } from '../credentials';
import { capText } from './errorDetails';
import type { ErrorReporter } from './ErrorReporter';
import { labelText } from './labelText';

/**
 * Names, ids, types and reasons as records store them, from whatever an option function or a
 * caller gave. A value with no usable text (a function, an object whose `String()` throws) is
 * replaced by the field's default and reported once per field: the record is still written,
 * and nothing is thrown into the workflow.
 */
export class Labels {
  /** Fields already reported: once each, not once per record. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly reporter: ErrorReporter,
    private readonly maxReasonBytes: number,
  ) {}

  label(value: unknown, fallback: string, field: string): string {
    if (typeof value === 'string') return value;
    return this.optional(value, field) ?? fallback;
  }

  /** For a field that may be empty: null and undefined are null, silently. */
  optional(value: unknown, field: string): string | null {
    if (typeof value === 'string') return value;
    if (value === null || value === undefined) return null;
    const text = labelText(value);
    if (text !== undefined) return text;
    if (!this.reported.has(field)) {
      this.reported.add(field);
      this.reporter.report(new TypeError(`${field} is a ${typeof value} with no text to store; recorded as its default`), {
        operation: 'capture',
      });
    }
    return null;
  }

  /** Why a step was skipped, stored as its message: made text, then masked and capped like an error message. */
  reason(reason: unknown): string | null {
    const text = this.optional(reason, 'reason');
    return text === null ? null : capText(maskCredentials(text), this.maxReasonBytes);
  }
}
