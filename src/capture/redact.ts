/** Replacement stored in place of any value found under a sensitive key. */
export const REDACTED = '[REDACTED]';

/**
 * Key fragments whose values are never stored. Multi-word entries match in any
 * common spelling: "api key" covers apiKey, api_key, api-key, API_KEY, x-api-key, apikey.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'secret',
  'token',
  'api key',
  'authorization',
  'cookie',
  'private key',
  'credential',
]);

// Between the words of a key we accept any run of the separators people use in
// identifiers and headers, including none at all (camelCase / "apikey").
const WORD_SEPARATOR = '[\\s_.-]*';
const REGEXP_METACHARACTERS = /[.*+?^${}()|[\]\\/]/g;
const CAMEL_BOUNDARY = /([a-z0-9])([A-Z])/g;
const ACRONYM_BOUNDARY = /([A-Z])([A-Z][a-z])/g;
const SEPARATORS = /[\s_.-]+/;

/**
 * Builds a case-insensitive pattern matching any object key that contains one of
 * `keys`, written in camelCase, snake_case, kebab-case, with spaces or run together.
 * Keys are treated as literal text (regex metacharacters are escaped). An empty list
 * yields a pattern that matches nothing.
 */
export function buildRedactPattern(keys: readonly string[]): RegExp {
  const alternatives: string[] = [];
  for (const key of keys) {
    const pattern = keyPattern(key);
    if (pattern !== '') alternatives.push(pattern);
  }
  return alternatives.length === 0 ? new RegExp('(?!)') : new RegExp(alternatives.join('|'), 'i');
}

function keyPattern(key: string): string {
  const words = key
    .replace(CAMEL_BOUNDARY, '$1 $2')
    .replace(ACRONYM_BOUNDARY, '$1 $2')
    .split(SEPARATORS)
    .filter((word) => word !== '');
  return words.map((word) => word.replace(REGEXP_METACHARACTERS, '\\$&')).join(WORD_SEPARATOR);
}

const statelessCopies = new WeakMap<RegExp, RegExp>();

/**
 * `test` on a /g or /y regex advances `lastIndex`, so the same key could match on one
 * call and not the next. Such patterns are swapped for a flag-free copy, made once per
 * pattern rather than once per capture.
 */
export function statelessPattern(pattern: RegExp): RegExp {
  if (!pattern.global && !pattern.sticky) return pattern;
  let copy = statelessCopies.get(pattern);
  if (copy === undefined) {
    copy = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    statelessCopies.set(pattern, copy);
  }
  return copy;
}
