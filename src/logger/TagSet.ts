import { REDACTED } from '../capture';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagText, type Tags } from '../store/tags';

/**
 * The tags of one running execution, as the logger keeps them: whatever user code passes is
 * taken as far as it fits and never thrown back. A key must be a string of 1 to 64 characters
 * (UTF-16 code units); a value a string of at most 256, or a number, boolean or bigint (taken as
 * its text); an execution keeps at most 32 keys. A tag that does not fit is dropped and counted
 * (`logger.stats().tagsDropped`). A key the logger redacts (`redactKeys`) keeps its value as
 * `[REDACTED]`. NUL and lone surrogates are stored as U+FFFD, as every database can hold them.
 */
export class TagSet {
  private readonly tags: Tags = Object.create(null) as Tags;
  private size = 0;

  constructor(private readonly redact: RegExp) {}

  /** @returns whether the tag was kept (new, or a new value for a key it holds). */
  add(key: unknown, value: unknown): boolean {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_TAG_KEY_LENGTH) return false;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
    else return false;
    if (text.length > MAX_TAG_VALUE_LENGTH) return false;
    const storedKey = tagText(key);
    const isNew = !(storedKey in this.tags);
    if (isNew && this.size === MAX_TAGS) return false;
    this.tags[storedKey] = this.redact.test(key) ? REDACTED : tagText(text);
    if (isNew) this.size++;
    return true;
  }

  /**
   * Adds every own enumerable entry of `tags` (the decorator's `tags` option).
   * @returns how many were dropped; a value that is not an object drops as one.
   */
  addAll(tags: unknown): number {
    if (tags === undefined || tags === null) return 0;
    if (typeof tags !== 'object' || Array.isArray(tags)) return 1;
    let dropped = 0;
    let entries: [string, unknown][];
    try {
      entries = Object.entries(tags);
    } catch {
      return 1;
    }
    for (const [key, value] of entries) if (!this.add(key, value)) dropped++;
    return dropped;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** A copy to record: records are queued and may be read after later tags are added. */
  snapshot(): Tags {
    return { ...this.tags };
  }
}
