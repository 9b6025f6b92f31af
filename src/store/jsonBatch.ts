import type { Dialect } from './types';

/**
 * Set-based writes: a whole chunk of rows travels as ONE parameter, a JSON array of arrays, and
 * the database unpacks it (SQLite `json_each`, PostgreSQL `json_array_elements`). Binding
 * thousands of parameters one by one was the main-thread cost of a write; one string is bound
 * in constant time and the unpacking runs inside the database, off the event loop.
 *
 * Column names come only from the fixed lists in rows.ts, never from the caller.
 */

/** Non-text columns, which PostgreSQL must cast from the text that `->>` yields. */
const POSTGRES_CASTS: Readonly<Record<string, string>> = {
  started_at: 'bigint',
  completed_at: 'bigint',
  duration_ms: 'bigint',
  step_index: 'integer',
};

// A `\u0000` or lone-surrogate escape whose backslash is not itself escaped. JSON.stringify
// writes NUL and lone surrogates only in this form, so this finds them in any string of the array.
const ALTERED_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f])/i;

/**
 * The JSON of `rows`, or null when a string in them holds a character the database's JSON
 * functions would not store as the bound-parameter path does: SQLite cuts a text at U+0000 and
 * PostgreSQL refuses U+0000 and lone surrogates in json. Such (rare) chunks are written with
 * bound parameters instead, which keep the documented behaviour.
 */
export function encodeJsonRows(rows: readonly (readonly unknown[])[]): string | null {
  const json = JSON.stringify(rows);
  // Cheap native scan first; the exact test runs only when an escape is there at all.
  if (json.includes('\\u') && ALTERED_ESCAPE.test(json)) return null;
  return json;
}

/** `INSERT … SELECT` of the JSON rows (element i of each row → columns[i]); existing ids are skipped. */
export function jsonInsertSql(dialect: Dialect, table: string, columns: readonly string[]): string {
  const list = columns.join(', ');
  if (dialect === 'postgres') {
    const values = columns.map((column, i) => postgresElement('e', i, column)).join(', ');
    return `INSERT INTO ${table} (${list}) SELECT ${values} FROM json_array_elements($1::json) AS r(e) ON CONFLICT (id) DO NOTHING`;
  }
  const values = columns.map((_, i) => sqliteElement('value', i)).join(', ');
  // SQLite needs the WHERE to tell the upsert's ON CONFLICT from a join constraint.
  return `INSERT INTO ${table} (${list}) SELECT ${values} FROM json_each(?) WHERE true ON CONFLICT (id) DO NOTHING`;
}

/**
 * `UPDATE … FROM` the JSON rows: element 0 is the id, element i the new value of columns[i-1].
 * Ids that are not in the table are ignored, like a single-row UPDATE that matches nothing.
 */
export function jsonUpdateSql(dialect: Dialect, table: string, columns: readonly string[]): string {
  if (dialect === 'postgres') {
    const set = columns.map((column, i) => `${column} = ${postgresElement('u.e', i + 1, column)}`).join(', ');
    return `UPDATE ${table} SET ${set} FROM json_array_elements($1::json) AS u(e) WHERE ${table}.id = u.e->>0`;
  }
  const set = columns.map((column, i) => `${column} = ${sqliteElement('u.value', i + 1)}`).join(', ');
  return `UPDATE ${table} SET ${set} FROM json_each(?) AS u WHERE ${table}.id = ${sqliteElement('u.value', 0)}`;
}

function postgresElement(element: string, index: number, column: string): string {
  const cast = POSTGRES_CASTS[column];
  return cast ? `(${element}->>${index})::${cast}` : `${element}->>${index}`;
}

function sqliteElement(element: string, index: number): string {
  return `json_extract(${element}, '$[${index}]')`;
}
