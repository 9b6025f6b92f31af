import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';

/**
 * Hostile values for the adversarial suite: secrets placed where flowtrail promises to keep them
 * out of the history (under sensitive keys, in credential URLs of error text), values that break
 * naive serializers, and things to throw that are not well-behaved Errors. Every factory makes a
 * fresh value, so that a caller can check it gets back the very same object.
 */

/**
 * Secret markers, each placed in one spot. None may reach the database, the spool or anything
 * printed: under sensitive keys (src/capture/redact.ts), in header lists, URL objects, and credential
 * URLs in error text, thrown or captured (src/credentials.ts).
 */
export const SECRET = {
  password: 'adv-secret-01-password',
  token: 'adv-secret-02-token',
  apiKey: 'adv-secret-03-apikey',
  bearer: 'adv-secret-04-bearer',
  cookie: 'adv-secret-05-cookie',
  clientSecret: 'adv-secret-06-client',
  privateKey: 'adv-secret-07-privatekey',
  credential: 'adv-secret-08-credential',
  refreshToken: 'adv-secret-09-refresh',
  mapKey: 'adv-secret-10-map',
  nullProto: 'adv-secret-11-nullproto',
  cycle: 'adv-secret-12-cycle',
  huge: 'adv-secret-13-huge',
  getter: 'adv-secret-14-getter',
  toJson: 'adv-secret-15-tojson',
  urlPassword: 'adv-secret-16-urlpassword',
  queryToken: 'adv-secret-17-querytoken',
  causeKey: 'adv-secret-18-cause',
  innerUrl: 'adv-secret-19-innerurl',
  thrownObject: 'adv-secret-20-thrownobject',
  thrownString: 'adv-secret-21-thrownstring',
  skipReason: 'adv-secret-22-skipreason',
  optionError: 'adv-secret-23-optionerror',
  optionData: 'adv-secret-24-optiondata',
  headerTuple: 'adv-secret-25-headertuple',
  rawHeader: 'adv-secret-26-rawheader',
  urlObjectPassword: 'adv-secret-27-urlobject',
  urlObjectParameter: 'adv-secret-28-urlparam',
  urlObjectUser: 'adv-secret-29-urluser',
  sessionId: 'adv-secret-30-session',
  connectionString: 'adv-secret-31-connection',
  cardPin: 'adv-secret-32-pin',
  errorInData: 'adv-secret-33-errorindata',
} as const;

const SECRET_ENTRIES = Object.entries(SECRET);

/** The names of the secrets found in `text` (empty when none). */
export function secretsIn(text: string): string[] {
  return SECRET_ENTRIES.filter(([, secret]) => text.includes(secret)).map(([name]) => name);
}

/** Data with a secret under each kind of sensitive key, at several depths and in several containers. */
export function secretData(): Record<string, unknown> {
  return {
    user: 'ada',
    password: SECRET.password,
    auth: { token: SECRET.token },
    apiKey: SECRET.apiKey,
    headers: { Authorization: `Bearer ${SECRET.bearer}`, Cookie: `sid=${SECRET.cookie}`, accept: 'application/json' },
    client_secret: SECRET.clientSecret,
    'private-key': SECRET.privateKey,
    credentials: { user: 'svc', value: SECRET.credential },
    history: [{ refresh_token: SECRET.refreshToken }],
    map: new Map<string, unknown>([
      ['x-api-key', SECRET.mapKey],
      ['plain', 1],
    ]),
    bare: Object.assign(Object.create(null) as object, { passwd: SECRET.nullProto, n: 1 }),
    requestHeaders: [
      ['authorization', `Bearer ${SECRET.headerTuple}`],
      ['accept', 'application/json'],
    ],
    request: { rawHeaders: ['Host', 'shop.test', 'X-Api-Key', SECRET.rawHeader] },
    endpoint: new URL(`https://svc:${SECRET.urlObjectPassword}@api.test/v1?client_secret=${SECRET.urlObjectParameter}&page=2`),
    repository: new URL(`https://${SECRET.urlObjectUser}@git.test/org/repo.git`),
    sessionId: SECRET.sessionId,
    connectionString: `Server=db;Password=${SECRET.connectionString}`,
    card: { PIN_CODE: SECRET.cardPin, shipping: 'express' },
    lastError: new Error(`connect postgres://app:${SECRET.errorInData}@db.test/orders refused`),
  };
}

/** A value that throws from every trap but `then` (read as absent, so that promises can settle with it). */
export function hostileProxy(): object {
  const refuse = () => {
    throw new Error('hostile proxy trap');
  };
  return new Proxy(
    {},
    {
      get: (_target, key) => (key === 'then' ? undefined : refuse()),
      has: refuse,
      ownKeys: refuse,
      getOwnPropertyDescriptor: refuse,
      getPrototypeOf: refuse,
      defineProperty: refuse,
      set: refuse,
      deleteProperty: refuse,
      isExtensible: refuse,
      preventExtensions: refuse,
      setPrototypeOf: refuse,
    },
  );
}

