import type { IncompleteValue } from '../errors';
import { isTruncatedMarker, REDACTED_MARKER } from '../store/jsonDiff';
import { jsonPath, type PathSegment } from '../store/jsonPath';

// The strings capture stores in place of a value it could not keep (src/capture: serialize.ts,
// guardedReads.ts, renderOpaque.ts, errorMessage.ts, and invoke.ts for an output not awaited).
const EXACT: ReadonlyMap<string, IncompleteValue['marker']> = new Map([
  [REDACTED_MARKER, 'redacted'],
  ['[Circular]', 'circular'],
  ['[MaxDepth]', 'max-depth'],
  ['[Promise]', 'opaque'],
  ['[WeakMap]', 'opaque'],
  ['[WeakSet]', 'opaque'],
  ['[Thenable]', 'opaque'],
]);
const PREFIXES: readonly [string, IncompleteValue['marker']][] = [
  ['[Function: ', 'function'],
  ['[Unserializable: ', 'unreadable'],
  ['[Getter threw: ', 'unreadable'],
  ['[toJSON threw: ', 'unreadable'],
  ['[Thenable ', 'opaque'],
];

/**
 * The places in `value` where capture stored a marker instead of the value, in document order.
 * A string equal to a marker is taken for one: capture cannot tell them apart either, and
 * replaying with a marker where the value was would be a lie. Walks arrays and plain objects
 * only (what `JSON.parse` makes, and what arguments built from it usually are), each once.
 */
export function findMarkers(value: unknown, base: readonly PathSegment[] = []): IncompleteValue[] {
  const found: IncompleteValue[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; path: readonly PathSegment[] }[] = [{ value, path: base }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const marker = markerOf(item.value);
    if (marker !== undefined) {
      found.push({ path: jsonPath(item.path), marker });
      continue;
    }
    const current = item.value;
    if (current === null || typeof current !== 'object' || seen.has(current) || !isWalked(current)) continue;
    seen.add(current);
    const keys: PathSegment[] = Array.isArray(current) ? current.map((_, index) => index) : Object.keys(current);
    // Pushed in reverse, so that they come off the stack in document order.
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as PathSegment;
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

function markerOf(value: unknown): IncompleteValue['marker'] | undefined {
  if (typeof value === 'string') {
    if (!value.startsWith('[') || !value.endsWith(']')) return undefined;
    const exact = EXACT.get(value);
    if (exact !== undefined) return exact;
    for (const [prefix, marker] of PREFIXES) if (value.startsWith(prefix)) return marker;
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (isTruncatedMarker(value)) return 'truncated';
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && typeof record._captureError === 'string') return 'capture-failed';
  // Binary data is kept up to a preview: a Buffer says `truncated`, other views list fewer values than their length.
  if (typeof record._type === 'string') {
    if (record._type === 'Buffer' && record.truncated === true) return 'truncated';
    if (Array.isArray(record.values) && typeof record.length === 'number' && record.values.length < record.length) return 'truncated';
  }
  return undefined;
}
