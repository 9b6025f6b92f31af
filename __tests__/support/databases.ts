import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ExecutionStore } from '../../src';

export const pgAvailable = process.env.FLOWTRAIL_TEST_PG === 'on';
export const pgUrl = process.env.FLOWTRAIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const mysqlAvailable = process.env.FLOWTRAIL_TEST_MYSQL === 'on';
/** The MariaDB/MySQL server; each test gets a database of its own on it. */
export const mysqlServer = new URL(process.env.FLOWTRAIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');

/** What the test server is, for a DataSource of its own: TypeORM reads each one's schema its own way. */
export const mysqlType: 'mysql' | 'mariadb' = process.env.FLOWTRAIL_TEST_MYSQL_TYPE === 'mysql' ? 'mysql' : 'mariadb';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

/** A place where a test's store lives, and how to make more stores on the same database. */
export interface TestDatabase {
  kind: DatabaseKind;
  /** Options for ExecutionStore.open() on this database (a second call: a second store, same data). */
  options: { database: string } | { url: string; schema: string } | { url: string };
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

/**
 * A fresh database on the MariaDB/MySQL server, dropped by `drop()`. Made synchronously with the
 * server's own client, so that it exists before any option or URL of it is used.
 */
export function mysqlDatabase(): TestDatabase {
  const name = `ft_test_${randomBytes(6).toString('hex')}`;
  mysqlAdmin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const url = mysqlUrlOf(name);
  return {
    kind: 'mysql',
    options: { url },
    describe: { FLOWTRAIL_DB: url },
    open: (extra = {}) => ExecutionStore.open({ url, poolSize: 4, ...extra }),
    drop: async () => mysqlAdmin(`DROP DATABASE IF EXISTS ${name}`),
  };
}

export function mysqlUrlOf(database: string): string {
  const url = new URL(mysqlServer.href);
  url.pathname = `/${database}`;
  return url.href;
}

/** Runs one statement as the server's administrator, through the `mysql` client. */
export function mysqlAdmin(sql: string): void {
  const args = ['-h', mysqlServer.hostname, '-P', mysqlServer.port || '3306', '-u', decodeURIComponent(mysqlServer.username)];
  if (mysqlServer.password) args.push(`-p${decodeURIComponent(mysqlServer.password)}`);
  execFileSync('mysql', [...args, '-e', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The databases every store-level suite runs against: SQLite always, the servers when reachable (CI requires them). */
export const databaseKinds: DatabaseKind[] = [
  'sqlite',
  ...(pgAvailable ? (['postgres'] as const) : []),
  ...(mysqlAvailable ? (['mysql'] as const) : []),
];

export function makeDatabase(kind: DatabaseKind): TestDatabase {
  if (kind === 'postgres') return postgresDatabase();
  if (kind === 'mysql') return mysqlDatabase();
  return sqliteDatabase();
}

/**
 * A fresh database and an open store for each test of the calling `describe`, closed and dropped
 * after it. Read `current.store` inside tests (it changes per test).
 */
export function useStorePerTest(kind: DatabaseKind): { readonly store: ExecutionStore; readonly db: TestDatabase } {
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

/** The CLI flags that name this database. */
export function cliArgs(db: TestDatabase): string[] {
  const options = db.options;
  if ('database' in options) return ['--db', options.database];
  if ('schema' in options) return ['--url', options.url, '--schema', options.schema];
  return ['--url', options.url];
}
