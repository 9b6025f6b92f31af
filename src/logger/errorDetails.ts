import { captureJson, type CaptureOptions } from '../capture';
import { maskCredentials } from '../credentials';

const MAX_CAUSES = 8;

/** How error text is made safe to store: the data redaction, and a cap on each field. */
export interface ErrorTextOptions {
  /** Keys redacted in a thrown value that is not an Error (a plain object, a `cause` object). */
  redact: RegExp;
  /** Cap, in UTF-8 bytes, on the stored message. */
  maxMessageBytes: number;
  /** Cap, in UTF-8 bytes, on the stored stack (with its causes). */
  maxStackBytes: number;
}

/**
 * Message and stack of anything thrown, with the `cause` chain appended to the stack. A thrown
 * value or cause that is not an Error is captured like data (sensitive keys redacted), URL
 * credentials in the text are masked, and each field is capped: a 20 MB message must not reach
 * the history four times over. Reads each property defensively: a thrown value can be a Proxy or
 * have throwing getters, and recording it must never throw in its place.
 */
export function errorDetails(thrown: unknown, options: ErrorTextOptions): { errorMessage: string; errorStack: string | null } {
  const message = safe(() => (thrown instanceof Error ? String(thrown.message) : describe(thrown, options)), 'unknown error');
  const stack = safe(() => stackWithCauses(thrown, options), null);
  return {
    errorMessage: capText(maskCredentials(message), options.maxMessageBytes),
    errorStack: stack === null ? null : capText(maskCredentials(stack), options.maxStackBytes),
  };
}

function stackWithCauses(thrown: unknown, options: ErrorTextOptions): string | null {
  if (!(thrown instanceof Error)) return null;
  const parts = [ownStack(thrown)];
  let bytes = parts[0]!.length;
  const seen = new Set<unknown>([thrown]);
  let cause = safe(() => thrown.cause, undefined);
  // Stops once past the cap: the rest would be cut anyway.
  while (cause !== undefined && cause !== null && !seen.has(cause) && parts.length <= MAX_CAUSES && bytes <= options.maxStackBytes) {
    seen.add(cause);
    const part = `Caused by: ${cause instanceof Error ? ownStack(cause) : describe(cause, options)}`;
    parts.push(part);
    bytes += part.length;
    const current: unknown = cause;
    cause = current instanceof Error ? safe(() => current.cause, undefined) : undefined;
  }
  return parts.join('\n');
}

function ownStack(error: Error): string {
  const stack = safe(() => error.stack, undefined);
  return typeof stack === 'string' ? stack : `${safe(() => String(error.name), 'Error')}: ${safe(() => String(error.message), '')}`;
}

/** A thrown value that is not an Error: a string as it is, anything else captured like data. */
function describe(value: unknown, options: ErrorTextOptions): string {
  if (typeof value === 'string') return value;
  const capture: CaptureOptions = { redact: options.redact, maxDataSize: Math.max(options.maxMessageBytes, options.maxStackBytes) };
  return captureJson(value, capture)?.json ?? String(value);
}

const ELLIPSIS = '… [cut at ';

/** The text cut to at most `maxBytes` UTF-8 bytes, between code points, saying where it was cut. */
export function capText(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 bytes: short texts need no counting.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const total = Buffer.byteLength(text, 'utf8');
  const note = `${ELLIPSIS}${maxBytes} of ${total} bytes]`;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(note, 'utf8'));
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const code = text.codePointAt(end)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > budget) break;
    bytes += size;
    end += code >= 0x10000 ? 2 : 1;
  }
  return `${text.slice(0, end)}${note}`;
}

function safe<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read();
  } catch {
    return fallback;
  }
}
