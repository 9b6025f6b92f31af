import { Buffer } from 'node:buffer';
import { types } from 'node:util';
import {
  BUFFER_TO_JSON,
  bufferToString,
  DATE_TO_JSON,
  dateGetTime,
  dateToISOString,
  floor,
  getPrototypeOf,
  isArray,
  isFiniteNumber,
  isNaN,
  mapEntries,
  min,
  OBJECT_PROTOTYPE,
  ownEnumerableKeys,
  regExpToString,
  setValues,
  typedArrayLength,
  typedArrayName,
} from './builtins';
import { jsonStringBytes, numberBytes } from './jsonBytes';
import { KeyCaches, rememberKey } from './keyCache';
import { REDACTED } from './redact';
import { cutAtCodePoint } from './truncate';

/** Result of one walk over captured data. */
export interface Serialized {
  /**
   * The JSON-safe copy. When `overLimit` is true it is only complete up to the point
   * where the limit was crossed: it serializes to the real JSON for at least the first
   * `limit` bytes, which is all a preview needs.
   */
  readonly value: unknown;
  /** Exact UTF-8 byte length of `JSON.stringify` of the complete copy. */
  readonly size: number;
  readonly overLimit: boolean;
}

/** Nesting level (root = 0) from which objects are replaced by "[MaxDepth]". */
export const MAX_DEPTH = 64;
/** Leading bytes of a Buffer kept as base64. */
export const BUFFER_PREVIEW_BYTES = 1024;
/** Leading elements of other binary views kept as numbers. */
export const BINARY_PREVIEW_VALUES = 256;

// Messages go into marker strings; a huge message must not dominate the stored data.
const MAX_MESSAGE_LENGTH = 500;
const CIRCULAR = '[Circular]';
const MAX_DEPTH_MARK = '[MaxDepth]';

// Returned instead of a value that is not kept: only happens once over the limit,
// where the walk continues solely to count bytes.
const SKIP = Symbol('skip');
/** A JSON-safe value, or SKIP. */
type Out = unknown;

const enum Kind {
  Array,
  Plain,
  Error,
  Date,
  Buffer,
  TypedArray,
  ArrayBuffer,
  DataView,
  Map,
  Set,
  Boxed,
  RegExp,
  Promise,
  WeakMap,
  WeakSet,
}

// Fields read from every error (own or inherited, enumerable or not), in output order.
// `errors` carries the members of an AggregateError.
const ERROR_FIELDS: readonly string[] = ['name', 'message', 'stack', 'code', 'cause', 'errors'];
const ERROR_RESERVED = new Set(['_type', ...ERROR_FIELDS]);

/** What the walk needs to know about an object key; remembered per key and redact pattern. */
interface KeyFacts {
  /** UTF-8 byte length of the key as a JSON string, quotes included. */
  readonly jsonBytes: number;
  /** Whether the key's value is replaced by REDACTED, without being read. */
  readonly redacted: boolean;
}

const keyCaches = new KeyCaches<KeyFacts>();

const ERROR_HEAD = '{"_type":"Error"';
const MAP_HEAD = '{"_type":"Map","entries":[';
const SET_HEAD = '{"_type":"Set","values":[';
const CLOSE_WRAPPER = 2; // "]}"

/**
 * Walks `value` once, producing a JSON-safe copy with sensitive keys redacted while
 * counting the exact byte size of its JSON. Past `limit` bytes the copy stops growing
 * and the walk only counts. Never throws for any input data.
 */
export function serialize(value: unknown, limit: number, redact: RegExp): Serialized {
  const walker = new Walker(limit, redact);
  const resolved = walker.resolve(value, '');
  const tree = resolved === undefined ? undefined : walker.walk(resolved, 0);
  return { value: tree, size: walker.size, overLimit: walker.over };
}

/** Message of anything thrown, for markers; never throws itself. */
export function errorMessage(thrown: unknown): string {
  try {
    const message = thrown instanceof Error ? thrown.message : thrown;
    const text = String(message);
    return text.length > MAX_MESSAGE_LENGTH ? `${cutAtCodePoint(text, MAX_MESSAGE_LENGTH)}…` : text;
  } catch {
    return 'unknown error';
  }
}

function unserializable(thrown: unknown): string {
  return `[Unserializable: ${errorMessage(thrown)}]`;
}

/**
 * Walk state. Invariant that makes previews work without a second pass: the byte
 * count only crosses the limit right after a complete value, and everything counted
 * until then is in the copy (containers are attached by their parent on return, even
 * if the limit was crossed inside them).
 */
