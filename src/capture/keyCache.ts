// Keys recur across calls and across the records of an array, so what a redact pattern makes of
// a key is computed once and remembered, per pattern. Bounded because keys may be unbounded data
// (ids used as keys).
const KEY_CACHE_LIMIT = 4096;
const MAX_CACHED_KEY_LENGTH = 128;

/** One map of remembered keys per redact pattern; a capture takes its pattern's map once. */
export class KeyCaches<T> {
  private readonly byPattern = new WeakMap<RegExp, Map<string, T>>();

  of(redact: RegExp): Map<string, T> {
    let cache = this.byPattern.get(redact);
    if (cache === undefined) {
      cache = new Map();
      this.byPattern.set(redact, cache);
    }
    return cache;
  }
}

/** Remembers what a key came to, within the bounds. */
export function rememberKey<T>(cache: Map<string, T>, key: string, value: T): void {
  if (key.length > MAX_CACHED_KEY_LENGTH) return;
  if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
