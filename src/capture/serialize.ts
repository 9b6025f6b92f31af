import { Buffer } from 'node:buffer';
import { maskCredentials } from '../credentials';
import { isFiniteNumber, mapEntries, ownEnumerableKeys, setValues } from './builtins';
import { classify, Kind } from './classify';
import { unserializable } from './errorMessage';
import { applyToJSON, arrayLength, functionLabel, readMember } from './guardedReads';
import { jsonStringBytes, numberBytes } from './jsonBytes';
import { KeyCaches, rememberKey } from './keyCache';
import { REDACTED } from './redact';
import { renderOpaque } from './renderOpaque';

/** Result of one walk over captured data. */
export interface Serialized {
  /**
   * The JSON-safe copy. When `overLimit` is true it is only complete up to the point
   * where the limit was crossed: it serializes to the real JSON for at least the first
   * `limit` bytes, which is all a preview needs.
   */
  readonly value: unknown;
  /**
   * UTF-8 byte length of `JSON.stringify` of the complete copy: exact, unless `sizeIsLowerBound`.
   */
  readonly size: number;
  readonly overLimit: boolean;
  /** The walk stopped counting at {@link COUNT_FACTOR} times the limit and left part of the value uncounted. */
  readonly sizeIsLowerBound: boolean;
}

/**
 * Past the limit the walk goes on only to count bytes for `_originalSize`, and only up to this
 * many times the limit: a value that shares one object in many places (`{ l: a, r: a }`, nested)
 * is exponentially larger as JSON than in memory, and a `toJSON` may keep growing the Map being
 * walked. Capture's work is bounded by the limit whatever the shape.
 */
export const COUNT_FACTOR = 8;

/** Nesting level (root = 0) from which objects are replaced by "[MaxDepth]". */
export const MAX_DEPTH = 64;
const CIRCULAR = '[Circular]';
const MAX_DEPTH_MARK = '[MaxDepth]';

// Returned instead of a value that is not kept: only happens once over the limit,
// where the walk continues solely to count bytes. The walker's methods return a JSON-safe
// value or SKIP.
const SKIP = Symbol('skip');

// Fields read from every error (own or inherited, enumerable or not), in output order.
// `errors` carries the members of an AggregateError.
const ERROR_FIELDS: readonly string[] = ['name', 'message', 'stack', 'code', 'cause', 'errors'];
const ERROR_RESERVED = new Set(['_type', ...ERROR_FIELDS]);
// An error's text, where credentials are written into sentences (a connection URL in a message).
const ERROR_TEXT = new Set(['message', 'stack']);

/** What the walk needs to know about an object key; remembered per key and redact pattern. */
interface KeyFacts {
  /** UTF-8 byte length of the key as a JSON string, quotes included. */
  readonly jsonBytes: number;
  /** Whether the key's value is replaced by REDACTED, without being read. */
  readonly redacted: boolean;
  /** Whether the key's value, when an array, lists header names and values in turn. */
  readonly headerList: boolean;
}

/** Where a value sits, as far as header lists go. */
const enum Place {
  Other,
  /** An element of an array: a `[name, value]` pair there is a header. */
  ListItem,
  /** The value of a `rawHeaders` key: names and values in turn. */
  HeaderList,
}

/** Keys of flat header lists: Node's `rawHeaders`, `rawTrailers`, in any spelling. */
export const RAW_HEADERS = /^raw[\s_.-]*(?:headers|trailers)$/i;

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
  const resolved = applyToJSON(value, '', redact);
  const tree = resolved === undefined ? undefined : walker.walk(resolved, 0);
  return { value: tree, size: walker.size, overLimit: walker.over, sizeIsLowerBound: walker.skipped };
}

/**
 * Walk state. One class, and so one long file: every method reads and grows the same walk state
 * (the byte count, the limits, the ancestors), which split across files would be passed around
 * on every value. Invariant that makes previews work without a second pass: the byte
 * count only crosses the limit right after a complete value, and everything counted
 * until then is in the copy (containers are attached by their parent on return, even
 * if the limit was crossed inside them).
 */
