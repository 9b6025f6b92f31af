import { QueryError } from '../errors';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagText } from './tags';

/** A condition on the executions' alias, with its named parameters (TypeORM's `:name` form). */
export interface TagCondition {
  readonly sql: string;
  readonly params: Record<string, string>;
}

/**
 * `listExecutions({ tags })`: the executions that carry every given tag (key and value equal),
 * as ONE condition on the executions' alias, so that it composes with the other filters. Each
 * tag is a lookup in `execution_tags` by its (key, value) index.
 *
 * @throws QueryError naming `tags` (and the key) when they are not an object of string → string
 * within the tag limits — such a tag could never have been stored, so it could match nothing.
 */
export function tagCondition(tags: unknown, tagsTable: string, alias: string): TagCondition | undefined {
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
    return `${alias}.id IN (SELECT t${i}.execution_id FROM ${tagsTable} t${i} WHERE t${i}.tag_key = :tagKey${i} AND t${i}.tag_value = :tagValue${i})`;
  });
  return { sql: conditions.join(' AND '), params };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
