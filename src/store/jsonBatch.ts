/**
 * Set-based writes: a whole chunk of rows travels as ONE parameter, a JSON array of arrays, and
 * the database unpacks it (SQLite `json_each`, PostgreSQL `json_array_elements`). Binding
 * thousands of parameters one by one was the main-thread cost of a write; one string is bound
 * in constant time and the unpacking runs inside the database, off the event loop.
 *
 * Column names come only from the schema, never from the caller.
 */

// A `\u0000` or lone-surrogate escape whose backslash is not itself escaped. JSON.stringify
// writes NUL and lone surrogates only in this form, so this finds them in any string of the array.
const ALTERED_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f])/i;

/**
 * The JSON of `rows`, or null when a string in them holds a character the database's JSON
 * functions would not store as the bound-parameter path does: SQLite cuts a text at U+0000 and
 * PostgreSQL refuses U+0000 and lone surrogates in json. Such (rare) chunks are written with
 * bound parameters instead, which keep the documented behaviour. So are chunks with a text longer
 * than its column holds (`maxTextBytes`, MySQL's TEXT): MariaDB stores such a value from
 * JSON_TABLE cut to its length modulo 65 536, without an error; bound, it is refused as data.
 */
export function encodeJsonRows(rows: readonly (readonly unknown[])[], maxTextBytes = Infinity): string | null {
  if (maxTextBytes !== Infinity && rows.some((row) => row.some((value) => tooLong(value, maxTextBytes)))) return null;
  const json = JSON.stringify(rows);
  // Cheap native scan first; the exact test runs only when an escape is there at all.
  if (json.includes('\\u') && ALTERED_ESCAPE.test(json)) return null;
  return json;
}

function tooLong(value: unknown, maxBytes: number): boolean {
  // A UTF-8 character takes at most three bytes per UTF-16 unit: most strings pass on their length.
  return typeof value === 'string' && value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes;
}
