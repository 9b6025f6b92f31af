import fc from 'fast-check';
import { buildRedactPattern, captureData, captureJson, CapturedJson, DEFAULT_REDACT_KEYS, type CaptureOptions } from '../src/capture';
import { plainJson } from '../src/capture/plainJson';

// The logger stores captureJson(); users were promised captureData()'s representation. The fast
// path must never make the two differ, whatever the data.
const REDACT = buildRedactPattern(DEFAULT_REDACT_KEYS);
const options = (maxDataSize = 1_000_000): CaptureOptions => ({ maxDataSize, redact: REDACT });
const expected = (value: unknown, maxDataSize?: number): string | undefined => {
  const data = captureData(value, options(maxDataSize));
  return data === undefined ? undefined : JSON.stringify(data);
};

const sensitiveKey = fc.constantFrom('password', 'apiKey', 'x-api-key', 'Authorization', 'refresh_token', 'dbPassword');
const key = fc.oneof(fc.string({ maxLength: 12 }), sensitiveKey, fc.constantFrom('__proto__', 'toString', 'constructor'));
const leaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }),
);
const { value: plainData } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
}));
// Values the fast path must hand over to the full serializer.
const exotic = fc.oneof(
  fc.bigInt(),
  fc.constant(new Map([['k', 1]])),
  fc.constant(new Set([1])),
  fc.constant(Buffer.from('buf')),
  fc.constant(new Error('boom')),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant({ toJSON: () => 'custom' }),
  fc.constant(
    new (class Point {
      x = 1;
    })(),
  ),
);

describe('captureJson', () => {
  test('is exactly JSON.stringify(captureData(value)) for plain data, redaction included', () => {
    fc.assert(
      fc.property(plainData, (value) => {
        expect(captureJson(value, options())?.json).toBe(expected(value));
      }),
      { numRuns: 500 },
    );
  });

  test('is the same text when exotic values hide inside plain data', () => {
    fc.assert(
      fc.property(plainData, exotic, fc.string({ maxLength: 8 }), (value, odd, name) => {
        const mixed = { value, [name]: odd, list: [value, odd] };
        expect(captureJson(mixed, options())?.json).toBe(expected(mixed));
      }),
      { numRuns: 300 },
    );
  });

  test('is the same text at and around the size limit', () => {
    fc.assert(
      fc.property(plainData, fc.integer({ min: 256, max: 2000 }), (value, limit) => {
        const wrapped = { value, pad: 'é'.repeat(limit / 4) };
        const json = captureJson(wrapped, options(limit))?.json;
        expect(json).toBe(expected(wrapped, limit));
        expect(Buffer.byteLength(json ?? '', 'utf8')).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  test('takes the fast path for plain data and leaves cycles, getters that throw and exotic values to the serializer', () => {
    const plain = { a: [1, 'two', null, { b: new Date(0) }], password: 'hunter2', skipped: undefined };
    expect(plainJson(plain, 10_000, REDACT)).toBe('{"a":[1,"two",null,{"b":"1970-01-01T00:00:00.000Z"}],"password":"[REDACTED]"}');
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    expect(plainJson(cycle, 10_000, REDACT)).toBeUndefined();
    expect(captureJson(cycle, options())?.json).toBe('{"name":"loop","self":"[Circular]"}');
    const throwing = Object.defineProperty({}, 'bad', {
      enumerable: true,
      get() {
        throw new Error('nope');
      },
    });
    expect(() => plainJson(throwing, 10_000, REDACT)).toThrow('nope');
    expect(captureJson(throwing, options())?.json).toBe('{"bad":"[Getter threw: nope]"}');
    expect(plainJson(new Map(), 10_000, REDACT)).toBeUndefined();
    expect(plainJson(10n, 10_000, REDACT)).toBeUndefined();
  });

  test('holds the text once, and re-encodes as the data itself', () => {
    const captured = captureJson({ a: 1, nested: { b: [true] } }, options());
    expect(captured).toBeInstanceOf(CapturedJson);
    expect(JSON.stringify({ inputData: captured })).toBe('{"inputData":{"a":1,"nested":{"b":[true]}}}');
    expect(captureJson(undefined, options())).toBeUndefined();
  });
});