class Walker {
  size = 0;
  over = false;
  private readonly ancestors: object[] = [];
  private readonly keyCache: Map<string, KeyFacts>;

  constructor(
    private readonly limit: number,
    private readonly redact: RegExp,
  ) {
    this.keyCache = keyCaches.of(redact);
  }

  /**
   * Applies a user-defined toJSON the way JSON.stringify does: once, by the holder,
   * before deciding whether the value is omitted.
   */
  resolve(value: unknown, key: string | number): unknown {
    if (typeof value !== 'object' || value === null) return value;
    let toJSON: unknown;
    try {
      toJSON = (value as { toJSON?: unknown }).toJSON;
    } catch (error) {
      return unserializable(error);
    }
    if (typeof toJSON !== 'function' || toJSON === DATE_TO_JSON || toJSON === BUFFER_TO_JSON) return value;
    try {
      return toJSON.call(value, String(key)) as unknown;
    } catch (error) {
      return `[toJSON threw: ${errorMessage(error)}]`;
    }
  }

  /** Serializes an already resolved, non-omitted value. */
  walk(value: unknown, depth: number): Out {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        return this.leaf(value, value ? 4 : 5);
      case 'bigint':
        return this.text(`${value}n`);
      case 'symbol':
        return this.text(String(value));
      case 'function':
        return this.text(functionLabel(value));
      case 'undefined':
        return this.leaf(null, 4);
      default:
        return value === null ? this.leaf(null, 4) : this.object(value as object, depth);
    }
  }

  private leaf<T>(value: T, bytes: number): T | typeof SKIP {
    const keep = !this.over;
    this.size += bytes;
    this.settle();
    return keep ? value : SKIP;
  }

  private settle(): void {
    if (this.size > this.limit) this.over = true;
  }

  private text(value: string): Out {
    return this.leaf(value, jsonStringBytes(value));
  }

  private number(value: number): Out {
    if (!isFiniteNumber(value)) return this.leaf(null, 4);
    const normalized = value === 0 ? 0 : value; // -0 would not survive a JSON round trip
    return this.leaf(normalized, numberBytes(normalized));
  }

  /** A slot in an array-like position, where JSON turns undefined into null. */
  private item(value: unknown, depth: number): Out {
    return value === undefined ? this.leaf(null, 4) : this.walk(value, depth + 1);
  }

  private object(value: object, depth: number): Out {
    if (this.ancestors.includes(value)) return this.text(CIRCULAR);
    if (depth >= MAX_DEPTH) return this.text(MAX_DEPTH_MARK);
    let kind: Kind;
    try {
      kind = classify(value);
    } catch (error) {
      return this.text(unserializable(error));
    }
    switch (kind) {
      case Kind.Array:
        return this.array(value as readonly unknown[], depth);
      case Kind.Plain:
        return this.plain(value, depth);
      case Kind.Error:
        return this.error(value, depth);
      case Kind.Map:
        return this.map(value as Map<unknown, unknown>, depth);
      case Kind.Set:
        return this.set(value as Set<unknown>, depth);
      default:
        return this.opaque(value, kind);
    }
  }

  /** Values rendered to a fixed, bounded shape: no recursion into user data. */
  private opaque(value: object, kind: Kind): Out {
    let rendered: unknown;
    try {
      rendered = renderOpaque(value, kind);
    } catch (error) {
      rendered = unserializable(error);
    }
    if (typeof rendered === 'string') return this.text(rendered);
    return this.leaf(rendered, Buffer.byteLength(JSON.stringify(rendered), 'utf8'));
  }

  private array(items: readonly unknown[], depth: number): Out {
    let length: number;
    try {
      length = arrayLength(items);
    } catch (error) {
      return this.text(unserializable(error));
    }
    const out: unknown[] | null = this.over ? null : [];
    this.ancestors.push(items);
    this.size += 1;
    for (let i = 0; i < length; i++) {
      if (i > 0) this.size += 1;
      const element = this.item(this.resolve(this.read(items, i), i), depth);
      if (out !== null && element !== SKIP) out.push(element);
    }
    return this.close(out, 1);
  }

  private plain(source: object, depth: number): Out {
    let keys: string[];
    try {
      keys = ownEnumerableKeys(source);
    } catch (error) {
      return this.text(unserializable(error));
    }
    const out: Record<string, unknown> | null = this.over ? null : {};
    this.ancestors.push(source);
    this.size += 1;
    let emitted = 0;
    for (const key of keys) {
      if (this.property(out, source, key, emitted, depth)) emitted++;
    }
    return this.close(out, 1);
  }

  private error(source: object, depth: number): Out {
    let keys: string[];
    try {
      keys = ownEnumerableKeys(source);
    } catch (error) {
      return this.text(unserializable(error));
    }
    const out: Record<string, unknown> | null = this.over ? null : { _type: 'Error' };
    this.ancestors.push(source);
    this.size += ERROR_HEAD.length;
    let emitted = 1;
    for (const key of ERROR_FIELDS) {
      if (this.property(out, source, key, emitted, depth)) emitted++;
    }
    for (const key of keys) {
      if (!ERROR_RESERVED.has(key) && this.property(out, source, key, emitted, depth)) emitted++;
    }
    return this.close(out, 1);
  }

  private map(source: Map<unknown, unknown>, depth: number): Out {
    const entries: unknown[] | null = this.over ? null : [];
    const out = entries === null ? null : { _type: 'Map', entries };
    this.ancestors.push(source);
    this.size += MAP_HEAD.length;
    let index = 0;
    for (const [key, value] of mapEntries.call(source)) {
      if (index++ > 0) this.size += 1;
      const pair = this.entry(key, value, depth);
      if (entries !== null && pair !== SKIP) entries.push(pair);
    }
    return this.close(out, CLOSE_WRAPPER);
  }

  private entry(key: unknown, value: unknown, depth: number): Out {
    const out: unknown[] | null = this.over ? null : [];
    this.size += 1;
    const keyOut = this.item(this.resolve(key, 0), depth);
    if (out !== null && keyOut !== SKIP) out.push(keyOut);
    this.size += 1;
    const redacted = typeof key === 'string' && this.keyFacts(key).redacted;
    const valueOut = redacted ? this.text(REDACTED) : this.item(this.resolve(value, 1), depth);
    if (out !== null && valueOut !== SKIP) out.push(valueOut);
    this.size += 1;
    this.settle();
    return out ?? SKIP;
  }

  private set(source: Set<unknown>, depth: number): Out {
    const values: unknown[] | null = this.over ? null : [];
    const out = values === null ? null : { _type: 'Set', values };
    this.ancestors.push(source);
    this.size += SET_HEAD.length;
    let index = 0;
    for (const value of setValues.call(source)) {
      if (index > 0) this.size += 1;
      const element = this.item(this.resolve(value, index++), depth);
      if (values !== null && element !== SKIP) values.push(element);
    }
    return this.close(out, CLOSE_WRAPPER);
  }

  /** Ends a container opened with `ancestors.push`; see the class invariant. */
  private close(out: object | null, closingBytes: number): Out {
    this.ancestors.pop();
    this.size += closingBytes;
    this.settle();
    return out ?? SKIP;
  }

  /**
   * Emits one `"key":value` member. Sensitive keys are redacted without reading the
   * value, so their getters never run. Returns false when the member is omitted.
   */
  private property(out: Record<string, unknown> | null, source: object, key: string, emitted: number, depth: number): boolean {
    const facts = this.keyFacts(key);
    let value: unknown = REDACTED;
    if (!facts.redacted) {
      value = this.resolve(this.read(source, key), key);
      if (value === undefined) return false;
    }
    // The comma before every member but the first, the key, the colon.
    this.size += (emitted > 0 ? 1 : 0) + facts.jsonBytes + 1;
    const result = this.walk(value, depth + 1);
    if (out !== null && result !== SKIP) assign(out, key, result);
    return true;
  }

  private keyFacts(key: string): KeyFacts {
    let facts = this.keyCache.get(key);
    if (facts === undefined) {
      facts = { jsonBytes: jsonStringBytes(key), redacted: this.redact.test(key) };
      rememberKey(this.keyCache, key, facts);
    }
    return facts;
  }

  private read(source: object, key: string | number): unknown {
    try {
      return (source as Record<string | number, unknown>)[key];
    } catch (error) {
      return `[Getter threw: ${errorMessage(error)}]`;
    }
  }
}

