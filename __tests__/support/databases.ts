import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { ExecutionStore } from '../../src';
import { chooseSqliteDriver, type SqliteDriverName } from '../../src/store/sqliteDriver';

export const pgAvailable = process.env.FLOWTRAIL_TEST_PG === 'on';
export const pgUrl = process.env.FLOWTRAIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const mysqlAvailable = process.env.FLOWTRAIL_TEST_MYSQL === 'on';
/** The MariaDB/MySQL server; each test gets a database of its own on it. */
export const mysqlServer = new URL(process.env.FLOWTRAIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');

/** What the test server is, for a DataSource of its own: TypeORM reads each one's schema its own way. */
export const mysqlType: 'mysql' | 'mariadb' = process.env.FLOWTRAIL_TEST_MYSQL_TYPE === 'mysql' ? 'mysql' : 'mariadb';

/** Whether better-sqlite3 loads in this run (globalSetup decides; see checkBetterSqlite3 there). */
export const betterSqliteAvailable = process.env.FLOWTRAIL_TEST_BETTER_SQLITE3 === 'on';

/**
 * Where the store-level suites run: `sqlite` is the embedded default with its automatic driver
 * choice, `better-sqlite3` the embedded store with that driver named (run where the automatic
 * choice is sqlite3, i.e. on TypeORM 0.3; on 1.x the default already is better-sqlite3); `postgres`
 * and `mysql` the servers.
 */
export type DatabaseKind = 'sqlite' | 'better-sqlite3' | 'postgres' | 'mysql';

/** The driver the embedded store chooses by itself in this install: sqlite3 on TypeORM 0.3, better-sqlite3 on 1.x. */
export const defaultSqliteDriver: SqliteDriverName = chooseSqliteDriver(undefined, 'the test suite');

export function isSqlite(kind: DatabaseKind): boolean {
  return kind === 'sqlite' || kind === 'better-sqlite3';
}

/** The SQLite driver a kind runs on. */
export function sqliteDriverOf(kind: DatabaseKind): SqliteDriverName {
  return kind === 'better-sqlite3' ? 'better-sqlite3' : defaultSqliteDriver;
}

/**
 * A user's own SQLite DataSource on the kind's driver. Typed loosely: TypeORM 1.x's types have no
 * `sqlite` type, and the suites compile against either major.
 */
export function userSqliteOptions(kind: DatabaseKind, database: string): DataSourceOptions {
  const type = sqliteDriverOf(kind) === 'better-sqlite3' ? 'better-sqlite3' : 'sqlite';
  return { type, database } as unknown as DataSourceOptions;
}

/** A place where a test's store lives, and how to make more stores on the same database. */
export interface TestDatabase {
  kind: DatabaseKind;
  /** Options for ExecutionStore.open() on this database (a second call: a second store, same data). */
  options: { database: string } | { url: string; schema: string } | { url: string };
  /** Env/args for child processes to reach the same database. */
  describe: { FLOWTRAIL_DB?: string; FLOWTRAIL_TEST_SCHEMA?: string; FLOWTRAIL_SQLITE_DRIVER?: string };
  open(extra?: object): Promise<ExecutionStore>;
  drop(): Promise<void>;
}

export function tempDir(prefix = 'flowtrail-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A SQLite file; `kind` 'better-sqlite3' names that driver to the store and to child processes. */
export function sqliteDatabase(kind: 'sqlite' | 'better-sqlite3' = 'sqlite'): TestDatabase {
  const dir = tempDir();
  const database = join(dir, 'history.sqlite');
  const driver = kind === 'better-sqlite3' ? ({ sqliteDriver: 'better-sqlite3' } as const) : {};
  return {
    kind,
    options: { database, ...driver },
    describe: { FLOWTRAIL_DB: database, ...(kind === 'better-sqlite3' ? { FLOWTRAIL_SQLITE_DRIVER: kind } : {}) },
    open: (extra = {}) => ExecutionStore.open({ database, ...driver, ...extra }),
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
    drop: async () => dropMysqlDatabase(name),
  };
}

/**
 * Drops a test's database. Sessions still in it (a store a failed test left open, a transaction
 * its connection never ended) would make DROP wait for their metadata lock for ever, inside a
 * synchronous call no test timeout can end: they are killed first, and the wait is bounded.
 */
export function dropMysqlDatabase(name: string): void {
  const sessions = mysqlAdmin(`SELECT id FROM information_schema.processlist WHERE db = '${name}' AND id <> CONNECTION_ID()`);
  for (const id of sessions.split('\n').filter((line) => /^\d+$/.test(line))) {
    try {
      mysqlAdmin(`KILL ${id}`);
    } catch {
      // Gone already.
    }
  }
  mysqlAdmin(`SET SESSION lock_wait_timeout = 30; DROP DATABASE IF EXISTS ${name}`);
}

export function mysqlUrlOf(database: string): string {
  const url = new URL(mysqlServer.href);
  url.pathname = `/${database}`;
  return url.href;
}

/**
 * Runs SQL as the server's administrator, through the `mysql` client; returns what it printed
 * (rows tab-separated, no header). Bounded in time: a synchronous call no test timeout could end.
 */
export function mysqlAdmin(sql: string): string {
  const args = ['-h', mysqlServer.hostname, '-P', mysqlServer.port || '3306', '-u', decodeURIComponent(mysqlServer.username)];
  if (mysqlServer.password) args.push(`-p${decodeURIComponent(mysqlServer.password)}`);
  return execFileSync('mysql', [...args, '-N', '-B', '-e', sql], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/**
 * The databases every store-level suite runs against: SQLite always (on each driver this TypeORM
 * has), the servers when reachable (CI requires them).
 */
export const databaseKinds: DatabaseKind[] = [
  'sqlite',
  ...(defaultSqliteDriver === 'sqlite3' && betterSqliteAvailable ? (['better-sqlite3'] as const) : []),
  ...(pgAvailable ? (['postgres'] as const) : []),
  ...(mysqlAvailable ? (['mysql'] as const) : []),
];

export function makeDatabase(kind: DatabaseKind): TestDatabase {
  if (kind === 'postgres') return postgresDatabase();
  if (kind === 'mysql') return mysqlDatabase();
  return sqliteDatabase(kind);
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
