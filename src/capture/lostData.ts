import { REDACTED } from './redact';

/**
 * How a captured value can have lost what the original held: what capture writes in place of data
 * it did not keep. A value holding none of these is the original's JSON (dates as ISO text, Maps
 * and Sets as `{ _type, … }`, BigInts as `"12n"`: typed renderings, kept in full).
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
  /** `"[Function: name]"`, `"[Promise]"`, `"[WeakMap]"`, `"[WeakSet]"`: no data to keep. */
  | 'not-data'
  /** `"[Getter threw: …]"`, `"[Unserializable: …]"`, `{ _captureError }`: reading the value failed. */
  | 'unreadable'
  /** A Buffer or binary view kept only in part (`truncated: true`, or fewer `values` than `length`). */
  | 'binary-preview';

/** One place in a captured value where data was lost. */
export interface LostData {
  /** Where, from the value's root: `.key`, `["odd key"]`, `[index]`; '' for the value itself. */
  path: string;
  kind: LostDataKind;
}

const NOT_FOLLOWED = new Set(['[Circular]', '[MaxDepth]']);
const NOT_DATA = new Set(['[Promise]', '[WeakMap]', '[WeakSet]']);
const MASKED_URL = /:\/\/[^\s:/@]*:\*\*\*@/;
const BARE_KEY = /^[A-Za-z_$][\w$]*$/;

/**
 * The places in a captured value (parsed JSON, as the store reads it back) where capture wrote a
 * marker instead of the data, depth first, at most `limit` of them. A user's own string that reads
 * like a marker (`"[REDACTED]"`) is found too: nothing tells them apart, and claiming too much is
 * the safe side for a caller about to reuse the value as if it were the original.
 */
export function findLostData(value: unknown, limit = 20): LostData[] {
  const found: LostData[] = [];
  const visit = (node: unknown, path: string): void => {
    if (found.length >= limit) return;
    if (typeof node === 'string') {
      const kind = stringLoss(node);
      if (kind !== null) found.push({ path, kind });
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, `${path}[${index}]`));
      return;
    }
    const record = node as Record<string, unknown>;
    const kind = objectLoss(record);
    if (kind !== null) {
      found.push({ path, kind });
      return;
    }
    for (const key of Object.keys(record)) visit(record[key], `${path}${BARE_KEY.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`);
  };
  visit(value, '');
  return found;
}

function stringLoss(text: string): LostDataKind | null {
  if (text === REDACTED) return 'redacted';
  if (text.startsWith('[')) {
    if (NOT_FOLLOWED.has(text)) return 'not-followed';
    if (NOT_DATA.has(text) || text.startsWith('[Function: ')) return 'not-data';
    if (text.startsWith('[Getter threw: ') || text.startsWith('[Unserializable: ')) return 'unreadable';
  }
  return text.includes('://') && MASKED_URL.test(text) ? 'masked' : null;
}

function objectLoss(record: Record<string, unknown>): LostDataKind | null {
  if (record._truncated === true && typeof record._originalSize === 'number') return 'truncated';
  if (typeof record._captureError === 'string') return 'unreadable';
  if (typeof record._type === 'string') {
    if (record._type === 'Buffer' && record.truncated === true) return 'binary-preview';
    if (Array.isArray(record.values) && typeof record.length === 'number' && record.values.length < record.length) return 'binary-preview';
  }
  return null;
}
