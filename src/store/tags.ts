/**
 * Tags: short string pairs an execution is found by (`listExecutions({ tags })`). The limits are
 * the columns of `execution_tags`: a key is at most `varchar(64)`, a value `varchar(256)`, so
 * that the lookup index fits every database's key size (MySQL/MariaDB: 4 bytes a character in
 * utf8mb4, 3 072 bytes a key) without a prefix that would make it inexact.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units), never more characters than that.
 */

/** Tags one execution keeps; later ones past it are dropped. */
export const MAX_TAGS = 32;
/** UTF-16 code units of a tag key (at least 1). */
export const MAX_TAG_KEY_LENGTH = 64;
/** UTF-16 code units of a tag value (may be empty). */
export const MAX_TAG_VALUE_LENGTH = 256;

/** Tags as stored: an object of string → string. */
export type Tags = Record<string, string>;

/** ES2024 string methods (Node 20 has them; the compiler's lib is ES2022). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * A tag's text as every database stores it alike: U+0000 (PostgreSQL text cannot hold it) and
 * lone surrogates (no UTF-8 encoding) become U+FFFD. Applied to what is indexed and to what a
 * query looks for, so that a tag is found by the text it was given.
 */
export function tagText(text: string): string {
  const view = text as unknown as WellFormed;
  const wellFormed = view.isWellFormed() ? text : view.toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed;
}

/** Whether a key and a value fit the index columns (the logger makes sure its tags do). */
export function tagFits(key: unknown, value: unknown): key is string {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= MAX_TAG_KEY_LENGTH &&
    typeof value === 'string' &&
    value.length <= MAX_TAG_VALUE_LENGTH
  );
}

/**
 * The index rows of a stored `tags` value (JSON text or parsed): the pairs that fit, at most
 * {@link MAX_TAGS}. What does not fit (written through the store API directly) stays in the
 * column and is not indexed: the store never fails a batch over a tag.
 */
export function indexableTags(stored: unknown): [string, string][] {
  let tags = stored;
  if (typeof tags === 'string') {
    try {
      tags = JSON.parse(tags);
    } catch {
      return [];
    }
  }
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return [];
  // Keyed by the text as stored: two keys that differ only where tagText rewrites them are one
  // key in the index (the later wins, as in an object literal).
  const pairs = new Map<string, string>();
  for (const [key, value] of Object.entries(tags as Record<string, unknown>)) {
    if (!tagFits(key, value)) continue;
    const stored = tagText(key);
    if (pairs.size === MAX_TAGS && !pairs.has(stored)) break;
    pairs.set(stored, tagText(value as string));
  }
  return [...pairs];
}
