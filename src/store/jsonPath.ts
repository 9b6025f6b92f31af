/** A step into a JSON value: an object key, or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A path into a JSON value as text, JSONPath-like: `$` is the value itself, `.name` a key that is
 * an ASCII identifier, `["a.b"]` any other key as a JSON string (dots, brackets, quotes, spaces,
 * non-ASCII, the empty key), `[2]` an array index. So `$.items[2].price`, `$["order.id"]`.
 * Unambiguous: a key "0" is `["0"]`, the index 0 is `[0]`.
 */
export function jsonPath(segments: readonly PathSegment[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/**
 * The path as SQLite's and MySQL's JSON functions read it, `$."key"[2]`: every key quoted, so
 * that any key a search accepts (none holds a quote or a backslash) is one member name.
 */
export function sqlJsonPath(segments: readonly PathSegment[]): string {
  return `$${segments.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `."${segment}"`)).join('')}`;
}
