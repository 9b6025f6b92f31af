/** Replacement stored in place of any value found under a sensitive key. */
export const REDACTED = '[REDACTED]';

/**
 * Key fragments whose values are never stored. Multi-word entries match in any
 * common spelling: "api key" covers apiKey, api_key, api-key, API_KEY, x-api-key, apikey.
 * Entries of up to {@link WHOLE_WORD_LENGTH} letters match only a whole word of the key: "pin"
 * covers cardPin and PIN_CODE, not shipping.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'pass',
  'passphrase',
  'secret',
  'token',
  'jwt',
  'bearer',
  'api key',
  'authorization',
  'cookie',
  'session',
  'private key',
  'signing key',
  'encryption key',
  'master key',
  'credential',
  'connection string',
  'database url',
  'dsn',
  'otp',
  'pin',
  'cvv',
  'ssn',
  'card number',
]);

/** Entries this short are common inside unrelated words (shipping, classname): whole words only. */
export const WHOLE_WORD_LENGTH = 4;

// Between the words of a key we accept any run of the separators people use in
// identifiers and headers, including none at all (camelCase / "apikey").
const WORD_SEPARATOR = '[\\s_.-]*';
// Where a word of the key begins: after anything but a letter, or where camelCase starts one.
const WORD_START = '(?:(?<![A-Za-z])|(?<=[a-z0-9])(?=[A-Z]))';
// Where it ends: before anything but a lowercase letter (an uppercase one starts the next word).
const WORD_END = '(?![a-z])';
const REGEXP_METACHARACTERS = /[.*+?^${}()|[\]\\/]/g;
const CAMEL_BOUNDARY = /([a-z0-9])([A-Z])/g;
const ACRONYM_BOUNDARY = /([A-Z])([A-Z][a-z])/g;
const SEPARATORS = /[\s_.-]+/;

/**
 * Builds a pattern matching any object key that contains one of `keys`, in any letter case,
 * written in camelCase, snake_case, kebab-case, with spaces or run together (short entries: as
 * a whole word). Keys are treated as literal text (regex metacharacters are escaped). An empty
 * list yields a pattern that matches nothing.
 *
 * Case is spelled out per letter rather than with the `i` flag, which would blind the
 * camelCase word boundaries to case.
 */
export function buildRedactPattern(keys: readonly string[]): RegExp {
  const alternatives: string[] = [];
  for (const key of keys) {
    const pattern = keyPattern(key);
    if (pattern !== '') alternatives.push(pattern);
  }
  return alternatives.length === 0 ? new RegExp('(?!)') : new RegExp(alternatives.join('|'), 'u');
}

function keyPattern(key: string): string {
  const words = key
    .replace(CAMEL_BOUNDARY, '$1 $2')
    .replace(ACRONYM_BOUNDARY, '$1 $2')
    .split(SEPARATORS)
    .filter((word) => word !== '');
  if (words.length === 0) return '';
  const body = words.map(anyCase).join(WORD_SEPARATOR);
  const letters = words.reduce((count, word) => count + [...word].length, 0);
  return letters <= WHOLE_WORD_LENGTH ? `${WORD_START}${body}${WORD_END}` : body;
}

/** A word as a pattern matching it in any letter case. */
function anyCase(word: string): string {
  let pattern = '';
  for (const character of word) {
    const lower = character.toLowerCase();
    const upper = character.toUpperCase();
    const escaped = character.replace(REGEXP_METACHARACTERS, '\\$&');
    if (lower === upper) pattern += escaped;
    else if ([...lower].length === 1 && [...upper].length === 1) pattern += `[${lower}${upper}]`;
    else pattern += `(?:${lower.replace(REGEXP_METACHARACTERS, '\\$&')}|${upper.replace(REGEXP_METACHARACTERS, '\\$&')})`;
  }
  return pattern;
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
