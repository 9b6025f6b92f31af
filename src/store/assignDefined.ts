/**
 * Copies `patch`'s defined keys onto `target` and returns it: how a later patch of a row meets an
 * earlier one (or the row not yet written). `null` is defined, and sets NULL; `undefined` leaves
 * the key as it was.
 */
export function assignDefined<T extends object>(target: T, patch: Partial<T>): T {
  for (const key of Object.keys(patch) as (keyof T)[]) {
    const value = patch[key];
    if (value !== undefined) target[key] = value as T[keyof T];
  }
  return target;
}
