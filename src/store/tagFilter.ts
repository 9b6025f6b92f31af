import { QueryError } from '../errors';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagText } from './tags';

/**
 * How `listExecutions({ tags })` reads: the page is driven by the first tag's index entries, newest
 * first, joined to their executions; every further tag is a probe of `execution_tags`' primary key.
 */
export interface TagLookup {
  /** Alias of the joined `execution_tags` row of the first tag. */
  readonly alias: string;
  /** The join condition of that row to the execution (`<alias>.execution_id = e.id`, its key and value). */
  readonly on: string;
  /** The further tags, as one condition; undefined with one tag. */
  readonly where: string | undefined;
  /** Named parameters (TypeORM's `:name` form) of both. */
  readonly params: Record<string, string>;
  /**
   * The keyset's columns, on the joined row: an execution's `started_at` is copied into its tag
   * rows and never changes, so ordering by these is ordering by the execution's, and the tag index
   * (key, value, started_at DESC, execution_id DESC) yields the page in order and stops at it.
   */
  readonly startedAt: string;
  readonly id: string;
}

/**
 * Why a join and not a condition such as `e.id IN (SELECT …)`, measured on 1 000 000 stored
 * steps (docs/performance.md): with a condition, SQLite builds the whole set of a tag's runs
 * before it can sort the first page (70 ms at 10 000 runs, growing with them), and a correlated
 * EXISTS scans every execution for a rare tag. Walking the tag's index in page order reads about
 * the page whatever the tag's frequency, on every database.
 *
 * @throws QueryError naming `tags` (and the key) when they are not an object of string → string
 * within the tag limits — such a tag could never have been stored, so it could match nothing.
 */
export function tagLookup(tags: unknown, tagsTable: string, executionAlias: string): TagLookup | undefined {
  if (tags === undefined) return undefined;
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
    throw new QueryError(
      'tags',
      `${tags === null ? 'null' : Array.isArray(tags) ? 'an array' : `a ${typeof tags}`} is not an object of tag → value`,
    );
  }
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_TAGS) throw new QueryError('tags', `${entries.length} tags asked for; an execution holds at most ${MAX_TAGS}`);
  const params: Record<string, string> = {};
  const conditions = entries.map(([key, value], i) => {
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH) {
      throw new QueryError('tags', `the key ${JSON.stringify(key.slice(0, 80))} is not 1 to ${MAX_TAG_KEY_LENGTH} characters`);
    }
    if (typeof value !== 'string') throw new QueryError(`tags.${key}`, `${describe(value)} is not a string`);
    if (value.length > MAX_TAG_VALUE_LENGTH)
      throw new QueryError(`tags.${key}`, `the value is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    params[`tagKey${i}`] = tagText(key);
    params[`tagValue${i}`] = tagText(value);
    return `t${i}.execution_id = ${executionAlias}.id AND t${i}.tag_key = :tagKey${i} AND t${i}.tag_value = :tagValue${i}`;
  });
  const [first, ...rest] = conditions;
  return {
    alias: 't0',
    on: first!,
    where:
      rest.length === 0
        ? undefined
        : rest.map((condition, i) => `EXISTS (SELECT 1 FROM ${tagsTable} t${i + 1} WHERE ${condition})`).join(' AND '),
    params,
    startedAt: 't0.started_at',
    id: 't0.execution_id',
  };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
