import { QueryError } from '../errors';
import type { DataPredicate } from '../store';
import { readDataPath } from '../store/dataPath';
import { UsageError } from './args';

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * Reads one `--where` into a store predicate:
 * - `output.code=05`: equals. The value is a number, `true`, `false` or `null` when it reads as
 *   one in JSON, a string otherwise (`05`, `c-17`); `"5"` (JSON-quoted) is the string 5.
 * - `output.note~declined`: a string containing the text.
 * - `output.amount>100`, `output.amount<5`: a number greater or less.
 * - `output.code`: the path leads to a value; `!output.code`: it leads to none.
 * The path is `input` or `output`, then `.key`, `[index]` or `["any key"]`.
 * @throws UsageError naming `--where` and the problem.
 */
export function parseWhere(text: string): DataPredicate {
  const negated = text.startsWith('!');
  const body = negated ? text.slice(1) : text;
  let end: number;
  try {
    end = readDataPath(body, '--where').end;
  } catch (error) {
    if (error instanceof QueryError)
      throw new UsageError(`invalid --where ${JSON.stringify(text)}: ${error.message.replace(/^Invalid --where: /, '')}`);
    throw error;
  }
  const path = body.slice(0, end);
  const operator = body[end];
  const value = body.slice(end + 1);
  const fail = (problem: string): never => {
    throw new UsageError(`invalid --where ${JSON.stringify(text)}: ${problem} (see flowtrail list --help)`);
  };
  if (negated) {
    if (operator !== undefined) fail('"!" asks for a path that leads to nothing, and takes no operator');
    return { path, exists: false };
  }
  if (operator === undefined) return { path, exists: true };
  if (operator === '=') return { path, equals: readValue(value, fail) };
  if (operator === '~') {
    const contained = readText(value, fail);
    if (contained === '') fail('~ needs text to look for');
    return { path, contains: contained };
  }
  if (operator === '>' || operator === '<') {
    const bound = JSON_NUMBER.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(bound)) fail(`${operator} compares with a finite number, not ${JSON.stringify(value)}`);
    return operator === '>' ? { path, gt: bound } : { path, lt: bound };
  }
  return fail(`unknown operator ${JSON.stringify(operator)} after the path (use =, ~, > or <)`);
}

function readValue(text: string, fail: (problem: string) => never): string | number | boolean | null {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (JSON_NUMBER.test(text)) {
    const value = Number(text);
    if (!Number.isFinite(value)) fail(`${text} is too large a number`);
    return value;
  }
  return readText(text, fail);
}

/** A JSON-quoted string read as JSON; any other text as it is. */
function readText(text: string, fail: (problem: string) => never): string {
  if (!text.startsWith('"')) return text;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'string') return value;
  } catch {
    // reported below
  }
  return fail(`${text} starts with a quote but is not one JSON string`);
}