class Walker {
  size = 0;
  over = false;
  /** Counted as far as it will: nothing more is visited. */
  stopped = false;
  /** Something was left uncounted since: `size` is a lower bound. */
  skipped = false;
  /** Where the value walked next sits, for header lists; the object that value is takes it. */
  private place = Place.Other;
  private readonly ancestors: object[] = [];
  private readonly keyCache: Map<string, KeyFacts>;
  private readonly countLimit: number;

  constructor(
    private readonly limit: number,
    private readonly redact: RegExp,
  ) {
    this.keyCache = keyCaches.of(redact);
    this.countLimit = limit * COUNT_FACTOR;
  }

  /** Serializes a value whose toJSON is applied and that is not omitted. */
  walk(value: unknown, depth: number): unknown {
    if (this.stopped) return this.skip();
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

  private skip(): typeof SKIP {
    this.skipped = true;
    return SKIP;
  }

  private settle(): void {
    if (this.size > this.limit) {
      this.over = true;
      if (this.size > this.countLimit) this.stopped = true;
    }
  }

  private text(value: string): unknown {
    return this.leaf(value, jsonStringBytes(value));
  }

  private number(value: number): unknown {
    if (!isFiniteNumber(value)) return this.leaf(null, 4);
    const normalized = value === 0 ? 0 : value; // -0 would not survive a JSON round trip
    return this.leaf(normalized, numberBytes(normalized));
  }

  /** A slot in an array-like position, where JSON turns undefined into null. */
  private item(value: unknown, depth: number): unknown {
    return value === undefined ? this.leaf(null, 4) : this.walk(value, depth + 1);
  }

  private object(value: object, depth: number): unknown {
    const place = this.place;
    this.place = Place.Other;
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
        return this.array(value as readonly unknown[], depth, place);
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
  private opaque(value: object, kind: Kind): unknown {
    let rendered: unknown;
    try {
      rendered = renderOpaque(value, kind);
    } catch (error) {
      rendered = unserializable(error);
    }
    if (typeof rendered === 'string') return this.text(rendered);
    return this.leaf(rendered, Buffer.byteLength(JSON.stringify(rendered), 'utf8'));
  }

  /**
   * Header lists are arrays, out of reach of redaction by key: a `[name, value]` pair in a list
   * (`[['authorization', …]]`, `Object.entries`), and a flat `rawHeaders` list of names and values
   * (Node's), have the value after a sensitive name redacted.
   */
  private array(items: readonly unknown[], depth: number, place: Place): unknown {
    let length: number;
    try {
      length = arrayLength(items);
    } catch (error) {
      return this.text(unserializable(error));
    }
    const out: unknown[] | null = this.over ? null : [];
    this.ancestors.push(items);
    this.size += 1;
    let redactNext = false;
    for (let i = 0; i < length; i++) {
      if (this.stopped) {
        this.skip();
        break;
      }
      if (i > 0) this.size += 1;
      let element: unknown;
      if (redactNext) {
        element = this.text(REDACTED);
        redactNext = false;
      } else {
        const item = readMember(items, i);
        this.place = Place.ListItem;
        element = this.item(applyToJSON(item, i, this.redact), depth);
        this.place = Place.Other;
        const isName = place === Place.HeaderList ? i % 2 === 0 : place === Place.ListItem && length === 2 && i === 0;
        // Tested, not remembered: names in data are often ids, which would crowd real keys out of the cache.
        redactNext = isName && typeof item === 'string' && this.redact.test(item);
      }
      if (out !== null && element !== SKIP) out.push(element);
    }
    return this.close(out, 1);
  }

  private plain(source: object, depth: number): unknown {
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
      if (this.stopped) {
        this.skip();
        break;
      }
      if (this.property(out, source, key, emitted, depth)) emitted++;
    }
    return this.close(out, 1);
  }

  private error(source: object, depth: number): unknown {
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
      if (this.property(out, source, key, emitted, depth, ERROR_TEXT.has(key))) emitted++;
    }
    for (const key of keys) {
      if (this.stopped) {
        this.skip();
        break;
      }
      if (!ERROR_RESERVED.has(key) && this.property(out, source, key, emitted, depth)) emitted++;
    }
    return this.close(out, 1);
  }

