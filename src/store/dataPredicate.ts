import { QueryError } from '../errors';
import { DATA_SOURCES, parseDataPath } from './dataPath';
import type { PathSegment } from './jsonPath';

/**
 * A test on one value inside a step's captured input or output, at `path` (`'output.code'`,
 * `'input.items[0].sku'`, `'output["order.id"]'`). Give one of `equals`, `exists`, `contains`,
 * or `gt` and/or `lt`.
 */
export interface DataPredicate {
  path: string;
  /** The value is this string, number, boolean or null (a string never equals a number: '5' is not 5). */
  equals?: string | number | boolean | null;
  /** The path leads to a value (null included), or with `false` to nothing. */
  exists?: boolean;
  /** The value is a string holding this text (case-sensitive). */
  contains?: string;
  /** The value is a number greater than this. */
  gt?: number;
  /** The value is a number less than this. */
  lt?: number;
}

export type DataTest =
  | { kind: 'equals'; value: string | number | boolean | null }
  | { kind: 'exists'; present: boolean }
  | { kind: 'contains'; text: string }
  | { kind: 'range'; gt?: number; lt?: number };

/** A checked predicate: the column, the path in it, the test. */
export interface DataCondition {
  column: (typeof DATA_SOURCES)[keyof typeof DATA_SOURCES];
  segments: PathSegment[];
  test: DataTest;
}

export const MAX_PREDICATES = 16;
export const MAX_VALUE_LENGTH = 10_000;
const KEYS = new Set(['path', 'equals', 'exists', 'contains', 'gt', 'lt']);

/**
 * Checks `where` (an array of predicates) and reads it into conditions.
 * @throws QueryError naming the predicate (`where[1].equals`) and what is wrong.
 */
export function readDataPredicates(where: unknown, field = 'where'): DataCondition[] {
  if (where === undefined) return [];
  if (!Array.isArray(where)) throw new QueryError(field, 'not an array of predicates');
  if (where.length > MAX_PREDICATES) throw new QueryError(field, `${where.length} predicates; at most ${MAX_PREDICATES}`);
  return where.map((predicate: unknown, i) => readPredicate(predicate, `${field}[${i}]`));
}

function readPredicate(predicate: unknown, field: string): DataCondition {
  if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) {
    throw new QueryError(field, 'not a predicate object ({ path, equals | exists | contains | gt | lt })');
  }
  const given = predicate as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KEYS.has(key)) throw new QueryError(`${field}.${key}`, 'not a predicate field (path, equals, exists, contains, gt, lt)');
  }
  const path = parseDataPath(given.path as string, `${field}.path`);
  const tests = ['equals', 'exists', 'contains', 'gt', 'lt'].filter((key) => given[key] !== undefined);
  const isRange = tests.length > 0 && tests.every((key) => key === 'gt' || key === 'lt');
  if (tests.length === 0 || (tests.length > 1 && !isRange)) {
    throw new QueryError(field, `give one test: equals, exists, contains, or gt and/or lt (got ${tests.join(', ') || 'none'})`);
  }
  return { column: DATA_SOURCES[path.source], segments: path.segments, test: readTest(given, tests[0]!, field) };
}

function readTest(given: Record<string, unknown>, kind: string, field: string): DataTest {
  if (kind === 'equals') {
    const value = given.equals;
    if (typeof value === 'string') return { kind: 'equals', value: boundedText(value, `${field}.equals`, true) };
    if (typeof value === 'number') return { kind: 'equals', value: finite(value, `${field}.equals`) };
    if (typeof value === 'boolean' || value === null) return { kind: 'equals', value };
    throw new QueryError(`${field}.equals`, 'not a string, number, boolean or null');
  }
  if (kind === 'exists') {
    if (typeof given.exists !== 'boolean') throw new QueryError(`${field}.exists`, 'not true or false');
    return { kind: 'exists', present: given.exists };
  }
  if (kind === 'contains') {
    if (typeof given.contains !== 'string') throw new QueryError(`${field}.contains`, 'not a string');
    return { kind: 'contains', text: boundedText(given.contains, `${field}.contains`, false) };
  }
  const range: DataTest & { kind: 'range' } = { kind: 'range' };
  if (given.gt !== undefined) range.gt = finite(given.gt, `${field}.gt`);
  if (given.lt !== undefined) range.lt = finite(given.lt, `${field}.lt`);
  return range;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new QueryError(field, `${String(value)} is not a finite number`);
  return value;
}

function boundedText(value: string, field: string, emptyAllowed: boolean): string {
  if (!emptyAllowed && value === '') throw new QueryError(field, 'empty text matches every string; use exists');
  if (value.length > MAX_VALUE_LENGTH) throw new QueryError(field, `${value.length} characters; at most ${MAX_VALUE_LENGTH}`);
  return value;
}

/**
 * Text that the stored JSON must hold wherever the test holds, so that a database can rule out
 * most rows by a plain substring search before parsing any JSON; undefined when there is none.
 * Stored JSON is what `JSON.stringify` wrote, so a value's text in it is its JSON text.
 */
export function requiredText(condition: DataCondition): string | undefined {
  const { test, segments } = condition;
  if (test.kind === 'equals') return JSON.stringify(test.value);
  if (test.kind === 'contains') return JSON.stringify(test.text).slice(1, -1);
  if (test.kind === 'exists' && test.present) {
    const last = segments[segments.length - 1];
    return typeof last === 'string' ? `${JSON.stringify(last)}:` : undefined;
  }
  return undefined;
}