/** An object whose `toString` throws: no text to give as a name. */
export function throwingToString(): object {
  return {
    toString() {
      throw new Error('toString refuses');
    },
  };
}

/** A class instance with a `toJSON` (honoured by capture) whose result holds a secret. */
class Serializes {
  toJSON(): unknown {
    return { token: SECRET.toJson, ok: true };
  }
}

/** A query builder's shape: a `then` that starts work. flowtrail must hand it back untouched. */
export class LazyQuery {
  thenCalled = false;
  then(): never {
    this.thenCalled = true;
    throw new Error('a thenable was awaited by flowtrail');
  }
}

export const VALUE_KINDS = [
  'secrets',
  'cycle',
  'bigint',
  'function',
  'huge',
  'proxy',
  'getter',
  'nullProto',
  'toJSON',
  'undefined',
  'frozen',
  'date',
] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** A fresh value of the kind. */
export function makeValue(kind: ValueKind): unknown {
  switch (kind) {
    case 'secrets':
      return secretData();
    case 'cycle': {
      const node: Record<string, unknown> = { name: 'cyclic', token: SECRET.cycle };
      node.self = node;
      node.list = [node, { up: node }];
      return node;
    }
    case 'bigint':
      return 10n ** 30n;
    case 'function':
      return function namedFunction() {
        return SECRET.password;
      };
    case 'huge':
      // Past maxDataSize: stored as a truncation marker whose preview starts with the redacted key.
      return { token: `${SECRET.huge}${'x'.repeat(300_000)}`, note: 'n'.repeat(150_000) };
    case 'proxy':
      return hostileProxy();
    case 'getter':
      return {
        apiKey: SECRET.getter,
        get boom(): never {
          throw new Error('getter refuses');
        },
      };
    case 'nullProto':
      return Object.assign(Object.create(null) as object, { secret: SECRET.nullProto, deep: { cookie: SECRET.cookie } });
    case 'toJSON':
      return new Serializes();
    case 'undefined':
      return undefined;
    case 'frozen':
      return Object.freeze({ password: SECRET.password, list: Object.freeze([1, 2, 3]) });
    case 'date':
      return new Date(0);
  }
}

export const THROW_KINDS = [
  'errorUrl',
  'errorQuery',
  'errorCause',
  'errorCauseError',
  'plainObject',
  'string',
  'getterError',
  'proxy',
  'undefined',
  'number',
  'frozenError',
] as const;
export type ThrowKind = (typeof THROW_KINDS)[number];

/** A fresh thing to throw of the kind: Errors carrying credentials in their text, and worse. */
export function makeThrown(kind: ThrowKind): unknown {
  switch (kind) {
    case 'errorUrl':
      return new Error(`connect ECONNREFUSED postgres://app:${SECRET.urlPassword}@db:5432/app`);
    case 'errorQuery':
      return new TypeError(`GET https://api.example/callback?token=${SECRET.queryToken}&page=2 failed`);
    case 'errorCause':
      return new Error('upstream refused', { cause: { status: 401, apiKey: SECRET.causeKey } });
    case 'errorCauseError':
      return new Error('outer', { cause: new Error(`inner: mysql://root:${SECRET.innerUrl}@10.0.0.1/db unreachable`) });
    case 'plainObject':
      return { message: 'a plain object thrown', password: SECRET.thrownObject, code: 'E_PLAIN' };
    case 'string':
      return `redis://default:${SECRET.thrownString}@cache:6379 refused the connection`;
    case 'getterError': {
      const error = new Error('unreadable');
      // The stack first: replacing it formats it (Error.prepareStackTrace), which reads the message.
      for (const key of ['stack', 'cause', 'message']) {
        Object.defineProperty(error, key, {
          get(): never {
            throw new Error(`${key} getter refuses`);
          },
        });
      }
      return error;
    }
    case 'proxy':
      return hostileProxy();
    case 'undefined':
      return undefined;
    case 'number':
      return 42;
    case 'frozenError':
      return Object.freeze(new RangeError(`frozen: amqp://guest:${SECRET.urlPassword}@mq/vhost`));
  }
}

/** Text of anything, for scanning: never throws, whatever the value's traps do. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return inspect(value, { depth: 8, getters: false, showProxy: true, maxStringLength: null, maxArrayLength: null });
  } catch (error) {
    return `[uninspectable: ${String(error)}]`;
  }
}

/** Every file under `dir`, with its contents as bytes read as latin1 (ASCII secrets match as they are). */
export function filesWithContents(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path).toString('latin1') }));
}
