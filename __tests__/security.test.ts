import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ConfigError, ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow, QueryError, StoreOpenError, uuidv7 } from '../src';
import { maskPassword } from '../src/store/target';
import { cli } from './support/cli';
import { databaseKinds, pgAvailable, pgUrl, tempDir, useStorePerTest } from './support/databases';

/** Runs `sql` on the test server outside any store. */
async function pg<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const pgDescribe = pgAvailable ? describe : describe.skip;

pgDescribe('the PostgreSQL schema option cannot inject SQL', () => {
  const victim = `victim_${randomBytes(4).toString('hex')}`;
  beforeAll(() => pg(`CREATE TABLE public.${victim} (id int)`));
  afterAll(() => pg(`DROP TABLE IF EXISTS public.${victim}`));

  test.each([
    `x';SET/**/search_path=public;DROP/**/TABLE/**/${victim};--`,
    `x"; DROP TABLE public.${victim}; --`,
    'has space',
    'has-dash',
    '1starts_with_digit',
    'ü_not_ascii',
  ])('%p is refused with a ConfigError before anything is created', async (schema) => {
    // Other suites create and drop their ft_* schemas meanwhile: compare the rest.
    const namespaces = () => pg<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'ft\\_%' ORDER BY nspname");
    const before = await namespaces();
    const error = await ExecutionStore.open({ url: pgUrl, schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('schema');
    expect(await pg(`SELECT to_regclass('public.${victim}')::text AS name`)).toEqual([{ name: victim }]);
    expect(await namespaces()).toEqual(before);
  });

  test('a mixed-case identifier works: written, read, and found again by a second store', async () => {
    const schema = `Hist_${randomBytes(4).toString('hex')}`;
    try {
      const store = await ExecutionStore.open({ url: pgUrl, schema });
      const id = await store.createExecution({
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'success',
        startedAt: 1,
      });
      await store.close();
      const again = await ExecutionStore.open({ url: pgUrl, schema, runMigrations: false });
      expect((await again.getExecution(id))?.workflowId).toBe('w');
      await again.close();
      expect(await pg('SELECT nspname FROM pg_namespace WHERE nspname = $1', [schema])).toHaveLength(1);
    } finally {
      await pg(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  test('an open that fails after creating its schema removes it again', async () => {
    const schema = `ft_failed_${randomBytes(4).toString('hex')}`;
    // Fault injection: the migrations fail once the schema exists.
    const spy = jest.spyOn(DataSource.prototype, 'runMigrations').mockRejectedValueOnce(new Error('injected migration failure'));
    try {
      const error = await ExecutionStore.open({ url: pgUrl, schema }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreOpenError);
      expect(await pg('SELECT nspname FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
    } finally {
      spy.mockRestore();
      await pg(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});

describe.each(databaseKinds)('query arguments on %s', (kind) => {
  const current = useStorePerTest(kind);

  async function seed(): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await current.store.createExecution({
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'success',
        startedAt: 1000 + i,
      });
      await current.store.addStep({ executionId: id, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: 1000 + i, status: 'success' });
      ids.push(id);
    }
    return ids;
  }

  test.each([undefined, null, 42, {}])('getExecution(%p) is a QueryError naming the id, never another execution', async (id) => {
    await seed();
    const error = await current.store.getExecution(id as never, { steps: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe('id');
  });

  test.each([undefined, null, 42, ['id']])('getSteps(%p) is a QueryError, never the whole table', async (id) => {
    await seed();
    const error = await current.store.getSteps(id as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe('executionId');
  });

  test('getStepsOf refuses a list holding something that is not an id', async () => {
    const ids = await seed();
    await expect(current.store.getStepsOf([ids[0]!, undefined as never])).rejects.toThrow(QueryError);
    await expect(current.store.getStepsOf(null as never)).rejects.toThrow(QueryError);
  });

  test.each([
    [{ startedAfter: Number.NaN }, 'startedAfter'],
    [{ startedBefore: Number.POSITIVE_INFINITY }, 'startedBefore'],
    [{ startedAfter: '2025-01-01' }, 'startedAfter'],
    [{ workflowId: 42 }, 'workflowId'],
    [{ status: null }, 'status'],
    [{ cursor: 42 }, 'cursor'],
  ])('listExecutions(%p) is a QueryError naming %s', async (query, field) => {
    await seed();
    const error = await current.store.listExecutions(query as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe(field);
  });

  test.each([
    [{ since: Number.NaN }, 'since'],
    [{ workflowId: null }, 'workflowId'],
  ])('getStats(%p) is a QueryError naming %s', async (query, field) => {
    const error = await current.store.getStats(query as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe(field);
  });

  test('an id that is a string but not in the history is simply not found', async () => {
    await seed();
    for (const id of [uuidv7(), '', ' ', "' OR 1=1 --"]) {
      expect(await current.store.getExecution(id)).toBeNull();
      expect(await current.store.getSteps(id)).toEqual([]);
    }
  });
});

describe('connection URLs never show their secrets', () => {
  test.each([
    ['postgres://user:s3cret@db.internal:5432/app', 's3cret'],
    ['postgres://user:pa#ss@db.internal:5432/app', 'pa#ss'],
    ['postgres://user:p@ss:w/rd@db.internal:5432/app', 'p@ss:w/rd'],
    ['postgres://user:p%40ss@db.internal:5432/app', 'p%40ss'],
    ['postgres://db.internal:5432/app?user=u&password=s3cret&sslmode=require', 's3cret'],
    ['postgres://db.internal/app?sslpassword=k3y&application_name=x', 'k3y'],
    ['postgresql://u@db.internal/app?PASSWORD=s3cret', 's3cret'],
    ['postgres://user:s3cret@db.internal/app#frag', 's3cret'],
    ['not a url but user:s3cret@host', 's3cret'],
  ])('%s is printed without %p', (url, secret) => {
    const masked = maskPassword(url);
    expect(masked).not.toContain(secret);
    expect(masked).toContain('***');
  });

  test('an unreachable URL with a password in its query string: the StoreOpenError does not print it', async () => {
    const error = await ExecutionStore.open({ url: 'postgres://127.0.0.1:1/db?password=s3cret', connectTimeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreOpenError);
    expect(String((error as Error).message)).not.toContain('s3cret');
    expect((error as StoreOpenError).target).not.toContain('s3cret');
  });
});

describe('files flowtrail creates are private', () => {
  test('the SQLite file, its WAL and shared-memory files are 0600 and its folder 0700, whatever the umask allows', async () => {
    const dir = tempDir();
    const previous = process.umask(0o022);
    try {
      const database = join(dir, 'nested', 'history.sqlite');
      const store = await ExecutionStore.open({ database });
      const logger = new ExecutionLogger(store, { configFile: false, spoolDir: false, writerThread: false });
      await logger.startExecution({ workflowId: 'w', workflowName: 'W' });
      await logger.shutdown();
      const mode = (path: string) => statSync(path).mode & 0o777;
      expect(mode(join(dir, 'nested'))).toBe(0o700);
      expect(mode(database)).toBe(0o600);
      expect(mode(`${database}-wal`)).toBe(0o600);
      expect(mode(`${database}-shm`)).toBe(0o600);
      await store.close();
    } finally {
      process.umask(previous);
    }
  });
});

describe('export cannot be turned against the history or its reader', () => {
  test('an --out that is the database, a side file, a symlink to either or a path through a symlinked folder is refused', async () => {
    const dir = tempDir();
    const database = join(dir, 'data', 'history.sqlite');
    const store = await ExecutionStore.open({ database });
    await store.createExecution({ workflowId: 'w', workflowName: 'W', triggerType: 'manual', status: 'success', startedAt: 1 });
    await store.close();
    symlinkSync(join(dir, 'data'), join(dir, 'link'));
    symlinkSync(database, join(dir, 'history-link.sqlite'));
    const before = readFileSync(database);
    for (const out of [
      database,
      join(dir, 'link', 'history.sqlite'),
      join(dir, 'history-link.sqlite'),
      `${database}-wal`,
      join(dir, 'link', 'history.sqlite-shm'),
      join(dir, 'data', '..', 'data', 'history.sqlite-journal'),
    ]) {
      const result = await cli(['export', '--db', database, '--out', out]);
      expect({ out, code: result.code }).toEqual({ out, code: 2 });
      expect(result.stderr).toContain('is the database');
    }
    expect(readFileSync(database).equals(before)).toBe(true);
    const fine = join(dir, 'link', 'export.ndjson');
    expect(await cli(['export', '--db', database, '--out', fine])).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(fine).mode & 0o777).toBe(0o600);
  });

  test('CSV cells a spreadsheet would run as formulas start with a quote; plain numbers and other text stay as they are', async () => {
    const dir = tempDir();
    const database = join(dir, 'history.sqlite');
    const store = await ExecutionStore.open({ database });
    const hostile = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR', 'plain', "'quoted"];
    for (const [i, name] of hostile.entries()) {
      const executionId = await store.createExecution({
        workflowId: `w${i}`,
        workflowName: name,
        triggerType: 'manual',
        status: 'success',
        startedAt: 1000 + i,
      });
      await store.addStep({
        executionId,
        nodeId: name,
        nodeType: 't',
        stepIndex: 0,
        startedAt: 1000 + i,
        status: 'success',
        outputData: -5,
      });
    }
    await store.close();
    const runs = await cli(['export', '--db', database, '--format', 'csv']);
    const steps = await cli(['export', '--db', database, '--format', 'csv', '--steps']);
    for (const result of [runs, steps]) expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const name of hostile.slice(0, 6)) {
      const quoted = `'${name}`;
      const cell = /[",\r\n]/.test(quoted) ? `"${quoted.replace(/"/g, '""')}"` : quoted;
      expect(runs.stdout).toContain(`,${cell},`);
      expect(steps.stdout).toContain(`,${cell},`);
    }
    expect(runs.stdout).toContain(',plain,');
    expect(runs.stdout).toContain(",'quoted,");
    expect(steps.stdout).toMatch(/,-5,/);
  });
});

describe('secrets out of reach of redaction by key never reach the disk', () => {
  /** Every secret below is a distinct marker: none of them may appear in any file. */
  const SECRETS = [
    's3cr3t-pass',
    'jwt-v4lue',
    'sess-1d',
    'dsn-pw',
    'pin-4321',
    'cvv-987',
    'b34rer',
    'c00kie',
    'url-pw',
    'url-t0ken',
    'err-pw',
  ];

  class Charge {
    readonly id = 'charge';

    @LoggedNode()
    async execute(input: Record<string, unknown>): Promise<Record<string, unknown>> {
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (input.fail) throw new Error('cannot reach postgres://app:err-pw@db.internal/orders');
      return { session: 'sess-1d', headers: [['Authorization', 'Bearer b34rer']] };
    }
  }

  class Checkout {
    readonly id = 'checkout';

    @LoggedWorkflow()
    async run(fail: boolean): Promise<unknown> {
      return new Charge().execute({
        fail,
        pass: 's3cr3t-pass',
        idJwt: 'jwt-v4lue',
        sentryDsn: 'https://dsn-pw@sentry.internal/1',
        card: { PIN_CODE: 'pin-4321', cvv: 'cvv-987' },
        request: { rawHeaders: ['Host', 'shop.test', 'Cookie', 'c00kie'] },
        target: new URL('https://bob:url-pw@api.internal/pay?token=url-t0ken&amount=5'),
      });
    }
  }

  /** The bytes of every file under `dir`, as text. */
  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isFile())
      .map((path) => readFileSync(path).toString('latin1'));
  }

  test('in the database file and in the spool, in inputs, outputs and errors', async () => {
    const dir = tempDir();
    const spoolDir = tempDir('flowtrail-spool-');
    const store = await ExecutionStore.open({ database: join(dir, 'history.sqlite') });
    // A grace period shorter than the node: the completions of the runs go to the spool.
    const logger = new ExecutionLogger(store, { configFile: false, spoolDir, shutdownGraceMs: 0 });
    ExecutionLogger.setDefault(logger);
    await logger.ready;
    const runs = [new Checkout().run(false), new Checkout().run(true).catch((error: unknown) => error)];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await logger.shutdown();
    await Promise.all(runs);
    const spooled = filesUnder(spoolDir);
    // The test sees what it means to: the completions really are in the spool.
    expect(spooled.join('')).toContain('[REDACTED]');
    expect(spooled.join('')).toContain('app:***@db.internal');
    const { items } = await store.listExecutions();
    expect(items).toHaveLength(2);
    const [input] = (await store.getSteps(items[0]!.id)).map((step) => JSON.stringify(step.inputData));
    expect(input).toContain('https://bob:***@api.internal/pay?token=***&amount=5');
    await store.close();
    const written = filesUnder(dir);
    for (const text of [...written, ...spooled]) {
      for (const secret of SECRETS) expect(text.includes(secret) ? secret : 'absent').toBe('absent');
    }
  });
});
