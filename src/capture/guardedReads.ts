import { BUFFER_TO_JSON, DATE_TO_JSON, floor, min, URL_TO_JSON } from './builtins';
import { errorMessage, unserializable } from './errorMessage';
import { maskUrl } from './maskUrl';

// Reads from user data run user code (getters, proxy traps, toJSON methods) and so may throw or
// answer nonsense. Each read here turns what it finds into a value or a marker string.

/**
 * Applies a user-defined toJSON the way JSON.stringify does: once, by the holder, before
 * deciding whether the value is omitted. Date and Buffer keep capture's representation; a URL's
 * credentials are masked.
 */
export function applyToJSON(value: unknown, key: string | number, redact: RegExp): unknown {
  if (typeof value !== 'object' || value === null) return value;
  let toJSON: unknown;
  try {
    toJSON = (value as { toJSON?: unknown }).toJSON;
  } catch (error) {
    return unserializable(error);
  }
  if (typeof toJSON !== 'function' || toJSON === DATE_TO_JSON || toJSON === BUFFER_TO_JSON) return value;
  try {
    // A URL's own text may carry a password or a token parameter.
    if (toJSON === URL_TO_JSON) return maskUrl(value as URL, redact);
    return toJSON.call(value, String(key)) as unknown;
  } catch (error) {
    return `[toJSON threw: ${errorMessage(error)}]`;
  }
}

/** `source[key]`, or a marker when a getter or proxy trap throws. */
export function readMember(source: object, key: string | number): unknown {
  try {
    return (source as Record<string | number, unknown>)[key];
  } catch (error) {
    return `[Getter threw: ${errorMessage(error)}]`;
  }
}

/**
 * Length as JSON.stringify would read it, defensive against proxies reporting nonsense.
 * May throw (a proxy trap).
 */
export function arrayLength(items: readonly unknown[]): number {
  const length: unknown = items.length;
  return typeof length === 'number' && length > 0 ? min(floor(length), 2 ** 32 - 1) : 0;
}

/** The marker stored for a function: `[Function: name]`. */
export function functionLabel(fn: object): string {
  let name: unknown;
  try {
    name = (fn as { name?: unknown }).name;
  } catch (error) {
    return unserializable(error);
  }
  return `[Function: ${typeof name === 'string' && name !== '' ? name : 'anonymous'}]`;
}
