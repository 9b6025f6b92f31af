import { jsonPath, type PathSegment } from './jsonPath';

/** A path as a chain to its parent: descending costs one object, not a copy of the path. */
interface PathLink {
  parent: PathLink | null;
  segment: PathSegment;
}

function segmentsOf(link: PathLink | null): PathSegment[] {
  const segments: PathSegment[] = [];
  for (let at = link; at !== null; at = at.parent) segments.push(at.segment);
  return segments.reverse();
}

/** One difference between two JSON values, at one path. */
export interface PathChange {
  /** Where, in the notation of {@link jsonPath}: `$`, `$.items[2].price`, `$["a.b"]`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** The value in run a (absent when `added`), as capped JSON text. */
  a?: CappedJson;
  /** The value in run b (absent when `removed`). */
  b?: CappedJson;
  /**
   * Set when a value here is a capture marker: `truncated` (an object `{ _truncated: true,
   * _originalSize, _preview }`) or `redacted` (the string "[REDACTED]"). The stored data holds only
   * the marker, so the change is reported as a whole and never as a diff of content that was not kept.
   */
  marker?: 'truncated' | 'redacted';
}

/** A value's JSON text, cut to a byte budget: `omittedBytes` is how much of it is not in `json`. */
export interface CappedJson {
  json: string;
  omittedBytes: number;
}

export interface JsonDiff {
  /**
   * The first `maxPaths` changes, depth first: at each level the keys removed (in a's order) and
   * added (in b's), then the changes inside the keys both have; arrays the same, by index.
   */
  changes: PathChange[];
  /** How many more changes there are than listed. */
  omitted: number;
}

export interface JsonDiffOptions {
  /** Changes listed per diff; the rest are counted in `omitted`. @default 50 */
  maxPaths?: number;
  /** Bytes of JSON kept of each reported value (UTF-8, cut between characters). @default 200 */
  maxValueBytes?: number;
}

export const DEFAULT_MAX_PATHS = 50;
export const DEFAULT_MAX_VALUE_BYTES = 200;
/** What capture stores in place of a value under a sensitive key (src/capture/redact.ts). */
export const REDACTED_MARKER = '[REDACTED]';

type Kind = 'object' | 'array' | 'leaf' | 'truncated';

/**
 * The paths at which two JSON values differ. Objects are compared key by key, arrays index by
 * index; a subtree present on one side only is one `added`/`removed` change, not one per leaf;
 * values of different shapes (an object and an array, a string and a number) are one `changed`.
 * A truncation marker is a leaf: two identical markers (same size and preview) compare equal,
 * anything else is a change of the whole value. Walks with its own stack, so a deeply nested
 * value cannot overflow the call stack.
 */
export function jsonDiff(a: unknown, b: unknown, options: JsonDiffOptions = {}): JsonDiff {
  const maxPaths = options.maxPaths ?? DEFAULT_MAX_PATHS;
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const changes: PathChange[] = [];
  let omitted = 0;
  const report = (path: PathLink | null, kind: PathChange['kind'], left: unknown, right: unknown) => {
    if (changes.length >= maxPaths) {
      omitted++;
      return;
    }
    const change: PathChange = { path: jsonPath(segmentsOf(path)), kind };
    if (kind !== 'added') change.a = capJson(left, maxValueBytes);
    if (kind !== 'removed') change.b = capJson(right, maxValueBytes);
    const marker = markerOf(left) ?? markerOf(right);
    if (marker) change.marker = marker;
    changes.push(change);
  };

  // Pending pairs, last one next: children are pushed in reverse to come out in document order.
  const stack: { path: PathLink | null; a: unknown; b: unknown }[] = [{ path: null, a, b }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { path } = item;
    const kindA = kindOf(item.a);
    const kindB = kindOf(item.b);
    if (kindA !== kindB) {
      report(path, 'changed', item.a, item.b);
    } else if (kindA === 'leaf') {
      if (item.a !== item.b) report(path, 'changed', item.a, item.b);
    } else if (kindA === 'truncated') {
      if (!sameMarker(item.a as Record<string, unknown>, item.b as Record<string, unknown>)) report(path, 'changed', item.a, item.b);
    } else if (kindA === 'array') {
      const left = item.a as unknown[];
      const right = item.b as unknown[];
      const pending: typeof stack = [];
      for (let i = 0; i < Math.max(left.length, right.length); i++) {
        const child: PathLink = { parent: path, segment: i };
        if (i >= right.length) report(child, 'removed', left[i], undefined);
        else if (i >= left.length) report(child, 'added', undefined, right[i]);
        else pending.push({ path: child, a: left[i], b: right[i] });
      }
      descendLater(stack, pending);
    } else {
      const left = item.a as Record<string, unknown>;
      const right = item.b as Record<string, unknown>;
      const pending: typeof stack = [];
      for (const key of Object.keys(left)) {
        const child: PathLink = { parent: path, segment: key };
        if (!hasOwn(right, key)) report(child, 'removed', left[key], undefined);
        else pending.push({ path: child, a: left[key], b: right[key] });
      }
      for (const key of Object.keys(right)) {
        if (!hasOwn(left, key)) report({ parent: path, segment: key }, 'added', undefined, right[key]);
      }
      descendLater(stack, pending);
    }
  }
  return { changes, omitted };
}

/** Pairs to compare deeper, pushed reversed so that the stack pops them in document order. */
function descendLater<T>(stack: T[], pending: T[]): void {
  for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as T);
}

function kindOf(value: unknown): Kind {
  if (Array.isArray(value)) return 'array';
  if (value === null || typeof value !== 'object') return 'leaf';
  return isTruncatedMarker(value) ? 'truncated' : 'object';
}

/** The shape capture stores in place of data larger than `maxDataSize` (src/capture/truncate.ts). */
export function isTruncatedMarker(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const marker = value as Record<string, unknown>;
  return marker._truncated === true && typeof marker._originalSize === 'number' && typeof marker._preview === 'string';
}

function markerOf(value: unknown): PathChange['marker'] {
  if (value === REDACTED_MARKER) return 'redacted';
  return isTruncatedMarker(value) ? 'truncated' : undefined;
}

function sameMarker(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a._originalSize === b._originalSize && a._preview === b._preview && a._originalSizeIsLowerBound === b._originalSizeIsLowerBound;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * A value's JSON text cut to `maxBytes` of UTF-8, between characters. Values that JSON cannot
 * write (undefined, a structure too deep for JSON.stringify) are described instead.
 */
export function capJson(value: unknown, maxBytes: number): CappedJson {
  let json: string;
  try {
    json = JSON.stringify(value) ?? 'null';
  } catch {
    return { json: '"[not printable as JSON]"', omittedBytes: 0 };
  }
  // Most values are short: at most 3 bytes per UTF-16 unit, so no counting is needed.
  if (json.length * 3 <= maxBytes) return { json, omittedBytes: 0 };
  const total = Buffer.byteLength(json, 'utf8');
  if (total <= maxBytes) return { json, omittedBytes: 0 };
  let used = 0;
  let end = 0;
  while (end < json.length) {
    const code = json.codePointAt(end) as number;
    const bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (used + bytes > maxBytes) break;
    used += bytes;
    end += code >= 0x10000 ? 2 : 1;
  }
  return { json: json.slice(0, end), omittedBytes: total - used };
}
