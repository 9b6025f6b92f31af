/**
 * One update per id, in the order each id first appears: a later patch's defined keys overwrite
 * an earlier one's (`null` included, which sets NULL), as applying them in turn would leave the
 * row. A set-wise UPDATE … FROM picks one source row arbitrarily where an id appears twice, and
 * grouping patches by shape could reorder two for one id. Returns `updates` itself when no id repeats.
 */
export function mergeUpdatesById<P>(updates: readonly { id: string; patch: P }[]): readonly { id: string; patch: P }[] {
  const byId = new Map<string, P>();
  let merged = false;
  for (const { id, patch } of updates) {
    const earlier = byId.get(id);
    if (earlier === undefined) byId.set(id, patch);
    else {
      byId.set(id, overlay(earlier, patch));
      merged = true;
    }
  }
  if (!merged) return updates;
  return Array.from(byId, ([id, patch]) => ({ id, patch }));
}

/** A copy of `base` with the defined keys of `patch` over it; neither is changed. */
function overlay<P>(base: P, patch: P): P {
  const out: Record<string, unknown> = { ...(base as object) };
  for (const [key, value] of Object.entries(patch as object)) if (value !== undefined) out[key] = value;
  return out as P;
}
