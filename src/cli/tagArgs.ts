import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS } from '../store/tags';
import { UsageError } from './args';

/**
 * `--tag key=value`, repeatable: split at the first `=` (a value may hold more), the key
 * non-empty; within the limits of tags, since a longer one could never have been stored.
 * @throws UsageError naming the argument and what is wrong with it.
 */
export function parseTags(args: readonly string[]): Record<string, string> | undefined {
  if (args.length === 0) return undefined;
  if (args.length > MAX_TAGS) throw new UsageError(`--tag given ${args.length} times; an execution holds at most ${MAX_TAGS} tags`);
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const shown = JSON.stringify(arg.length > 80 ? `${arg.slice(0, 80)}…` : arg);
    if (eq === -1) throw new UsageError(`--tag ${shown} is not key=value (for example --tag tenant=acme)`);
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (key === '') throw new UsageError(`--tag ${shown} has no key before "="`);
    if (key.length > MAX_TAG_KEY_LENGTH) throw new UsageError(`--tag ${shown}: the key is longer than ${MAX_TAG_KEY_LENGTH} characters`);
    if (value.length > MAX_TAG_VALUE_LENGTH)
      throw new UsageError(`--tag ${shown}: the value is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    if (key in tags) throw new UsageError(`--tag ${JSON.stringify(key)} given twice`);
    tags[key] = value;
  }
  return { ...tags };
}