  private map(source: Map<unknown, unknown>, depth: number): unknown {
    const entries: unknown[] | null = this.over ? null : [];
    const out = entries === null ? null : { _type: 'Map', entries };
    this.ancestors.push(source);
    this.size += MAP_HEAD.length;
    let index = 0;
    for (const [key, value] of mapEntries.call(source)) {
      if (this.stopped) {
        this.skip();
        break;
      }
      if (index++ > 0) this.size += 1;
      const pair = this.entry(key, value, depth);
      if (entries !== null && pair !== SKIP) entries.push(pair);
    }
    return this.close(out, CLOSE_WRAPPER);
  }

  private entry(key: unknown, value: unknown, depth: number): unknown {
    const out: unknown[] | null = this.over ? null : [];
    this.size += 1;
    const keyOut = this.item(applyToJSON(key, 0, this.redact), depth);
    if (out !== null && keyOut !== SKIP) out.push(keyOut);
    this.size += 1;
    const redacted = typeof key === 'string' && this.keyFacts(key).redacted;
    const valueOut = redacted ? this.text(REDACTED) : this.item(applyToJSON(value, 1, this.redact), depth);
    if (out !== null && valueOut !== SKIP) out.push(valueOut);
    this.size += 1;
    this.settle();
    return out ?? SKIP;
  }

  private set(source: Set<unknown>, depth: number): unknown {
    const values: unknown[] | null = this.over ? null : [];
    const out = values === null ? null : { _type: 'Set', values };
    this.ancestors.push(source);
    this.size += SET_HEAD.length;
    let index = 0;
    for (const value of setValues.call(source)) {
      if (this.stopped) {
        this.skip();
        break;
      }
      if (index > 0) this.size += 1;
      const element = this.item(applyToJSON(value, index++, this.redact), depth);
      if (values !== null && element !== SKIP) values.push(element);
    }
    return this.close(out, CLOSE_WRAPPER);
  }

  /** Ends a container opened with `ancestors.push`; see the class invariant. */
  private close(out: object | null, closingBytes: number): unknown {
    this.ancestors.pop();
    this.size += closingBytes;
    this.settle();
    return out ?? SKIP;
  }

  /**
   * Emits one `"key":value` member. Sensitive keys are redacted without reading the
   * value, so their getters never run; `isText` (an error's message, its stack) has the
   * credentials written in it masked. Returns false when the member is omitted.
   */
  private property(
    out: Record<string, unknown> | null,
    source: object,
    key: string,
    emitted: number,
    depth: number,
    isText = false,
  ): boolean {
    const facts = this.keyFacts(key);
    let value: unknown = REDACTED;
    if (!facts.redacted) {
      value = applyToJSON(readMember(source, key), key, this.redact);
      if (value === undefined) return false;
      if (isText && typeof value === 'string') value = maskCredentials(value);
    }
    // The comma before every member but the first, the key, the colon.
    this.size += (emitted > 0 ? 1 : 0) + facts.jsonBytes + 1;
    this.place = facts.headerList ? Place.HeaderList : Place.Other;
    const result = this.walk(value, depth + 1);
    this.place = Place.Other;
    if (out !== null && result !== SKIP) assign(out, key, result);
    return true;
  }

  private keyFacts(key: string): KeyFacts {
    let facts = this.keyCache.get(key);
    if (facts === undefined) {
      facts = { jsonBytes: jsonStringBytes(key), redacted: this.redact.test(key), headerList: RAW_HEADERS.test(key) };
      rememberKey(this.keyCache, key, facts);
    }
    return facts;
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
