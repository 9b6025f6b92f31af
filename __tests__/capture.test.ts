import { types } from 'node:util';
import fc from 'fast-check';
import {
  buildRedactPattern,
  captureData,
  captureJson,
  DEFAULT_REDACT_KEYS,
  WHOLE_WORD_LENGTH,
  MIN_DATA_SIZE,
  type CaptureOptions,
  type TruncatedData,
} from '../src/capture';
import { COUNT_FACTOR, serialize } from '../src/capture/serialize';

const REDACT = buildRedactPattern(DEFAULT_REDACT_KEYS);
const UNLIMITED = Number.MAX_SAFE_INTEGER;
const REDACTED_MARK = '[REDACTED]';

function options(maxDataSize = UNLIMITED, redact = REDACT): CaptureOptions {
  return { maxDataSize, redact };
}

function capture(value: unknown, maxDataSize = UNLIMITED): unknown {
  return captureData(value, options(maxDataSize));
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function record(value: unknown): Record<string, unknown> {
  expect(typeof value).toBe('object');
  expect(value).not.toBeNull();
  expect(Array.isArray(value)).toBe(false);
  return value as Record<string, unknown>;
}

function isTruncated(value: unknown): value is TruncatedData {
  return typeof value === 'object' && value !== null && (value as { _truncated?: unknown })._truncated === true;
}

function truncated(value: unknown): TruncatedData {
  if (!isTruncated(value)) throw new Error(`expected a truncation marker, got ${JSON.stringify(value)?.slice(0, 200)}`);
  return value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Asserts plain JSON data: a JSON round trip yields a structurally identical value. */
function expectJsonSafe(out: unknown): void {
  if (out === undefined) return;
  expect(JSON.parse(JSON.stringify(out))).toStrictEqual(out);
}

// ---------------------------------------------------------------------------------
// Independent, deterministic description of a value used to prove it was not mutated.
// Reads descriptors only (never runs getters) and records prototypes, extensibility,
// Map/Set/typed-array contents and object identity (shared references and cycles).
// ---------------------------------------------------------------------------------
const prototypeIds = new Map<unknown, number>();

function prototypeId(prototype: unknown): number {
  if (!prototypeIds.has(prototype)) prototypeIds.set(prototype, prototypeIds.size);
  return prototypeIds.get(prototype) ?? -1;
}

function snapshot(value: unknown, seen = new Map<object, number>()): unknown {
  switch (typeof value) {
    case 'number':
      return { number: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { bigint: String(value) };
    case 'symbol':
      return { symbol: String(value) };
    case 'undefined':
      return { undefined: true };
    case 'string':
    case 'boolean':
      return value;
    default:
      if (value === null) return null;
  }
  const object = value as object;
  const seenId = seen.get(object);
  if (seenId !== undefined) return { ref: seenId };
  seen.set(object, seen.size);
  if (types.isProxy(object)) return { proxy: seen.size };
  const description: Record<string, unknown> = {
    tag: Object.prototype.toString.call(object),
    prototype: prototypeId(Object.getPrototypeOf(object)),
    extensible: Object.isExtensible(object),
    props: Reflect.ownKeys(object).map((key) => {
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      if (descriptor === undefined) return [String(key), 'vanished'];
      return [
        String(key),
        descriptor.enumerable,
        descriptor.configurable,
        'value' in descriptor ? [descriptor.writable, snapshot(descriptor.value, seen)] : [descriptor.get?.name, descriptor.set?.name],
      ];
    }),
  };
  if (types.isMap(object)) {
    description.entries = [...(object as Map<unknown, unknown>)].map(([k, v]) => [snapshot(k, seen), snapshot(v, seen)]);
  }
  if (types.isSet(object)) description.values = [...(object as Set<unknown>)].map((v) => snapshot(v, seen));
  if (types.isDate(object)) description.time = String((object as Date).getTime());
  if (types.isAnyArrayBuffer(object)) description.bytes = [...new Uint8Array(object as ArrayBuffer)];
  if (types.isBoxedPrimitive(object)) description.boxed = snapshot((object as { valueOf(): unknown }).valueOf(), seen);
  return description;
}

function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  freezeAll(value, seen);
  return value;
}

function freezeAll(value: unknown, seen: Set<unknown>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  // Typed arrays with elements and ArrayBuffers cannot be frozen.
  if (ArrayBuffer.isView(value) || types.isAnyArrayBuffer(value)) return;
  if (value instanceof Map) {
    for (const [k, v] of value) {
      freezeAll(k, seen);
      freezeAll(v, seen);
    }
  }
  if (value instanceof Set) for (const v of value) freezeAll(v, seen);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor !== undefined && 'value' in descriptor) freezeAll(descriptor.value, seen);
  }
  Object.freeze(value);
}

/** Captures `value` and asserts it came back untouched. */
function captureUnchanged(value: unknown, maxDataSize = UNLIMITED): unknown {
  const before = snapshot(value);
  const out = capture(value, maxDataSize);
  expect(snapshot(value)).toEqual(before);
  return out;
}

