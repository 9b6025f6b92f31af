import { Buffer } from 'node:buffer';
import { codePointCost, isHighSurrogate, jsonStringBytes } from './jsonBytes';

/**
 * Replacement stored when captured data is larger than the configured cap. `_preview`
 * holds the beginning of the JSON that would have been stored, followed by "...".
 */
export interface TruncatedData {
  _truncated: true;
  /** UTF-8 byte length of the complete serialized JSON (a lower bound with `_originalSizeIsLowerBound`). */
  _originalSize: number;
  /**
   * Present when the value's JSON is so much larger than the cap that capture stopped counting:
   * `_originalSize` is where it stopped: the real size is at least that, and usually more.
   */
  _originalSizeIsLowerBound?: true;
  _preview: string;
}

/**
 * Smallest `maxDataSize` that leaves room for the truncation marker plus a preview of a
 * couple of hundred bytes (the marker itself needs at most ~100 bytes).
 */
export const MIN_DATA_SIZE = 256;

/** Upper bound, in UTF-16 code units, of the JSON excerpt kept in `_preview`. */
export const PREVIEW_CHARS = 1000;

const ELLIPSIS = '...';

/**
 * Longest prefix of `text`, cut between code points, whose JSON-escaped UTF-8 size
 * (without the surrounding quotes) is at most `budget` bytes.
 */
export function fitToBytes(text: string, budget: number): string {
  if (jsonStringBytes(text) - 2 <= budget) return text;
  let used = 0;
  let end = 0;
  while (end < text.length) {
    const { bytes, units } = codePointCost(text, end);
    if (used + bytes > budget) break;
    used += bytes;
    end += units;
  }
  return text.slice(0, end);
}

/** Shortens `text` to at most `maxUnits` UTF-16 units without separating a surrogate pair. */
export function cutAtCodePoint(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  const end = isHighSurrogate(text.charCodeAt(maxUnits - 1)) ? maxUnits - 1 : maxUnits;
  return text.slice(0, end);
}

/**
 * First `maxChars` (or more) characters of `JSON.stringify(tree)` for a tree that is
 * already plain JSON data. Stops walking as soon as enough text exists, so a huge
 * string or array inside the tree costs no more than its beginning.
 */
export function jsonPrefix(tree: unknown, maxChars: number): string {
  const writer = new PrefixWriter(maxChars);
  writer.value(tree);
  return writer.text;
}

class PrefixWriter {
  text = '';

  constructor(private readonly maxChars: number) {}

  private get full(): boolean {
    return this.text.length >= this.maxChars;
  }

  value(value: unknown): void {
    if (this.full) return;
    if (typeof value === 'string') {
      this.string(value);
    } else if (Array.isArray(value)) {
      this.array(value);
    } else if (typeof value === 'object' && value !== null) {
      this.object(value as Record<string, unknown>);
    } else {
      this.text += String(JSON.stringify(value) ?? 'null');
    }
  }

  private string(value: string): void {
    // Escaping only lengthens text, so the first `room` units always suffice; one
    // extra unit keeps a surrogate pair at the boundary whole (and so unescaped).
    const room = this.maxChars - this.text.length;
    this.text += JSON.stringify(value.length > room ? value.slice(0, room + 1) : value);
  }

  private array(items: readonly unknown[]): void {
    this.text += '[';
    for (let i = 0; i < items.length; i++) {
      if (this.full) return;
      if (i > 0) this.text += ',';
      this.value(items[i]);
    }
    if (!this.full) this.text += ']';
  }

  private object(record: Record<string, unknown>): void {
    this.text += '{';
    let first = true;
    for (const key of Object.keys(record)) {
      if (this.full) return;
      if (!first) this.text += ',';
      first = false;
      this.string(key);
      if (this.full) return;
      this.text += ':';
      this.value(record[key]);
    }
    if (!this.full) this.text += '}';
  }
}

/**
 * Builds the marker for data whose JSON is `originalSize` bytes. `tree` must serialize
 * to the same JSON at least up to `maxDataSize` bytes; only its beginning is read.
 * The marker's own JSON fits in `maxDataSize` whenever `maxDataSize >= MIN_DATA_SIZE`;
 * below that the preview shrinks to "..." and the marker may still be larger.
 */
export function truncationMarker(tree: unknown, originalSize: number, maxDataSize: number, sizeIsLowerBound = false): TruncatedData {
  const excerpt = cutAtCodePoint(jsonPrefix(tree, PREVIEW_CHARS), PREVIEW_CHARS);
  const marker: TruncatedData = sizeIsLowerBound
    ? { _truncated: true, _originalSize: originalSize, _originalSizeIsLowerBound: true, _preview: ELLIPSIS }
    : { _truncated: true, _originalSize: originalSize, _preview: ELLIPSIS };
  const overhead = Buffer.byteLength(JSON.stringify(marker), 'utf8');
  marker._preview = fitToBytes(excerpt, maxDataSize - overhead) + ELLIPSIS;
  return marker;
}