/** Adds a member to a copy; "__proto__" must become a data property, not a prototype. */
function assign(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/**
 * Decides how an object is represented. May throw (revoked proxies, throwing
 * getPrototypeOf traps); brand checks from node:util never run user code.
 */
function classify(value: object): Kind {
  if (isArray(value)) return Kind.Array;
  const prototype: unknown = getPrototypeOf(value);
  if (prototype === OBJECT_PROTOTYPE || prototype === null) return Kind.Plain;
  if (types.isNativeError(value) || value instanceof Error) return Kind.Error;
  if (types.isDate(value)) return Kind.Date;
  if (types.isTypedArray(value)) return Buffer.isBuffer(value) ? Kind.Buffer : Kind.TypedArray;
  if (types.isAnyArrayBuffer(value)) return Kind.ArrayBuffer;
  if (types.isDataView(value)) return Kind.DataView;
  if (types.isMap(value)) return Kind.Map;
  if (types.isSet(value)) return Kind.Set;
  if (types.isPromise(value)) return Kind.Promise;
  if (types.isBoxedPrimitive(value)) return Kind.Boxed;
  if (types.isRegExp(value)) return Kind.RegExp;
  if (types.isWeakMap(value)) return Kind.WeakMap;
  if (types.isWeakSet(value)) return Kind.WeakSet;
  return Kind.Plain;
}

/** Length as JSON.stringify would read it, defensive against proxies reporting nonsense. */
function arrayLength(items: readonly unknown[]): number {
  const length: unknown = items.length;
  return typeof length === 'number' && length > 0 ? min(floor(length), 2 ** 32 - 1) : 0;
}

function functionLabel(fn: object): string {
  let name: unknown;
  try {
    name = (fn as { name?: unknown }).name;
  } catch (error) {
    return unserializable(error);
  }
  return `[Function: ${typeof name === 'string' && name !== '' ? name : 'anonymous'}]`;
}

/** Bounded, JSON-ready representation of builtins that hold no nested user objects. */
function renderOpaque(value: object, kind: Kind): unknown {
  switch (kind) {
    case Kind.Date:
      return isNaN(dateGetTime.call(value)) ? 'Invalid Date' : dateToISOString.call(value);
    case Kind.Buffer:
      return renderBuffer(value as Buffer);
    case Kind.TypedArray:
      return renderBinary(String(typedArrayName.call(value)), value as ArrayLike<number | bigint>);
    case Kind.ArrayBuffer:
      return renderBinary(types.isSharedArrayBuffer(value) ? 'SharedArrayBuffer' : 'ArrayBuffer', new Uint8Array(value as ArrayBuffer));
    case Kind.DataView: {
      const view = value as DataView;
      return renderBinary('DataView', new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    }
    case Kind.Boxed:
      return unbox(value);
    case Kind.RegExp:
      return regExpToString.call(value);
    case Kind.Promise:
      return '[Promise]';
    case Kind.WeakMap:
      return '[WeakMap]';
    case Kind.WeakSet:
      return '[WeakSet]';
    default:
      return `[Unserializable: unexpected kind ${kind}]`;
  }
}

function renderBuffer(buffer: Buffer): Record<string, unknown> {
  const byteLength = Number(typedArrayLength.call(buffer));
  const shown = min(byteLength, BUFFER_PREVIEW_BYTES);
  const out: Record<string, unknown> = {
    _type: 'Buffer',
    byteLength,
    base64: bufferToString.call(buffer, 'base64', 0, shown),
  };
  if (shown < byteLength) out.truncated = true;
  return out;
}

function renderBinary(type: string, view: ArrayLike<number | bigint>): Record<string, unknown> {
  const length = view.length;
  const values: unknown[] = [];
  const shown = min(length, BINARY_PREVIEW_VALUES);
  for (let i = 0; i < shown; i++) {
    values.push(jsonNumber(view[i]));
  }
  return { _type: type, length, values };
}

function jsonNumber(value: number | bigint | undefined): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'number' || !isFiniteNumber(value)) return null;
  return value === 0 ? 0 : value;
}

/** Boxed primitives serialize as the primitive they wrap, as in JSON.stringify. */
function unbox(value: object): unknown {
  if (types.isStringObject(value)) return String.prototype.valueOf.call(value);
  if (types.isNumberObject(value)) return jsonNumber(Number.prototype.valueOf.call(value));
  if (types.isBooleanObject(value)) return Boolean.prototype.valueOf.call(value);
  if (types.isBigIntObject(value)) return `${BigInt.prototype.valueOf.call(value)}n`;
  if (types.isSymbolObject(value)) return String(Symbol.prototype.valueOf.call(value));
  return '[Unserializable: unknown boxed primitive]';
}
