import { QueryError } from '../errors';
import type { PathSegment } from './jsonPath';

/** Which captured value a path starts in, and the column holding it. */
export const DATA_SOURCES = { input: 'input_data', output: 'output_data' } as const;

export type CapturedSide = keyof typeof DATA_SOURCES;

/** A parsed path into a step's captured input or output. */
export interface DataPath {
  source: CapturedSide;
  segments: PathSegment[];
}

const MAX_PATH_LENGTH = 1024;
const MAX_SEGMENTS = 32;
/** Characters a bare key may not hold: path syntax, the operators of `--where`, quotes, spaces. */
const BARE_KEY = /^[^.[\]=<>~!\s"'\\]+/u;
/** A key no database's path syntax can address the same way (SQLite's quoted labels have no escapes). */
const UNADDRESSABLE = /["\\\u0000-\u001f]/;

/**
 * Reads a path at the start of `text`: `input` or `output`, then `.key` (any characters but the
 * path's and `--where`'s own: `. [ ] = < > ~ !`, quotes, backslash, spaces), `["any key"]` (a JSON
 * string) or `[2]` (an array index). The syntax `flowtrail diff` prints paths in, after its `$`.
 * Returns the path and where it ended, so that an operator may follow.
 * @throws QueryError naming `field` and what is wrong, at which character.
 */
export function readDataPath(text: string, field: string): { path: DataPath; end: number } {
  if (typeof text !== 'string') throw new QueryError(field, 'a path is a string such as "output.code"');
  const fail = (at: number, problem: string): never => {
    throw new QueryError(field, `${problem} at character ${at + 1} of ${JSON.stringify(text.slice(0, 80))}`);
  };
  const root = /^(input|output)\b/.exec(text);
  if (!root) fail(0, 'a path starts with "input" or "output"');
  const source = root![1] as CapturedSide;
  const segments: PathSegment[] = [];
  let at = source.length;
  while (at < text.length && (text[at] === '.' || text[at] === '[')) {
    if (at > MAX_PATH_LENGTH) fail(at, `a path is at most ${MAX_PATH_LENGTH} characters`);
    if (segments.length === MAX_SEGMENTS) fail(at, `a path has at most ${MAX_SEGMENTS} steps`);
    if (text[at] === '.') {
      const key = BARE_KEY.exec(text.slice(at + 1))?.[0];
      if (key === undefined) fail(at + 1, 'a key is expected after "."');
      segments.push(key!);
      at += 1 + key!.length;
      continue;
    }
    const close = readBracket(text, at + 1);
    if (close === null) fail(at, 'a bracket holds an index ([2]) or a key as a JSON string (["a.b"])');
    segments.push(close!.segment);
    at = close!.end;
  }
  for (const segment of segments) {
    if (typeof segment === 'string' && UNADDRESSABLE.test(segment)) {
      fail(0, `the key ${JSON.stringify(segment)} holds a quote, a backslash or a control character, which cannot be searched`);
    }
  }
  return { path: { source, segments }, end: at };
}

/** The whole of `text` as a path. */
export function parseDataPath(text: string, field: string): DataPath {
  const { path, end } = readDataPath(text, field);
  if (end !== text.length) {
    throw new QueryError(field, `unexpected ${JSON.stringify(text[end])} at character ${end + 1} of ${JSON.stringify(text.slice(0, 80))}`);
  }
  return path;
}

function readBracket(text: string, start: number): { segment: PathSegment; end: number } | null {
  const index = /^(0|[1-9][0-9]{0,8})\]/.exec(text.slice(start));
  if (index) return { segment: Number(index[1]), end: start + index[0].length };
  if (text[start] !== '"') return null;
  // The JSON string ends at the first quote not escaped by a backslash.
  let end = start + 1;
  while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
  if (text[end + 1] !== ']') return null;
  try {
    const key: unknown = JSON.parse(text.slice(start, end + 1));
    return typeof key === 'string' ? { segment: key, end: end + 2 } : null;
  } catch {
    return null;
  }
}
