import { CapturedJson } from './CapturedJson';
import { errorMessage } from './errorMessage';
import { plainJson } from './plainJson';
import { statelessPattern } from './redact';
import { serialize } from './serialize';
import { fitToBytes, MIN_DATA_SIZE, truncationMarker } from './truncate';

/** How node inputs and outputs are turned into storable JSON. */
export interface CaptureOptions {
  /** Cap on the UTF-8 byte length of JSON.stringify(result). */
  maxDataSize: number;
  /** Keys whose values are replaced by "[REDACTED]" at any depth. */
  redact: RegExp;
}

/** Stored when capturing fails in a way the serializer did not anticipate. */
interface CaptureFailure {
  _captureError: string;
}

/**
 * Turns arbitrary data into plain JSON data that is safe to store: cycles, exotic
 * objects, throwing getters/proxies/toJSON are represented rather than fatal, values
 * under keys matching `options.redact` become "[REDACTED]", and anything whose JSON is
 * larger than `options.maxDataSize` UTF-8 bytes becomes a {@link TruncatedData} marker.
 *
 * Never throws and never modifies `value` (user getters and toJSON methods do run).
 * Returns undefined only when `value` itself is (or its toJSON returns) undefined.
 *
 * @see TruncatedData
 */
export function captureData(value: unknown, options: CaptureOptions): unknown {
  let limit = MIN_DATA_SIZE;
  try {
    limit = effectiveLimit(options.maxDataSize);
    const result = serialize(value, limit, statelessPattern(options.redact));
    return result.overLimit ? truncationMarker(result.value, result.size, limit, result.sizeIsLowerBound) : result.value;
  } catch (error) {
    return captureFailure(error, limit);
  }
}

/**
 * {@link captureData}, as JSON text: what the logger stores. Plain data takes a one-pass fast
 * path; the rest, and anything that throws on the way, the full serializer.
 */
export function captureJson(value: unknown, options: CaptureOptions): CapturedJson | undefined {
  if (value === undefined) return undefined;
  try {
    const json = plainJson(value, effectiveLimit(options.maxDataSize), statelessPattern(options.redact));
    if (json !== undefined) return new CapturedJson(json);
  } catch {
    // A getter or a proxy trap threw: the full serializer records what it was.
  }
  const data = captureData(value, options);
  return data === undefined ? undefined : new CapturedJson(JSON.stringify(data));
}

/** Callers validate against MIN_DATA_SIZE; a NaN or negative cap must still yield a bound. */
function effectiveLimit(maxDataSize: unknown): number {
  if (typeof maxDataSize !== 'number' || Number.isNaN(maxDataSize)) return MIN_DATA_SIZE;
  return Math.max(0, maxDataSize);
}

function captureFailure(error: unknown, limit: number): CaptureFailure {
  try {
    const overhead = Buffer.byteLength(JSON.stringify({ _captureError: '' }), 'utf8');
    return { _captureError: fitToBytes(errorMessage(error), limit - overhead) };
  } catch {
    return { _captureError: 'capture failed' };
  }
}
