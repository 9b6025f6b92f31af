import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ExecutionStore } from '../../src';

export const pgAvailable = process.env.FLOWTRAIL_TEST_PG === 'on';
export const pgUrl = process.env.FLOWTRAIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A place where a test's store lives, and how to make more stores on the same database. */
export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  /** Options for ExecutionStore.open() on this database (a second call: a second store, same data). */
  options: { database: string } | { url: string; schema: string };
  /** Env/args for child processes to reach the same database. */
  describe: { FLOWTRAIL_DB?: string; FLOWTRAIL_TEST_SCHEMA?: string };
  open(extra?: object): Promise<ExecutionStore>;
  drop(): Promise<void>;
}

export function tempDir(prefix = 'flowtrail-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function sqliteDatabase(): TestDatabase {
  const dir = tempDir();
  const database = join(dir, 'history.sqlite');
  return {
    kind: 'sqlite',
    options: { database },
    describe: { FLOWTRAIL_DB: database },
    open: (extra = {}) => ExecutionStore.open({ database, ...extra }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh schema on the test server, dropped by `drop()`. */
export function postgresDatabase(): TestDatabase {
  const schema = `ft_test_${randomBytes(6).toString('hex')}`;
  return {
    kind: 'postgres',
    options: { url: pgUrl, schema },
    describe: { FLOWTRAIL_DB: pgUrl, FLOWTRAIL_TEST_SCHEMA: schema },
    open: (extra = {}) => ExecutionStore.open({ url: pgUrl, schema, poolSize: 4, ...extra }),
    drop: async () => {
      const client = new Client({ connectionString: pgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The databases every store-level suite runs against: SQLite always, PostgreSQL when reachable. */
export const databaseKinds: ('sqlite' | 'postgres')[] = pgAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

export function makeDatabase(kind: 'sqlite' | 'postgres'): TestDatabase {
  return kind === 'sqlite' ? sqliteDatabase() : postgresDatabase();
}

/**
 * A fresh database and an open store for each test of the calling `describe`, closed and dropped
 * after it. Read `current.store` inside tests (it changes per test).
 */
export function useStorePerTest(kind: 'sqlite' | 'postgres'): { readonly store: ExecutionStore; readonly db: TestDatabase } {
  const current = {} as { store: ExecutionStore; db: TestDatabase };
  beforeEach(async () => {
    current.db = makeDatabase(kind);
    current.store = await current.db.open();
  });
  afterEach(async () => {
    await current.store.close();
    await current.db.drop();
  });
  return current;
}
