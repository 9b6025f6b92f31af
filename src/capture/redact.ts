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
// Where it ends: before anything but a lowercase letter (an uppercase one starts the next word,
// unless the word is in capitals and goes on in capitals: PASSENGER is not PASS).
const WORD_END = '(?![a-z])(?!(?<=[A-Z])[A-Z](?![a-z]))';
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
  const exact: string[] = [];
  const loose: string[] = [];
  for (const key of keys) {
    const words = keyWords(key);
    if (words.length === 0) continue;
    const body = words.map(anyCase).join(WORD_SEPARATOR);
    const letters = words.reduce((count, word) => count + [...word].length, 0);
    exact.push(letters <= WHOLE_WORD_LENGTH ? `${WORD_START}${body}${WORD_END}` : body);
    loose.push(words.map((word) => (hasSimpleCase(word) ? escape(word) : anyCase(word))).join(WORD_SEPARATOR));
  }
  return exact.length === 0 ? new RegExp('(?!)') : new RedactPattern(exact.join('|'), new RegExp(loose.join('|'), 'iu'));
}

/**
 * The exact pattern spells case out letter by letter and looks around for word boundaries,
 * which V8 runs many times slower than a plain case-insensitive one: keys that are not even
 * close (nearly all of them) are told apart by `loose`, the same entries without boundaries.
 */
class RedactPattern extends RegExp {
  constructor(
    source: string,
    private readonly loose: RegExp,
  ) {
    super(source, 'u');
  }

  override test(key: string): boolean {
    return this.loose.test(key) && super.test(key);
  }
}

function keyWords(key: string): string[] {
  return key
    .replace(CAMEL_BOUNDARY, '$1 $2')
    .replace(ACRONYM_BOUNDARY, '$1 $2')
    .split(SEPARATORS)
    .filter((word) => word !== '');
}

function escape(text: string): string {
  return text.replace(REGEXP_METACHARACTERS, '\\$&');
}

/** A word as a pattern matching it in any letter case. */
function anyCase(word: string): string {
  let pattern = '';
  for (const character of word) {
    const lower = character.toLowerCase();
    const upper = character.toUpperCase();
    if (lower === upper) pattern += escape(character);
    else if (hasSimpleCase(character)) pattern += `[${lower}${upper}]`;
    else pattern += `(?:${escape(lower)}|${escape(upper)})`;
  }
  return pattern;
}

/** Whether every character's other case is one character: then the `i` flag matches what {@link anyCase} spells out (`ß` is `SS`). */
function hasSimpleCase(word: string): boolean {
  for (const character of word) if ([...character.toLowerCase()].length !== 1 || [...character.toUpperCase()].length !== 1) return false;
  return true;
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
