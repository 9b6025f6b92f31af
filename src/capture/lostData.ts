import { jsonPath, type PathSegment } from '../store/jsonPath';
import { REDACTED } from './redact';

/**
 * How a captured value can have lost what the original held: what capture writes in place of data
 * it did not keep (src/capture: truncate.ts, redact.ts, maskUrl.ts, serialize.ts, guardedReads.ts,
 * renderOpaque.ts, errorMessage.ts; invoke.ts for an output not awaited). A value holding none of
 * these is the original's JSON (dates as ISO text, Maps and Sets as `{ _type, … }`, BigInts as
 * `"12n"`: typed renderings, kept in full).
 */
export type LostDataKind =
  /** The whole value was over `maxDataSize`: `{ _truncated: true, _originalSize, _preview }`. */
  | 'truncated'
  /** A value under a sensitive key: `"[REDACTED]"`. */
  | 'redacted'
  /** A password in a URL, masked: `"scheme://user:***@host"`. */
  | 'masked'
  /** `"[Circular]"`, `"[MaxDepth]"`: a reference or a nesting level capture did not follow. */
  | 'not-followed'
  /** `"[Function: name]"`, `"[Promise]"`, `"[Thenable]"`, `"[WeakMap]"`, `"[WeakSet]"`: no data to keep. */
  | 'not-data'
  /** `"[Getter threw: …]"`, `"[toJSON threw: …]"`, `"[Unserializable: …]"`, `{ _captureError }`: reading the value failed. */
  | 'unreadable'
  /** A Buffer or binary view kept only in part (`truncated: true`, or fewer `values` than `length`). */
  | 'binary-preview';

/** One place in a captured value where data was lost. */
export interface LostData {
  /** Where, in the notation `flowtrail diff` prints: `$` for the value itself, `$.card.number`, `$.items[3]`, `$["odd key"]`. */
  path: string;
  kind: LostDataKind;
}

const EXACT: ReadonlyMap<string, LostDataKind> = new Map([
  [REDACTED, 'redacted'],
  ['[Circular]', 'not-followed'],
  ['[MaxDepth]', 'not-followed'],
  ['[Promise]', 'not-data'],
  ['[Thenable]', 'not-data'],
  ['[WeakMap]', 'not-data'],
  ['[WeakSet]', 'not-data'],
]);
const PREFIXES: readonly (readonly [string, LostDataKind])[] = [
  ['[Function: ', 'not-data'],
  ['[Thenable ', 'not-data'],
  ['[Getter threw: ', 'unreadable'],
  ['[toJSON threw: ', 'unreadable'],
  ['[Unserializable: ', 'unreadable'],
];
const MASKED_URL = /:\/\/[^\s:/@]*:\*\*\*@/;

/**
 * The places in a captured value (parsed JSON, as the store reads it back, or arguments built from
 * it) where capture wrote a marker instead of the data, in document order, at most `limit` of them.
 * A user's own string that reads like a marker (`"[REDACTED]"`) is found too: nothing tells them
 * apart, and claiming too much is the safe side for a caller about to use the value as if it were
 * the original (a replay, a re-run). Walks arrays and plain objects only, each once.
 */
export function findLostData(value: unknown, options: { limit?: number; base?: readonly PathSegment[] } = {}): LostData[] {
  const limit = options.limit ?? Infinity;
  const found: LostData[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; path: readonly PathSegment[] }[] = [{ value, path: options.base ?? [] }];
  for (let item = stack.pop(); item !== undefined && found.length < limit; item = stack.pop()) {
    const kind = lossOf(item.value);
    if (kind !== null) {
      found.push({ path: jsonPath(item.path), kind });
      continue;
    }
    const current = item.value;
    if (current === null || typeof current !== 'object' || seen.has(current) || !isWalked(current)) continue;
    seen.add(current);
    const keys: PathSegment[] = Array.isArray(current) ? current.map((_, index) => index) : Object.keys(current);
    // Pushed in reverse, so that they come off the stack in document order.
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (current as Record<PathSegment, unknown>)[key], path: [...item.path, key] });
    }
  }
  return found;
}

function isWalked(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function lossOf(value: unknown): LostDataKind | null {
  if (typeof value === 'string') return stringLoss(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (record._truncated === true && typeof record._originalSize === 'number') return 'truncated';
  if (typeof record._captureError === 'string') return 'unreadable';
  if (typeof record._type === 'string') {
    if (record._type === 'Buffer' && record.truncated === true) return 'binary-preview';
    if (Array.isArray(record.values) && typeof record.length === 'number' && record.values.length < record.length) return 'binary-preview';
  }
  return null;
}

function stringLoss(text: string): LostDataKind | null {
  if (text.startsWith('[') && text.endsWith(']')) {
    const exact = EXACT.get(text);
    if (exact !== undefined) return exact;
    for (const [prefix, kind] of PREFIXES) if (text.startsWith(prefix)) return kind;
  }
  return text.includes('://') && MASKED_URL.test(text) ? 'masked' : null;
}