describe('captureData representations', () => {
  test('JSON primitives pass through; -0 becomes 0; NaN and infinities become null', () => {
    expect(capture('text')).toBe('text');
    expect(capture(42.5)).toBe(42.5);
    expect(capture(true)).toBe(true);
    expect(capture(null)).toBeNull();
    expect(Object.is(capture(-0), 0)).toBe(true);
    expect(capture(Number.NaN)).toBeNull();
    expect(capture([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e21, -7])).toStrictEqual([null, null, 0, 1e21, -7]);
  });

  test('undefined: omitted in objects, null in arrays, undefined at top level', () => {
    expect(capture(undefined)).toBeUndefined();
    expect(capture({ a: undefined, b: 1 })).toStrictEqual({ b: 1 });
    expect(capture([undefined, 1])).toStrictEqual([null, 1]);
    expect(capture([1, , 3])).toStrictEqual([1, null, 3]);
    expect(capture({ toJSON: () => undefined })).toBeUndefined();
    expect(capture({ a: { toJSON: () => undefined }, b: 2 })).toStrictEqual({ b: 2 });
  });

  test('BigInt becomes a string with an n suffix', () => {
    expect(capture(123n)).toBe('123n');
    expect(capture({ big: -(2n ** 70n) })).toStrictEqual({ big: `${-(2n ** 70n)}n` });
  });

  test('symbol values become their description; symbol keys are ignored', () => {
    const key = Symbol('hidden');
    expect(capture(Symbol('s'))).toBe('Symbol(s)');
    expect(capture({ a: Symbol.iterator, [key]: 'x' })).toStrictEqual({ a: 'Symbol(Symbol.iterator)' });
  });

  test('functions become "[Function: name]"', () => {
    function named(): void {}
    class Widget {}
    expect(capture(named)).toBe('[Function: named]');
    expect(capture(Widget)).toBe('[Function: Widget]');
    expect(capture([() => 1])).toStrictEqual(['[Function: anonymous]']);
    expect(capture({ run: (x: number) => x })).toStrictEqual({ run: '[Function: run]' });
  });

  test('dates become ISO strings, invalid dates "Invalid Date"', () => {
    expect(capture(new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)))).toBe('2024-02-29T12:00:00.005Z');
    expect(capture({ when: new Date(Number.NaN) })).toStrictEqual({ when: 'Invalid Date' });
  });

  test('Buffers become base64 of at most their first 1024 bytes', () => {
    expect(capture(Buffer.from('hello'))).toStrictEqual({ _type: 'Buffer', byteLength: 5, base64: 'aGVsbG8=' });
    const big = Buffer.alloc(3000, 7);
    const out = record(capture({ big })).big;
    expect(out).toStrictEqual({
      _type: 'Buffer',
      byteLength: 3000,
      base64: Buffer.alloc(1024, 7).toString('base64'),
      truncated: true,
    });
  });

  test('typed arrays, ArrayBuffer and DataView keep their type, length and up to 256 values', () => {
    expect(capture(new Uint8Array([1, 2, 3]))).toStrictEqual({ _type: 'Uint8Array', length: 3, values: [1, 2, 3] });
    expect(capture(new Float64Array([1.5, Number.NaN, -0]))).toStrictEqual({
      _type: 'Float64Array',
      length: 3,
      values: [1.5, null, 0],
    });
    expect(capture(new BigInt64Array([5n, -1n]))).toStrictEqual({
      _type: 'BigInt64Array',
      length: 2,
      values: ['5n', '-1n'],
    });
    const long = new Int16Array(1000).map((_, i) => i);
    const out = record(capture(long));
    expect(out._type).toBe('Int16Array');
    expect(out.length).toBe(1000);
    expect(out.values).toStrictEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(capture(new Uint8Array([9, 8]).buffer)).toStrictEqual({ _type: 'ArrayBuffer', length: 2, values: [9, 8] });
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    expect(capture(new DataView(bytes.buffer, 1, 3))).toStrictEqual({ _type: 'DataView', length: 3, values: [2, 3, 4] });
  });

  test('Map becomes entries (keys of any type), Set becomes values', () => {
    const key = { id: 1 };
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [key, new Set([1, 'two', undefined])],
      [2n, undefined],
    ]);
    expect(capture({ map })).toStrictEqual({
      map: {
        _type: 'Map',
        entries: [
          ['a', 1],
          [{ id: 1 }, { _type: 'Set', values: [1, 'two', null] }],
          ['2n', null],
        ],
      },
    });
  });

  test('errors keep name, message, stack, code, cause and their own properties', () => {
    const root = new Error('disk full');
    const error = Object.assign(new TypeError('write failed', { cause: root }), { code: 'E_WRITE', path: '/tmp/x' });
    const out = record(capture(error));
    expect(out).toStrictEqual({
      _type: 'Error',
      name: 'TypeError',
      message: 'write failed',
      stack: error.stack,
      code: 'E_WRITE',
      cause: { _type: 'Error', name: 'Error', message: 'disk full', stack: root.stack },
      path: '/tmp/x',
    });
    expect(Object.keys(out).slice(0, 4)).toEqual(['_type', 'name', 'message', 'stack']);
  });

  test('error subclasses, AggregateError members and self-referencing causes', () => {
    class HttpError extends Error {
      override name = 'HttpError';
      constructor(readonly status: number) {
        super(`status ${status}`);
      }
    }
    const out = record(capture(new HttpError(503)));
    expect(out).toMatchObject({ _type: 'Error', name: 'HttpError', message: 'status 503', status: 503 });
    const aggregate = record(capture(new AggregateError([new Error('a'), 'b'], 'many')));
    expect(aggregate.errors).toEqual([expect.objectContaining({ _type: 'Error', message: 'a' }), 'b']);
    const looped = new Error('loop');
    looped.cause = looped;
    expect(record(capture(looped)).cause).toBe('[Circular]');
  });

  test('cycles become "[Circular]"; shared references are serialized each time', () => {
    const shared = { n: 1 };
    const node: Record<string, unknown> = { shared, again: shared, list: [shared] };
    node.self = node;
    (node.list as unknown[]).push(node.list);
    const map = new Map<string, unknown>();
    map.set('me', map);
    node.map = map;
    expect(capture(node)).toStrictEqual({
      shared: { n: 1 },
      again: { n: 1 },
      list: [{ n: 1 }, '[Circular]'],
      self: '[Circular]',
      map: { _type: 'Map', entries: [['me', '[Circular]']] },
    });
  });

  test('toJSON results are used (with the key); a throwing toJSON is recorded', () => {
    const money = { amount: 5, toJSON: (key: string) => `5 EUR at ${key}` };
    expect(capture({ price: money, list: [money] })).toStrictEqual({ price: '5 EUR at price', list: ['5 EUR at 0'] });
    expect(capture(new URL('https://example.com/a?b=1'))).toBe('https://example.com/a?b=1');
    const broken = {
      toJSON() {
        throw new Error('nope');
      },
    };
    expect(capture({ broken })).toStrictEqual({ broken: '[toJSON threw: nope]' });
  });

  test('throwing getters become "[Getter threw: msg]"; working getters are read', () => {
    const value = {
      ok: 1,
      get fine() {
        return 'yes';
      },
      get bad(): never {
        throw new RangeError('exploded');
      },
      get odd(): never {
        throw 'plain string';
      },
    };
    expect(capture(value)).toStrictEqual({
      ok: 1,
      fine: 'yes',
      bad: '[Getter threw: exploded]',
      odd: '[Getter threw: plain string]',
    });
  });

  test('values thrown that cannot even be described still produce a marker', () => {
    const unprintable = {
      toString(): never {
        throw new Error('no string');
      },
    };
    const value = {
      get a(): never {
        throw unprintable;
      },
      get b(): never {
        throw Symbol('sym');
      },
    };
    expect(capture(value)).toStrictEqual({ a: '[Getter threw: unknown error]', b: '[Getter threw: Symbol(sym)]' });
  });

  test('proxies whose traps throw become "[Unserializable: msg]" without affecting siblings', () => {
    const thrower = (message: string) => () => {
      throw new Error(message);
    };
    const ownKeys = new Proxy({ a: 1 }, { ownKeys: thrower('no keys') });
    const get = new Proxy({ a: 1 }, { get: thrower('no get') });
    const prototype = new Proxy({ a: 1 }, { getPrototypeOf: thrower('no proto') });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const out = record(capture({ before: 1, ownKeys, get, prototype, revoked, after: 2 }));
    expect(out).toStrictEqual({
      before: 1,
      ownKeys: '[Unserializable: no keys]',
      get: '[Unserializable: no get]',
      prototype: '[Unserializable: no proto]',
      revoked: expect.stringMatching(/^\[Unserializable: .*revoked/),
      after: 2,
    });
    expect(capture(new Proxy({ x: [1, 2] }, {}))).toStrictEqual({ x: [1, 2] });
  });

  test('class instances keep only own enumerable string-keyed properties', () => {
    class Account {
      readonly id = 7;
      #internal = 'hidden';
      constructor() {
        Object.defineProperty(this, 'invisible', { value: 1, enumerable: false });
      }
      get label(): string {
        return `#${this.id} ${this.#internal}`;
      }
      describe(): string {
        return this.label;
      }
    }
    expect(capture(new Account())).toStrictEqual({ id: 7 });
  });

  test('promises, weak collections, boxed primitives and regexps', () => {
    expect(
      capture({
        promise: Promise.resolve(1),
        weakMap: new WeakMap(),
        weakSet: new WeakSet(),
        boxed: [Object('s'), Object(2), Object(false), Object(3n)],
        pattern: /a+b/gi,
      }),
    ).toStrictEqual({
      promise: '[Promise]',
      weakMap: '[WeakMap]',
      weakSet: '[WeakSet]',
      boxed: ['s', 2, false, '3n'],
      pattern: '/a+b/gi',
    });
  });

  test('nesting deeper than 64 levels becomes "[MaxDepth]"', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = { c: value };
      return value;
    };
    const countLevels = (value: unknown): { levels: number; end: unknown } => {
      let levels = 0;
      let current = value;
      while (typeof current === 'object' && current !== null) {
        levels++;
        current = (current as { c: unknown }).c;
      }
      return { levels, end: current };
    };
    expect(countLevels(capture(nest(64)))).toEqual({ levels: 64, end: 'leaf' });
    expect(countLevels(capture(nest(200)))).toEqual({ levels: 64, end: '[MaxDepth]' });
  });

  test('an own "__proto__" key stays data and does not change the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = record(capture(input));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expectJsonSafe(out);
  });

  test('the output of a complex value is plain JSON data', () => {
    const value = {
      list: [1, 'a', null, new Date(0), new Map([[1, new Set([2])]]), Buffer.from([1, 2])],
      error: new Error('x'),
      typed: new Float32Array([0.5]),
    };
    expectJsonSafe(capture(value));
  });
});

