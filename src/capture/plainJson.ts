import { Buffer } from 'node:buffer';
import { types } from 'node:util';
import {
  ARRAY_PROTOTYPE,
  DATE_PROTOTYPE,
  DATE_TO_JSON,
  dateGetTime,
  dateToISOString,
  getPrototypeOf,
  isArray,
  isFiniteNumber,
  isNaN,
  NEEDS_ESCAPING,
  OBJECT_PROTOTYPE,
  ownEnumerableKeys,
} from './builtins';
import { KeyCaches, rememberKey } from './keyCache';
import { REDACTED } from './redact';
import { MAX_DEPTH, RAW_HEADERS } from './serialize';

/**
 * The fast path of capture. Nearly everything a workflow passes between nodes is plain JSON
 * data: objects, arrays, strings, numbers, booleans, null and dates. For those, the JSON text is
 * written in one pass that reads each property once, as the full serializer would, and yields
 * the exact text `JSON.stringify(serialize(value))` would produce, sensitive keys redacted
 * without reading their values. Anything else, or anything over the size limit, returns
 * undefined and takes the full serializer, which knows how to represent it.
 *
 * May throw (a getter, a proxy trap): the caller falls back to the full serializer then too.
 */
export function plainJson(value: unknown, limit: number, redact: RegExp): string | undefined {
  const writer = new PlainJsonWriter(limit, keyCaches.of(redact), redact);
  if (!writer.write(value, 0)) return undefined;
  // Joined once rather than concatenated piece by piece: a string built with += is a tree of
  // slices that V8 keeps as it is, and thousands of those waiting in the write queue made the
  // garbage collector, not the capture, the cost of a step.
  const json = writer.parts.join('');
  if (json.length > limit) return undefined;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only long texts need counting.
  if (json.length * 3 > limit && Buffer.byteLength(json, 'utf8') > limit) return undefined;
  return json;
}

const REDACTED_JSON = JSON.stringify(REDACTED);

// A key's `"key":` prefix, null when its value must be redacted, FULL_SERIALIZER for a header list.
const FULL_SERIALIZER = '';
const keyCaches = new KeyCaches<string | null>();

class PlainJsonWriter {
  readonly parts: string[] = [];
  // Characters written so far: stops the walk early on data far over the limit.
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly keys: Map<string, string | null>,
    private readonly redact: RegExp,
  ) {}

  /** Appends the JSON of `value`; false when the full serializer must take over. */
  write(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case 'string':
        // Most strings need no escaping, and telling so costs less than JSON.stringify's setup.
        return this.leaf(NEEDS_ESCAPING.test(value) ? JSON.stringify(value) : `"${value}"`);
      case 'number':
        // String() and JSON agree on finite numbers, -0 included ("0").
        return this.leaf(isFiniteNumber(value) ? String(value) : 'null');
      case 'boolean':
        return this.leaf(value ? 'true' : 'false');
      case 'object':
        return value === null ? this.leaf('null') : this.object(value, depth);
      default:
        // undefined at the root, bigint, symbol, function: the full serializer's business.
        return false;
    }
  }

  private leaf(json: string): boolean {
    this.parts.push(json);
    this.size += json.length;
    return this.size <= this.limit;
  }

  private object(value: object, depth: number): boolean {
    if (depth >= MAX_DEPTH) return false; // also where a cycle ends up
    const prototype: unknown = getPrototypeOf(value);
    if (prototype === OBJECT_PROTOTYPE || prototype === null) {
      return (value as { toJSON?: unknown }).toJSON === undefined && this.plain(value as Record<string, unknown>, depth);
    }
    if (prototype === ARRAY_PROTOTYPE) {
      return isArray(value) && (value as { toJSON?: unknown }).toJSON === undefined && this.array(value as unknown[], depth);
    }
    if (prototype === DATE_PROTOTYPE && types.isDate(value) && (value as Date).toJSON === DATE_TO_JSON) {
      return this.leaf(isNaN(dateGetTime.call(value)) ? '"Invalid Date"' : `"${dateToISOString.call(value)}"`);
    }
    return false;
  }

  private array(items: readonly unknown[], depth: number): boolean {
    this.parts.push('[');
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.parts.push(',');
      const item = items[i];
      // A [name, value] pair in a list, with a sensitive name: the full serializer redacts the value.
      if (isArray(item) && item.length === 2 && typeof item[0] === 'string' && this.redact.test(item[0])) return false;
      if (!(item === undefined ? this.leaf('null') : this.write(item, depth + 1))) return false;
    }
    this.parts.push(']');
    return true;
  }

  private plain(source: Record<string, unknown>, depth: number): boolean {
    this.parts.push('{');
    let first = true;
    for (const key of ownEnumerableKeys(source)) {
      const prefix = this.keyPrefix(key);
      if (prefix === FULL_SERIALIZER) return false;
      if (prefix === null) {
        if (!this.leaf(`${first ? '' : ','}${JSON.stringify(key)}:${REDACTED_JSON}`)) return false;
      } else {
        const item = source[key];
        if (item === undefined) continue; // omitted, as JSON does
        if (!this.leaf(first ? prefix : `,${prefix}`) || !this.write(item, depth + 1)) return false;
      }
      first = false;
    }
    this.parts.push('}');
    return true;
  }

  private keyPrefix(key: string): string | null {
    let prefix = this.keys.get(key);
    if (prefix !== undefined) return prefix;
    prefix = this.redact.test(key) ? null : RAW_HEADERS.test(key) ? FULL_SERIALIZER : `${JSON.stringify(key)}:`;
    rememberKey(this.keys, key, prefix);
    return prefix;
  }
}
