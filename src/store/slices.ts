/**
 * Consecutive slices of `items`, each at most `maxItems` long and, where `maxChars` is finite, at
 * most `maxChars` of text by `charsOf` (an item larger than that alone is a slice of its own).
 * With no character bound, `charsOf` is never called.
 */
export function* slices<T>(items: readonly T[], maxItems: number, maxChars: number, charsOf: (item: T) => number): Generator<T[]> {
  if (maxChars === Infinity) {
    for (let start = 0; start < items.length; start += maxItems) yield items.slice(start, start + maxItems);
    return;
  }
  let start = 0;
  let chars = 0;
  for (let i = 0; i < items.length; i++) {
    const size = charsOf(items[i]!);
    if (i > start && (i - start >= maxItems || chars + size > maxChars)) {
      yield items.slice(start, i);
      start = i;
      chars = 0;
    }
    chars += size;
  }
  if (start < items.length) yield items.slice(start);
}

/** Characters of text in a row's values: what a statement carrying it must make room for. */
export function textChars(values: readonly unknown[]): number {
  let chars = 16;
  for (const value of values) chars += typeof value === 'string' ? value.length : 16;
  return chars;
}
