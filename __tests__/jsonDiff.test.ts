import { capJson, jsonDiff, type PathChange } from '../src/store/jsonDiff';
import { jsonPath } from '../src/store/jsonPath';

/** The changes as `kind path a → b` lines: what a reader of the diff sees. */
function lines(a: unknown, b: unknown, options = {}): string[] {
  return jsonDiff(a, b, options).changes.map(
    (change: PathChange) => `${change.kind} ${change.path} ${change.a?.json ?? '∅'} → ${change.b?.json ?? '∅'}`,
  );
}

describe('jsonPath', () => {
  test('identifier keys with dots, others quoted as JSON strings, indexes in brackets', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['items', 2, 'price'])).toBe('$.items[2].price');
    expect(jsonPath(['a.b', 'c[0]', '', '0', 0, 'say "hi"', 'prix€', '$ok', '_x1'])).toBe(
      '$["a.b"]["c[0]"][""]["0"][0]["say \\"hi\\""]["prix€"].$ok._x1',
    );
    expect(jsonPath(['\u001b[31m', 'line\nbreak'])).toBe('$["\\u001b[31m"]["line\\nbreak"]');
  });
});

describe('jsonDiff', () => {
  test('equal values have no changes, whatever their key order', () => {
    expect(jsonDiff({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toEqual({ changes: [], omitted: 0 });
    expect(jsonDiff(null, null).changes).toEqual([]);
    expect(jsonDiff('x', 'x').changes).toEqual([]);
  });

  test('objects key by key: added, removed and changed paths with both values', () => {
    expect(
      lines({ keep: 1, gone: 'old', price: 12.5, nested: { deep: true } }, { keep: 1, price: 13, nested: { deep: false }, fresh: [1] }),
    ).toEqual(['removed $.gone "old" → ∅', 'added $.fresh ∅ → [1]', 'changed $.price 12.5 → 13', 'changed $.nested.deep true → false']);
  });

  test('arrays index by index: a longer array adds its tail, a shorter one removes it', () => {
    expect(lines({ items: [{ p: 1 }, { p: 2 }, { p: 3 }] }, { items: [{ p: 1 }, { p: 9 }] })).toEqual([
      'removed $.items[2] {"p":3} → ∅',
      'changed $.items[1].p 2 → 9',
    ]);
    expect(lines([1], [1, 'two', null])).toEqual(['added $[1] ∅ → "two"', 'added $[2] ∅ → null']);
  });

  test('a change of shape is one change at that path, not one per leaf', () => {
    expect(lines({ v: { a: 1, b: 2 } }, { v: [1, 2] })).toEqual(['changed $.v {"a":1,"b":2} → [1,2]']);
    expect(lines({ v: '1' }, { v: 1 })).toEqual(['changed $.v "1" → 1']);
    expect(lines(null, { a: 1 })).toEqual(['changed $ null → {"a":1}']);
    expect(lines({ v: null }, { v: {} })).toEqual(['changed $.v null → {}']);
  });

  test('hostile keys and values: quotes, SQL, unicode, control characters, __proto__', () => {
    const a = JSON.parse('{"__proto__": {"x": 1}, "it\'s": "\'; DROP TABLE workflow_executions; --", "emoji 🚀": "👩‍👩‍👧"}');
    const b = JSON.parse('{"__proto__": {"x": 2}, "it\'s": "Robert\'); --", "emoji 🚀": "👩‍👩‍👦", "\\u0000nul": "\\u0000"}');
    expect(lines(a, b)).toEqual([
      'added $["\\u0000nul"] ∅ → "\\u0000"',
      'changed $.__proto__.x 1 → 2',
      `changed $["it's"] "'; DROP TABLE workflow_executions; --" → "Robert'); --"`,
      'changed $["emoji 🚀"] "👩‍👩‍👧" → "👩‍👩‍👦"',
    ]);
    // Walking __proto__ as data must not have touched Object.prototype.
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test('paths reported are capped, and the rest counted', () => {
    const a = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i + 1]));
    const diff = jsonDiff(a, b, { maxPaths: 10 });
    expect(diff.changes.map((change) => change.path)).toEqual(Array.from({ length: 10 }, (_, i) => `$.k${i}`));
    expect(diff.omitted).toBe(110);
    expect(jsonDiff(a, b).changes).toHaveLength(50);
    expect(jsonDiff(a, b, { maxPaths: 0 })).toEqual({ changes: [], omitted: 120 });
  });

  test('huge values are reported cut to the byte budget, between characters, saying how much is left out', () => {
    const huge = 'é'.repeat(300_000);
    const [change] = jsonDiff({ text: huge }, { text: `${huge}!` }, { maxValueBytes: 101 }).changes;
    expect(change?.a?.json).toBe(`"${'é'.repeat(50)}`);
    expect(change?.a?.omittedBytes).toBe(600_002 - 101);
    expect(change?.b?.omittedBytes).toBe(600_003 - 101);
    expect(capJson('abcdef', 4)).toEqual({ json: '"abc', omittedBytes: 4 });
    // A four-byte character is never split.
    expect(capJson('😀😀😀', 7)).toEqual({ json: '"😀', omittedBytes: 14 - 5 });
    expect(capJson({ short: true }, 200)).toEqual({ json: '{"short":true}', omittedBytes: 0 });
  });

  test('deep nesting is walked without overflowing the stack', () => {
    let a: unknown = 1;
    let b: unknown = 2;
    for (let i = 0; i < 20_000; i++) {
      a = [a];
      b = [b];
    }
    const [change] = jsonDiff(a, b).changes;
    expect(change?.path).toBe(`$${'[0]'.repeat(20_000)}`);
    expect(change?.a?.json).toBe('1');
  });

  describe('capture markers', () => {
    const truncated = (size: number, preview: string) => ({ _truncated: true, _originalSize: size, _preview: preview });

    test('a truncated payload is a leaf: changed as a whole with the markers, never diffed inside', () => {
      const diff = jsonDiff(truncated(90_000, '{"items":[1,2,...'), truncated(91_000, '{"items":[1,3,...'));
      expect(diff.changes).toEqual([
        {
          path: '$',
          kind: 'changed',
          a: { json: JSON.stringify(truncated(90_000, '{"items":[1,2,...')), omittedBytes: 0 },
          b: { json: JSON.stringify(truncated(91_000, '{"items":[1,3,...')), omittedBytes: 0 },
          marker: 'truncated',
        },
      ]);
    });

    test('a value that became truncated (or stopped being) is one change at its path, marked', () => {
      const [change] = jsonDiff({ body: { items: [1, 2] } }, { body: truncated(70_000, '{"items":[...') }).changes;
      expect(change).toMatchObject({ path: '$.body', kind: 'changed', marker: 'truncated' });
      expect(change?.a?.json).toBe('{"items":[1,2]}');
    });

    test('identical markers compare equal: the same size and the same preview', () => {
      expect(jsonDiff({ x: truncated(5000, 'abc...') }, { x: truncated(5000, 'abc...') }).changes).toEqual([]);
      expect(jsonDiff(truncated(5000, 'abc...'), { ...truncated(5000, 'abc...'), _originalSizeIsLowerBound: true }).changes).toHaveLength(
        1,
      );
    });

    test('a redacted value is a string like any other, marked when it changes', () => {
      expect(jsonDiff({ password: '[REDACTED]' }, { password: '[REDACTED]' }).changes).toEqual([]);
      expect(jsonDiff({ password: 'visible' }, { password: '[REDACTED]' }).changes).toEqual([
        {
          path: '$.password',
          kind: 'changed',
          a: { json: '"visible"', omittedBytes: 0 },
          b: { json: '"[REDACTED]"', omittedBytes: 0 },
          marker: 'redacted',
        },
      ]);
      expect(jsonDiff({}, { token: '[REDACTED]' }).changes[0]).toMatchObject({ kind: 'added', marker: 'redacted' });
    });
  });
});
