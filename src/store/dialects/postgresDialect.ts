import { resolve } from 'node:path';
import type { DataCondition } from '../dataPredicate';
import { maskPassword } from '../target';
import { errorCode, type SqlDialect } from './SqlDialect';

/** PostgreSQL through `pg`: a pool of connections, each transaction on its own. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  // Text cannot hold U+0000, and one such string would fail its whole batch on every retry: it is
  // stored as U+FFFD, and filters are mapped the same way so they still match. JSON escapes NUL.
  bindable: (value) => (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value),
  ignoreDuplicateSql: (key) => ` ON CONFLICT (${key}) DO NOTHING`,
  maxStatementChars: Infinity,
  maxTextBytes: Infinity,
  rowBefore: (a, b, x, y, orEqual) => `(${a}, ${b}) ${orEqual ? '<=' : '<'} (${x()}, ${y()})`,
  serialTransactions: false,
  beginSql: ['BEGIN'],
  jsonInsertSql(table, columns, casts) {
    const values = columns.map((column, i) => element('e', i, casts[column])).join(', ');
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values} FROM json_array_elements($1::json) AS r(e) ON CONFLICT (${columns[0]}) DO NOTHING`;
  },
  jsonUpdateSql(table, columns, casts) {
    const set = columns.map((column, i) => `${column} = ${element('u.e', i + 1, casts[column])}`).join(', ');
    return `UPDATE ${table} SET ${set} FROM json_array_elements($1::json) AS u(e) WHERE ${table}.id = u.e->>0`;
  },
  boundUpdateSql(table, columns, tuples, casts) {
    // Parameters in a VALUES list are text (their type is unknown): the cast gives each its column's type.
    const set = columns
      .map((column, i) => `${column} = ${casts[column] ? `u.column${i + 2}::${casts[column]}` : `u.column${i + 2}`}`)
      .join(', ');
    return `UPDATE ${table} SET ${set} FROM (VALUES ${tuples}) AS u WHERE ${table}.id = u.column1`;
  },
  jsonTest,
  // The planner weighs both indexes on its statistics (autovacuum keeps them).
  unindexed: (column) => column,
  intDiv: (dividend, divisor) => `((${dividend}) / (${divisor}))`,
  textContains: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
  // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
  isDataError: (error) => /^2[23][0-9A-Z]{3}$/.test(errorCode(error) ?? ''),
  tableExistsSql: 'SELECT to_regclass($1)::text AS name',
  // Autovacuum reuses the space of deleted rows.
  reclaimSpace: async () => undefined,
  identity(dataSource) {
    const options = dataSource.options as {
      url?: string;
      host?: string;
      port?: number;
      database?: unknown;
      schema?: string;
      username?: string;
    };
    const server = options.url
      ? maskPassword(options.url)
      : `${options.username ?? ''}@${options.host ?? ''}:${options.port ?? ''}/${String(options.database ?? '')}`;
    return `postgres:${server}:${options.schema ?? 'public'}`;
  },
  defaultSpoolDir: () => resolve('.flowtrail', 'spool'),
};

/** `->>` yields text: non-text columns are cast back. */
function element(value: string, index: number, cast: string | undefined): string {
  return cast ? `(${value}->>${index})::${cast}` : `${value}->>${index}`;
}

/**
 * PostgreSQL's JSON operators refuse a whole document holding the escape of U+0000 or of a lone
 * surrogate (JSON.stringify writes both; text cannot hold them): such escapes read as U+FFFD,
 * as NUL already is in bound text. Only a backslash that is not itself escaped starts one (an
 * even run of backslashes before it). A document without `\u` is used as it is.
 */
const UNREADABLE_ESCAPE = '(?<!\\\\)((?:\\\\\\\\)*)\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})';
const REPLACEMENT_ESCAPE = '\\1\\\\ufffd';

/** The same mapping applied to a JSON text looked for. */
function readableJson(json: string): string {
  return json.replace(/(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})/gi, '$1\\ufffd');
}

/**
 * `->` gives the value as JSON, whose text is the text stored (a string keeps its quotes and
 * escapes): equality is one comparison with the JSON text of what is looked for, type included.
 * One `->` per step, a key as text and an index as an integer: `#>` would take "0" for either.
 */
function jsonTest(column: string, { segments, test }: DataCondition, bind: (value: unknown) => string): string {
  const documentOf = () =>
    `(CASE WHEN strpos(${column}, ${bind('\\u')}) > 0 THEN regexp_replace(${column}, ${bind(UNREADABLE_ESCAPE)}, ${bind(REPLACEMENT_ESCAPE)}, 'g') ELSE ${column} END)::json`;
  const value = () =>
    `(${documentOf()}${segments.map((segment) => ` -> ${bind(segment)}::${typeof segment === 'number' ? 'int' : 'text'}`).join('')})`;
  switch (test.kind) {
    case 'equals':
      return `${value()}::text = ${bind(readableJson(JSON.stringify(test.value)))}`;
    case 'exists':
      return `${value()} IS ${test.present ? 'NOT ' : ''}NULL`;
    case 'contains':
      // Subqueries with OFFSET 0 stay whole: the document is parsed once, not once per use of the value.
      return `EXISTS (SELECT 1 FROM (SELECT ${value()} AS v OFFSET 0) q WHERE json_typeof(q.v) = 'string' AND strpos(q.v #>> '{}', ${bind(test.text)}) > 0)`;
    case 'range': {
      // A JSON number's text starts with a digit or a minus sign; the CASE keeps any other value from the cast.
      const number = `(SELECT CASE WHEN q.t ~ '^-?[0-9]' THEN q.t::numeric END AS n FROM (SELECT ${value()}::text AS t OFFSET 0) q)`;
      const bounds = [];
      if (test.gt !== undefined) bounds.push(`r.n > ${bind(test.gt)}::numeric`);
      if (test.lt !== undefined) bounds.push(`r.n < ${bind(test.lt)}::numeric`);
      return `EXISTS (SELECT 1 FROM ${number} r WHERE ${bounds.join(' AND ')})`;
    }
  }
}
