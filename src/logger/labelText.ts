/**
 * A name, an id or a type as the text a record stores, from whatever an option function or a
 * caller gave. Strings pass as they are; numbers, booleans, bigints and symbols become their text;
 * an object its own `String()`. Undefined when there is no usable text: null or undefined, a
 * function (an option that forgot its call parentheses), or an object whose `String()` throws or
 * gives no string (a null-prototype object, a hostile `toString`).
 */
export function labelText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'object': {
      if (value === null) return undefined;
      try {
        const text: unknown = String(value);
        return typeof text === 'string' ? text : undefined;
      } catch {
        return undefined;
      }
    }
    default:
      return undefined;
  }
}