describe('captureData never throws and never mutates', () => {
  function complexValue(): Record<string, unknown> {
    const shared = { n: [3, 1, 2] };
    const value: Record<string, unknown> = {
      shared,
      again: shared,
      unsorted: [5, 3, 9, 1],
      map: new Map<unknown, unknown>([
        ['password', 'p'],
        [{ k: 1 }, [2, 1]],
      ]),
      set: new Set(['b', 'a']),
      date: new Date(0),
      error: Object.assign(new Error('e'), { token: 't', info: { z: 1, a: 2 } }),
      buffer: Buffer.from('abc'),
      typed: new Uint16Array([3, 2, 1]),
      nested: { apiKey: 'k', deeper: [{ secret: 's', keep: 'x' }] },
      big: 10n,
      fn: () => 1,
    };
    value.self = value;
    return value;
  }

  test('a deep-frozen input is captured and left identical', () => {
    const value = deepFreeze(complexValue());
    const replacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}` : v === value ? '[self]' : v);
    const json = JSON.stringify(value, replacer);
    const out = captureUnchanged(value, UNLIMITED);
    expect(JSON.stringify(value, replacer)).toBe(json);
    expect(record(out).unsorted).toEqual([5, 3, 9, 1]);
  });

  test('an unfrozen input is left identical, including when truncated', () => {
    const value = complexValue();
    const clone = structuredClone({ ...value, fn: undefined, self: undefined, error: undefined });
    captureUnchanged(value, MIN_DATA_SIZE);
    captureUnchanged(value, UNLIMITED);
    expect({ ...value, fn: undefined, self: undefined, error: undefined }).toEqual(clone);
  });

  test('no mutating operation reaches the input (observed through proxy traps and setters)', () => {
    const mutations: string[] = [];
    const observe = <T extends object>(target: T): T =>
      new Proxy(target, {
        set: (t, key) => (mutations.push(`set ${String(key)}`), Reflect.set(t, key, undefined)),
        defineProperty: (t, key, d) => (mutations.push(`define ${String(key)}`), Reflect.defineProperty(t, key, d)),
        deleteProperty: (t, key) => (mutations.push(`delete ${String(key)}`), Reflect.deleteProperty(t, key)),
        setPrototypeOf: (t, p) => (mutations.push('setPrototypeOf'), Reflect.setPrototypeOf(t, p)),
        preventExtensions: (t) => (mutations.push('preventExtensions'), Reflect.preventExtensions(t)),
        get: (t, key, receiver) => {
          const v: unknown = Reflect.get(t, key, receiver);
          return typeof v === 'object' && v !== null ? observe(v) : v;
        },
      });
    const withSetter = {
      get value() {
        return 1;
      },
      set value(_v: number) {
        mutations.push('setter');
      },
    };
    const out = capture(observe({ a: [3, 1, 2], b: { c: { password: 'x', d: [{}] } }, withSetter }));
    expect(mutations).toEqual([]);
    expect(out).toStrictEqual({ a: [3, 1, 2], b: { c: { password: '[REDACTED]', d: [{}] } }, withSetter: { value: 1 } });
  });

  test('invalid options or a broken pattern yield { _captureError } instead of throwing', () => {
    const brokenPattern = {
      test(): boolean {
        throw new Error('pattern exploded');
      },
    } as unknown as RegExp;
    expect(captureData({ a: 1 }, { maxDataSize: 1000, redact: brokenPattern })).toEqual({
      _captureError: 'pattern exploded',
    });
    expect(() => captureData({ a: 1 }, null as unknown as CaptureOptions)).not.toThrow();
    expect(captureData({ a: 1 }, null as unknown as CaptureOptions)).toEqual({
      _captureError: expect.any(String) as unknown,
    });
  });
});

describe('redaction', () => {
  test.each([
    ['api key', ['apiKey', 'api_key', 'api-key', 'API_KEY', 'x-api-key', 'apikey', 'Api Key', 'X-API-KEY'], ['apiary', 'keyboard', 'api']],
    ['private key', ['privateKey', 'private_key', 'PRIVATE-KEY', 'sshPrivateKey'], ['private', 'keyPrivate']],
    ['token', ['token', 'accessToken', 'refresh_token', 'X-Token'], ['tok', 'toke n']],
    ['password', ['password', 'PASSWORD', 'userPassword', 'password_hash'], ['pass', 'word']],
  ])('buildRedactPattern(%j) matches common spellings', (key, matches, misses) => {
    const pattern = buildRedactPattern([key]);
    for (const candidate of matches) expect(`${candidate}: ${pattern.test(candidate)}`).toBe(`${candidate}: true`);
    for (const candidate of misses) expect(`${candidate}: ${pattern.test(candidate)}`).toBe(`${candidate}: false`);
  });

  test('the default list covers every documented key', () => {
    expect([...DEFAULT_REDACT_KEYS]).toEqual([
      'password',
      'passwd',
      'pass',
      'passphrase',
      'secret',
      'token',
      'jwt',
      'bearer',
      'api key',
      'authorization',
      'cookie',
      'session',
      'private key',
      'signing key',
      'encryption key',
      'master key',
      'credential',
      'connection string',
      'database url',
      'dsn',
      'otp',
      'pin',
      'cvv',
      'ssn',
      'card number',
    ]);
    const sensitive = [
      ['Authorization', 'set-cookie', 'client_secret', 'passwd', 'credentials', 'privateKey'],
      ['pass', 'dbPass', 'DB_PASS', 'passPhrase', 'gpg_passphrase', 'jwt', 'idJwt', 'bearer', 'bearerToken'],
      ['session', 'sessionId', 'session_id', 'signingKey', 'ENCRYPTION_KEY', 'masterKey', 'connectionString'],
      ['databaseUrl', 'DATABASE_URL', 'dsn', 'sentryDsn', 'otp', 'otpCode', 'pin', 'cardPin', 'PIN_CODE'],
      ['cvv', 'cardCvv', 'ssn', 'userSSN', 'cardNumber', 'card_number', 'CARD-NUMBER'],
    ].flat();
    for (const key of sensitive) expect(`${key}: ${REDACT.test(key)}`).toBe(`${key}: true`);
    // Short entries are whole words: common words that merely contain them stay readable.
    const plain = ['username', 'shipping', 'SHIPPING', 'mapping', 'spinner', 'typing', 'passenger', 'bypass', 'compass'];
    const plainToo = ['footprint', 'classname', 'className', 'adsnippet', 'description', 'opinion'];
    // In capitals a word goes on in capitals: PASSENGER is not PASS. A capital after it starts a new word only before a small letter.
    const capitals = ['PASSENGER_COUNT', 'PING_URL', 'PINE', 'OTPROVIDER', 'SSNAKE'];
    for (const key of ['PINCode', 'cardPIN', 'DB_PASS', 'OTPCode', 'JWTToken']) expect(`${key}: ${REDACT.test(key)}`).toBe(`${key}: true`);
    for (const key of capitals) expect(`${key}: ${REDACT.test(key)}`).toBe(`${key}: false`);
    for (const key of [...plain, ...plainToo]) expect(`${key}: ${REDACT.test(key)}`).toBe(`${key}: false`);
  });

  test('header lists: a [name, value] pair in a list and a rawHeaders list have the values of sensitive names redacted', () => {
    const value = {
      headers: [
        ['authorization', 'Bearer t0k3n'],
        ['Accept', 'application/json'],
        ['X-Api-Key', 'k3y'],
      ],
      entries: Object.entries({ password: 'hunter2', user: 'ann' }),
      request: { rawHeaders: ['Host', 'example.test', 'Cookie', 'sid=s3ss', 'Authorization', 'Basic YWxhZGRpbg=='] },
      trailers: { rawTrailers: ['X-Checksum', 'abc', 'x-session-token', 'tr41l'] },
      words: ['token', 'secret'],
    };
    const expected = {
      headers: [
        ['authorization', '[REDACTED]'],
        ['Accept', 'application/json'],
        ['X-Api-Key', '[REDACTED]'],
      ],
      entries: [
        ['password', '[REDACTED]'],
        ['user', 'ann'],
      ],
      request: { rawHeaders: ['Host', 'example.test', 'Cookie', '[REDACTED]', 'Authorization', '[REDACTED]'] },
      trailers: { rawTrailers: ['X-Checksum', 'abc', 'x-session-token', '[REDACTED]'] },
      // A pair that is not in a list is data, not a header.
      words: ['token', 'secret'],
    };
    expect(capture(value)).toStrictEqual(expected);
    expect(JSON.parse(captureJson(value, options())!.json)).toStrictEqual(expected);
  });

  test('an Error inside captured data has the credentials in its message and stack masked, as stored error text does', () => {
    const error = new Error('connect postgres://app:hunter2@db.internal/orders?sslpassword=k3y failed');
    const out = record(capture({ ok: false, error }));
    expect(JSON.stringify(out)).not.toMatch(/hunter2|k3y/);
    expect(record(out.error)).toMatchObject({
      _type: 'Error',
      message: 'connect postgres://app:***@db.internal/orders?sslpassword=*** failed',
    });
    expect(String(record(out.error).stack)).toContain('postgres://app:***@db.internal');
  });

  test('a URL object is stored with its password and credential parameters masked', () => {
    const value = { target: new URL('postgres://app:hunter2@db.internal:5432/orders?sslpassword=s3cr3t&application_name=x') };
    const expected = { target: 'postgres://app:***@db.internal:5432/orders?sslpassword=***&application_name=x' };
    expect(capture(value)).toStrictEqual(expected);
    expect(JSON.parse(captureJson(value, options())!.json)).toStrictEqual(expected);
    expect(capture(new URL('https://example.test/a?b=1'))).toBe('https://example.test/a?b=1');
    // Parameters named like sensitive keys, and a token standing alone as the user name.
    const callback = new URL('https://app.test/cb?client_secret=S1&refresh_token=R1&X-Amz-Security-Token=A1&state=ok');
    expect(capture(callback)).toBe('https://app.test/cb?client_secret=***&refresh_token=***&X-Amz-Security-Token=***&state=ok');
    expect(capture(new URL('https://ghp_T0K3N@git.example.test/org/repo.git'))).toBe('https://***@git.example.test/org/repo.git');
  });

  test('user keys are literal text, not regular expressions', () => {
    const pattern = buildRedactPattern(['(x)', 'c++', '$var', 'a|b']);
    expect(['(x)', 'c++', '$var', 'a|b'].map((k) => pattern.test(k))).toEqual([true, true, true, true]);
    expect(['x', 'cc', 'var', 'a', 'b', ''].map((k) => pattern.test(k))).toEqual([false, false, false, false, false, false]);
    expect(buildRedactPattern([]).test('password')).toBe(false);
    expect(buildRedactPattern(['', '  ']).test('anything')).toBe(false);
  });

  test('sensitive values are redacted at any depth in objects, arrays, Maps, Sets and errors', () => {
    const value = {
      user: { name: 'ann', password: 'hunter2', profile: { settings: [{ apiKey: 'k1' }, { theme: 'dark' }] } },
      headers: new Map<unknown, unknown>([
        ['Authorization', 'Bearer abc'],
        ['accept', 'json'],
        [{ token: 'object-key' }, 'v'],
      ]),
      logins: new Set([{ refresh_token: 'r1' }]),
      failure: Object.assign(new Error('boom'), { credentials: { user: 'u' } }),
      secret: { whole: ['subtree'] },
    };
    const out = capture(value);
    expect(out).toMatchObject({
      user: { name: 'ann', password: '[REDACTED]', profile: { settings: [{ apiKey: '[REDACTED]' }, { theme: 'dark' }] } },
      headers: {
        _type: 'Map',
        entries: [
          ['Authorization', '[REDACTED]'],
          ['accept', 'json'],
          [{ token: '[REDACTED]' }, 'v'],
        ],
      },
      logins: { _type: 'Set', values: [{ refresh_token: '[REDACTED]' }] },
      failure: { _type: 'Error', message: 'boom', credentials: '[REDACTED]' },
      secret: '[REDACTED]',
    });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|k1|Bearer|r1|subtree|"u"|object-key/);
  });

  test('a custom key list replaces the default one', () => {
    const redact = buildRedactPattern(['ssn', 'card number']);
    const out = captureData(
      { ssn: '123', person: { cardNumber: '4111', card_number: '4111', password: 'visible' } },
      { maxDataSize: UNLIMITED, redact },
    );
    expect(out).toStrictEqual({
      ssn: '[REDACTED]',
      person: { cardNumber: '[REDACTED]', card_number: '[REDACTED]', password: 'visible' },
    });
  });

  test('top-level primitives are never redacted', () => {
    expect(capture('password')).toBe('password');
    expect(capture(['token', 'secret'])).toStrictEqual(['token', 'secret']);
  });

  test('getters and toJSON under sensitive keys are never invoked', () => {
    let reads = 0;
    const value = {
      get password() {
        reads++;
        return 'x';
      },
      token: {
        toJSON() {
          reads++;
          return 'y';
        },
      },
    };
    expect(capture(value)).toStrictEqual({ password: '[REDACTED]', token: '[REDACTED]' });
    expect(reads).toBe(0);
  });

  test('global and sticky patterns redact consistently', () => {
    const out = captureData({ token: 1, a: { token: 2 }, b: [{ token: 3 }, { token: 4 }] }, { maxDataSize: UNLIMITED, redact: /token/gy });
    expect(JSON.stringify(out).match(/\[REDACTED\]/g)).toHaveLength(4);
  });

  test('property: every key spelling of a multi-word key is matched', () => {
    const word = fc.stringMatching(/^[a-z]{2,8}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 3 }), (words) => {
        const pattern = buildRedactPattern([words.join(' ')]);
        const camel = words.map((w, i) => (i === 0 ? w : w[0]?.toUpperCase() + w.slice(1))).join('');
        const spellings = [camel, words.join('_'), words.join('-'), words.join('_').toUpperCase(), words.join(''), `x-${words.join('-')}`];
        for (const spelling of spellings) expect(`${spelling}: ${pattern.test(spelling)}`).toBe(`${spelling}: true`);
      }),
    );
  });
});

describe('size cap', () => {
  /** Asserts a marker is well formed and consistent with the full capture. */
  function expectMarker(value: unknown, maxDataSize: number): TruncatedData {
    const full = capture(value);
    const fullJson = JSON.stringify(full);
    const marker = truncated(capture(value, maxDataSize));
    expect(Object.keys(marker)).toEqual(['_truncated', '_originalSize', '_preview']);
    expect(marker._originalSize).toBe(Buffer.byteLength(fullJson, 'utf8'));
    expect(marker._preview.endsWith('...')).toBe(true);
    const excerpt = marker._preview.slice(0, -3);
    expect(excerpt.length).toBeLessThanOrEqual(1000);
    expect(fullJson.startsWith(excerpt)).toBe(true);
    expect(LONE_SURROGATE.test(marker._preview)).toBe(false);
    expect(jsonBytes(marker)).toBeLessThanOrEqual(maxDataSize);
    return marker;
  }

  test('large data becomes a marker with a 1000-character preview', () => {
    const value = { items: Array.from({ length: 500 }, (_, i) => ({ i, label: `item ${i}` })) };
    const marker = expectMarker(value, 5000);
    expect(marker._preview.length).toBe(1003);
  });

  test('data that fits exactly is kept; one byte less truncates (exact sizes)', () => {
    const inputs: unknown[] = [
      { text: 'plain ascii '.repeat(30) },
      { unicode: 'héllo wörld ✓ 日本語 '.repeat(15), emoji: '😀👍🏽🇫🇷'.repeat(20) },
      { quotes: '"\\/"\'\\'.repeat(50), control: '\u0000\u0001\b\t\n\f\r\u001f\u007f'.repeat(20) },
      { lone: '\ud800 a \udfff b \ud83d'.repeat(20), 'key "with" \\ escapes\n': 1, ключ: 'значение' },
      [1.5, -0, 1e21, 5e-7, -123456789, Number.MAX_VALUE, 2 ** 53, 0.1 + 0.2, ...Array.from({ length: 40 }, (_, i) => i * 99)],
      {
        map: new Map([['x', [1, 2]]]),
        set: new Set(['é']),
        error: Object.assign(new Error('über "quoted"'), { code: 42 }),
        buffer: Buffer.alloc(2000, 1),
        typed: new Float64Array([0.1, Number.NaN]),
        date: new Date(0),
        big: 2n ** 64n,
        fn: function spaced() {},
        pad: 'x'.repeat(200),
      },
    ];
    for (const value of inputs) {
      const full = capture(value);
      const size = jsonBytes(full);
      expect(size).toBeGreaterThan(MIN_DATA_SIZE);
      expect(capture(value, size)).toStrictEqual(full);
      expect(truncated(capture(value, size - 1))._originalSize).toBe(size);
      expectMarker(value, Math.max(MIN_DATA_SIZE, size - 1));
    }
  });

  test('the preview never splits a surrogate pair at the 1000-character boundary', () => {
    // JSON is '"' + 998 × 'a' + 😀…, so code units 999 and 1000 are the two halves of 😀.
    const value = 'a'.repeat(998) + '😀' + 'b'.repeat(5000);
    expect(JSON.stringify(value).charCodeAt(999)).toBe(0xd83d);
    const marker = expectMarker(value, 4000);
    expect(marker._preview).toBe(`"${'a'.repeat(998)}...`);
  });

  test('the preview shrinks to fit the cap, whatever the escaping cost', () => {
    const values = [
      { quotes: '"'.repeat(5000) },
      { emoji: '😀'.repeat(3000) },
      { cjk: '日本語'.repeat(2000) },
      { control: '\u0001'.repeat(5000) },
      ['"😀"\n'.repeat(2000)],
    ];
    for (const value of values) {
      for (const maxDataSize of [MIN_DATA_SIZE, 300, 777, 2000]) {
        const marker = expectMarker(value, maxDataSize);
        expect(marker._preview.length).toBeGreaterThan(3);
      }
    }
  });

  test('caps below MIN_DATA_SIZE or invalid caps never throw', () => {
    const value = { text: 'x'.repeat(10_000) };
    const tiny = truncated(capture(value, 10));
    expect(tiny._preview).toBe('...');
    expect(tiny._originalSize).toBe(10_011);
    expect(truncated(capture(value, Number.NaN))._originalSize).toBe(10_011);
    expect(jsonBytes(capture(value, Number.NaN))).toBeLessThanOrEqual(MIN_DATA_SIZE);
    expect(truncated(capture(value, -5))._preview).toBe('...');
    expect(capture(value, Number.POSITIVE_INFINITY)).toStrictEqual(value);
  });

  test('a 50 MB string payload returns the marker with its exact size', () => {
    const marker = truncated(capture({ blob: 'x'.repeat(50_000_000) }, 1_000_000));
    expect(marker._originalSize).toBe(50_000_000 + '{"blob":""}'.length);
    expect(marker._preview).toBe(`{"blob":"${'x'.repeat(991)}...`);
  });

  test('an array of a million objects: counted up to COUNT_FACTOR × the cap, then marked as a lower bound', () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => ({ i, name: `row ${i}`, ok: i % 2 === 0 }));
    const marker = truncated(capture(rows, 64 * 1024));
    const json = JSON.stringify(rows);
    expect(marker._originalSizeIsLowerBound).toBe(true);
    expect(marker._originalSize).toBeGreaterThan(COUNT_FACTOR * 64 * 1024);
    expect(marker._originalSize).toBeLessThan(Buffer.byteLength(json, 'utf8'));
    expect(json.startsWith(marker._preview.slice(0, -3))).toBe(true);
  });

  test('up to COUNT_FACTOR × the cap the size is exact', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ i, tags: ['a', 'b'] }));
    const json = JSON.stringify(rows);
    const limit = Math.ceil(Buffer.byteLength(json, 'utf8') / COUNT_FACTOR);
    const marker = truncated(capture(rows, limit));
    expect(marker._originalSize).toBe(Buffer.byteLength(json, 'utf8'));
    expect(Object.keys(marker)).toEqual(['_truncated', '_originalSize', '_preview']);
  });

  test('once over the cap the walk only counts: the kept copy stays near the cap', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ i, tags: ['a', 'b'] }));
    const json = JSON.stringify(rows);
    const result = serialize(rows, 1000, REDACT);
    expect(result.overLimit).toBe(true);
    expect(result.sizeIsLowerBound).toBe(false);
    expect(result.size).toBe(Buffer.byteLength(json, 'utf8'));
    // The partial copy closes its open containers but otherwise matches the real JSON.
    const partial = JSON.stringify(result.value);
    expect(partial.length).toBeLessThan(1100);
    expect(json.startsWith(partial.slice(0, 1000))).toBe(true);
  });

  /** A binary DAG: `depth` levels of `{ l, r }` sharing one child, whose getters count reads. */
  function sharedTree(depth: number): { root: unknown; reads: () => number } {
    let reads = 0;
    let node: unknown = { leaf: 1 };
    for (let level = 0; level < depth; level++) {
      const child = node;
      node = {
        get l() {
          reads++;
          return child;
        },
        get r() {
          reads++;
          return child;
        },
      };
    }
    return { root: node, reads: () => reads };
  }

  test('shared references: the work is bounded by the cap, not by the JSON the value would make', () => {
    // 2^20 leaves as JSON (tens of MB); in memory, 20 objects.
    const tree = sharedTree(20);
    const marker = truncated(capture(tree.root, 10_000));
    expect(marker._originalSizeIsLowerBound).toBe(true);
    expect(marker._originalSize).toBeGreaterThan(COUNT_FACTOR * 10_000);
    expect(marker._preview.startsWith('{"l":{"l":{"l":')).toBe(true);
    // Each getter read adds a few bytes: the reads are bounded by COUNT_FACTOR × the cap.
    expect(tree.reads()).toBeLessThan(COUNT_FACTOR * 10_000);
  });

  test('shared references: the JSON text path is bounded the same way', () => {
    const tree = sharedTree(20);
    const json = captureJson(tree.root, options(10_000));
    expect(JSON.parse(json!.json)._truncated).toBe(true);
    expect(tree.reads()).toBeLessThan(2 * COUNT_FACTOR * 10_000);
  });

  test('a toJSON that keeps growing the Map being captured: the walk ends', () => {
    const map = new Map<number, unknown>();
    let added = 0;
    const grower = {
      toJSON() {
        // Stops on its own only far past any bound, so the old walk would take minutes, not forever.
        if (added < 2_000_000) map.set(map.size, grower);
        added++;
        return 'x';
      },
    };
    map.set(0, grower);
    const marker = truncated(capture({ map }, 1000));
    expect(marker._originalSizeIsLowerBound).toBe(true);
    expect(added).toBeLessThan(COUNT_FACTOR * 1000);
  });

  test('property: output is JSON of at most maxDataSize bytes, and sizes are exact', () => {
    // Pieces include characters that need escaping and lone surrogate halves.
    const stringUnit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\ud800', '\udfff', '😀', 'é', '日'),
    );
    fc.assert(
      fc.property(
        fc.anything({
          maxDepth: 4,
          maxKeys: 6,
          stringUnit,
          withBigInt: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withTypedArray: true,
          withBoxedValues: true,
          withNullPrototype: true,
          withSparseArray: true,
        }),
        fc.constantFrom(MIN_DATA_SIZE, 300, 1000, 4096),
        (value, maxDataSize) => {
          const full = capture(value);
          expectJsonSafe(full);
          const out = capture(value, maxDataSize);
          if (out === undefined) return;
          expectJsonSafe(out);
          const size = jsonBytes(full);
          expect(jsonBytes(out)).toBeLessThanOrEqual(maxDataSize);
          if (size <= maxDataSize) {
            expect(out).toStrictEqual(full);
          } else {
            const marker = truncated(out);
            if (marker._originalSizeIsLowerBound) {
              expect(marker._originalSize).toBeGreaterThan(COUNT_FACTOR * maxDataSize);
              expect(marker._originalSize).toBeLessThanOrEqual(size);
            } else {
              expect(marker._originalSize).toBe(size);
            }
            expect(JSON.stringify(full).startsWith(marker._preview.slice(0, -3))).toBe(true);
            expect(LONE_SURROGATE.test(marker._preview)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('properties over arbitrary inputs', () => {
  const anything = fc.anything({
    maxDepth: 4,
    maxKeys: 6,
    withBigInt: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withTypedArray: true,
    withBoxedValues: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    stringUnit: 'binary',
  });

  test('never throws and never mutates', () => {
    fc.assert(
      fc.property(fc.clone(anything, 2), fc.constantFrom(MIN_DATA_SIZE, 1000, UNLIMITED), ([value, twin], maxDataSize) => {
        const out = captureUnchanged(value, maxDataSize);
        // Independent check against an identically generated value that was never captured.
        // Compared through snapshot(): toEqual calls two invalid Dates unequal.
        expect(snapshot(value)).toEqual(snapshot(twin));
        expectJsonSafe(out);
      }),
      { numRuns: 300 },
    );
  });

  test('never throws on hostile objects mixed into arbitrary data', () => {
    // Built inside the property from indices: fast-check could not print these values.
    const makers: (() => unknown)[] = [
      () =>
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('k');
            },
          },
        ),
      () =>
        new Proxy([], {
          get: () => {
            throw new Error('g');
          },
        }),
      () =>
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error('p');
            },
          },
        ),
      () =>
        Object.defineProperty({}, 'x', {
          enumerable: true,
          get: () => {
            throw new Error('x');
          },
        }),
      () => ({
        toJSON: () => {
          throw new Error('j');
        },
      }),
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ];
    const picks = fc.array(fc.nat({ max: makers.length - 1 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(anything, picks, fc.constantFrom(MIN_DATA_SIZE, UNLIMITED), (value, indices, maxDataSize) => {
        const hostile = indices.map((i) => makers[i]?.());
        const out = capture({ value, hostile }, maxDataSize);
        expectJsonSafe(out);
        expect(jsonBytes(out)).toBeLessThanOrEqual(maxDataSize);
        if (maxDataSize === UNLIMITED) {
          for (const item of record(out).hostile as unknown[]) expect(JSON.stringify(item)).toMatch(/threw|Unserializable/);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('no sensitive value survives anywhere, previews included', () => {
    const SECRET = 'S3CR3T-VALUE';
    const sensitiveKey = fc.constantFrom(
      'password',
      'Password',
      'passwd',
      'client_secret',
      'accessToken',
      'refresh_token',
      'apiKey',
      'api_key',
      'api-key',
      'API_KEY',
      'x-api-key',
      'apikey',
      'Authorization',
      'cookie',
      'Set-Cookie',
      'privateKey',
      'private_key',
      'credentials',
    );
    const plainKey = fc.string({ maxLength: 8 }).filter((key) => !REDACT.test(key));
    const secretValue = fc.constantFrom<() => unknown>(
      () => SECRET,
      () => ({ inner: SECRET }),
      () => [SECRET],
      () => new Map([['plain', SECRET]]),
      () => new Error(SECRET),
      () => ({ toJSON: () => SECRET }),
    );
    const { node } = fc.letrec((tie) => {
      const entry = fc.oneof(
        fc.tuple(plainKey, tie('node')),
        fc.tuple(
          sensitiveKey,
          secretValue.map((make) => make()),
        ),
      );
      return {
        node: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)),
          fc.array(entry, { maxLength: 5 }).map((entries) => Object.fromEntries(entries)),
          fc.array(tie('node'), { maxLength: 4 }),
          fc.array(entry, { maxLength: 4 }).map((entries) => new Map(entries)),
          fc.array(tie('node'), { maxLength: 3 }).map((values) => new Set(values)),
          fc.array(entry, { maxLength: 3 }).map((entries) => Object.assign(new Error('failure'), Object.fromEntries(entries))),
        ),
      };
    });

    function expectRedacted(value: unknown): void {
      if (Array.isArray(value)) {
        value.forEach(expectRedacted);
      } else if (typeof value === 'object' && value !== null) {
        const fields = value as Record<string, unknown>;
        for (const [key, child] of Object.entries(fields)) {
          if (REDACT.test(key)) expect(`${key}=${JSON.stringify(child)}`).toBe(`${key}="[REDACTED]"`);
          else expectRedacted(child);
        }
        if (fields._type === 'Map' && Array.isArray(fields.entries)) {
          for (const [key, child] of fields.entries as [unknown, unknown][]) {
            if (typeof key === 'string' && REDACT.test(key)) expect(child).toBe('[REDACTED]');
          }
        }
      }
    }

    fc.assert(
      fc.property(node, fc.constantFrom(MIN_DATA_SIZE, 1000, UNLIMITED), (value, maxDataSize) => {
        // Redaction replaces values in the copy only: the input keeps its secrets.
        const out = captureUnchanged(value, maxDataSize);
        expect(JSON.stringify(out) ?? '').not.toContain(SECRET);
        expectJsonSafe(out);
        if (out !== undefined) expect(jsonBytes(out)).toBeLessThanOrEqual(maxDataSize);
        expectRedacted(out);
      }),
      { numRuns: 300 },
    );
  });

  test('property: a sensitive key in any spelling, default or configured, is redacted at any depth', () => {
    const SECRET = 'S3CR3T-VALUE';
    const VISIBLE = 'V1S1BLE-VALUE';
    // Custom keys carry regex metacharacters: they must be matched as literal text.
    const customWord = fc.stringMatching(/^[a-z][a-z0-9$()+|*?]{1,5}$/);
    const keys = fc.oneof(
      fc.constant({ list: [...DEFAULT_REDACT_KEYS], custom: false }),
      fc.array(fc.array(customWord, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }).map((groups) => ({
        list: groups.map((words) => words.join(' ')),
        custom: true,
      })),
    );
    const spell = (key: string, style: number, prefix: string, suffix: string): string => {
      const words = key.split(' ');
      const styles = [
        words.map((w, i) => (i === 0 ? w : `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`)).join(''),
        words.join('_'),
        words.join('-').toUpperCase(),
        words.join(''),
        words.join(' '),
        words.join('.'),
      ];
      return `${prefix}${styles[style % styles.length] ?? key}${suffix}`;
    };
    const wrappers: ((key: string, child: unknown) => unknown)[] = [
      (key, child) => ({ [key]: child }),
      (_key, child) => [child],
      (key, child) => new Map([[key, child]]),
      (_key, child) => new Set([child]),
      (key, child) => Object.assign(new Error('e'), { [key]: child }),
      (key, child) => Object.assign(Object.create(null) as object, { [key]: child }),
      (key, child) => Object.freeze({ [key]: child }),
      (key, child) =>
        new (class Holder {
          constructor(readonly held: Record<string, unknown>) {}
        })({ [key]: child }),
    ];
    const HOLDER = wrappers.length - 1;
    const path = fc.array(fc.tuple(fc.nat({ max: wrappers.length - 1 }), fc.string({ unit: 'grapheme-ascii', maxLength: 6 })), {
      minLength: 0,
      maxLength: 90,
    });
    fc.assert(
      fc.property(
        keys,
        fc.nat(),
        fc.nat({ max: 5 }),
        fc.constantFrom('', 'x-', 'user', 'Old'),
        fc.constantFrom('', 's', '_v2', 'Hash'),
        path,
        fc.constantFrom(MIN_DATA_SIZE, UNLIMITED),
        (config, pick, style, prefix, suffix, levels, maxDataSize) => {
          const redact = buildRedactPattern(config.list);
          const entry = config.list[pick % config.list.length] ?? '';
          // Short entries match whole words only: what surrounds them must start or end a word.
          const whole = [...entry.replace(/ /g, '')].length <= WHOLE_WORD_LENGTH;
          const before = whole ? (({ user: 'user_', Old: 'old.' } as Record<string, string>)[prefix] ?? prefix) : prefix;
          const after = whole && suffix === 's' ? '-s' : suffix;
          const sensitive = spell(entry, style, before, after);
          // No key on the way down may be sensitive itself: the path's keys, the visible value's,
          // and 'held', the property through which a class instance wrapper holds its child.
          fc.pre(levels.every(([, key]) => !redact.test(key)) && !redact.test('plain') && !redact.test('held'));
          let value: unknown = { plain: VISIBLE, [sensitive]: SECRET };
          for (const [wrapper, key] of [...levels].reverse()) value = wrappers[wrapper]?.(key, value);
          const unchanged = snapshot(value);
          const out = captureData(value, { maxDataSize, redact });
          expect(snapshot(value)).toEqual(unchanged);
          const json = JSON.stringify(out) ?? '';
          expect(json).not.toContain(SECRET);
          expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(maxDataSize);
          // Within the depth cap the secret is replaced, not lost with everything around it. A
          // class instance holding the object nests two levels (instance, then its property).
          const depth = levels.reduce((sum, [wrapper]) => sum + (wrapper === HOLDER ? 2 : 1), 0);
          if (maxDataSize === UNLIMITED && depth < 60) {
            expect(json).toContain(VISIBLE);
            expect(json).toContain(JSON.stringify(REDACTED_MARK));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
