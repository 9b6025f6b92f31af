import { assignDefined } from './assignDefined';

/**
 * One update per id, in the order each id first appears: a later patch's defined keys overwrite
 * an earlier one's (`null` included, which sets NULL), as applying them in turn would leave the
 * row. A set-wise UPDATE … FROM picks one source row arbitrarily where an id appears twice, and
 * grouping patches by shape could reorder two for one id. Returns `updates` itself when no id repeats.
 */
export function mergeUpdatesById<P extends object>(updates: readonly { id: string; patch: P }[]): readonly { id: string; patch: P }[] {
  const byId = new Map<string, P>();
  let merged = false;
  for (const { id, patch } of updates) {
    const earlier = byId.get(id);
    if (earlier === undefined) byId.set(id, patch);
    else {
      // A copy: the caller's patches stay as they were.
      byId.set(id, assignDefined({ ...earlier }, patch));
      merged = true;
    }
  }
  if (!merged) return updates;
  return Array.from(byId, ([id, patch]) => ({ id, patch }));
}
