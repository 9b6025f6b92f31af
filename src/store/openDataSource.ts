import { accessSync, closeSync, constants, existsSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { executionHistoryEntities } from '../entities';
import { ConfigError, StoreOpenError } from '../errors';
import { makeFolder, PRIVATE_FILE_MODE } from '../makeFolder';
import { executionHistoryMigrations } from '../migrations';
import type { ExecutionStoreOptions, ServerStoreOptions, SqliteStoreOptions } from './types';
import { validateStoreOptions } from './validateStoreOptions';
import { DEFAULT_DATABASE, IN_MEMORY, isMysqlUrl, isPostgresUrl, isUrl, maskPassword } from './target';
import { dialectForType, type SqlDialect } from './dialects';
import { mysqlDialect } from './dialects/mysqlDialect';
import { checkMysqlSession } from './mysqlSession';
import { openMysql } from './openMysql';
import { describe, initialize, MIGRATIONS_TABLE, setUp } from './setUpDataSource';
import { postgresDialect } from './dialects/postgresDialect';
import { sqliteDialect } from './dialects/sqliteDialect';
import { chooseSqliteDriver, sqliteDataSourceOptions, type SqliteConnection, type SqliteDriverName } from './sqliteDriver';

export interface OpenedDataSource {
  dataSource: DataSource;
  dialect: SqlDialect;
  /** Whether the store created the DataSource and so must destroy it on close. */
  owned: boolean;
  /** What was opened, for messages: a path or a masked URL. */
  target: string;
  /** How another connection opens the same database (the writer thread's); null for a DataSource handed in. */
  reopen: SqliteStoreOptions | ServerStoreOptions | null;
}

export async function openDataSource(options: ExecutionStoreOptions): Promise<OpenedDataSource> {
  validateStoreOptions(options);
  if ('dataSource' in options) return adoptDataSource(options.dataSource, options.runMigrations ?? true);
  if ('url' in options) return openServer(options, 'url');
  // With no database named, FLOWTRAIL_DB picks one: a server URL or a SQLite file path.
  const fromEnv = options.database ? undefined : process.env.FLOWTRAIL_DB;
  if (fromEnv && isUrl(fromEnv)) return openServer({ url: fromEnv, runMigrations: options.runMigrations }, 'FLOWTRAIL_DB');
  return openSqlite({ ...options, database: options.database || fromEnv || DEFAULT_DATABASE });
}

async function openSqlite(options: SqliteStoreOptions): Promise<OpenedDataSource> {
  if (options.database === IN_MEMORY) return openSqliteInMemory(options);
  const database = resolve(options.database ?? DEFAULT_DATABASE);
  if (options.readOnly) return openSqliteReadOnly(database, options);
  const driver = chooseSqliteDriver(options.sqliteDriver, database);
  ensureWritableFile(database);
  const dataSource = sqliteDataSource(driver, { database, busyTimeoutMs: options.busyTimeoutMs });
  await initialize(dataSource, database);
  await setUp(dataSource, database, async () => {
    await enableIncrementalVacuum(dataSource);
    // WAL with synchronous=NORMAL survives a process crash; only an OS crash can lose the last commits.
    await dataSource.query('PRAGMA synchronous = NORMAL');
    if (options.runMigrations ?? true) await dataSource.runMigrations({ transaction: 'all' });
  });
  return {
    dataSource,
    dialect: sqliteDialect,
    owned: true,
    target: database,
    // The writer thread opens the file with the same driver: two copies of SQLite in one process do
    // not see each other's locks (POSIX locks are per process, each copy tracks its own).
    reopen: { database, busyTimeoutMs: options.busyTimeoutMs, runMigrations: false, sqliteDriver: driver },
  };
}

/**
 * SQLite's `:memory:`: a database private to its one connection, gone with it. For tests and
 * short-lived tools. No other connection can reach it, so there is no writer thread (writes run
 * on this connection) and no default spool (nothing outlives the process to replay it into).
 */
async function openSqliteInMemory(options: SqliteStoreOptions): Promise<OpenedDataSource> {
  if (options.readOnly) throw new ConfigError('readOnly', true, 'false for an in-memory database: a new one is empty');
  const dataSource = sqliteDataSource(chooseSqliteDriver(options.sqliteDriver, IN_MEMORY), { database: IN_MEMORY });
  await initialize(dataSource, IN_MEMORY);
  await setUp(dataSource, IN_MEMORY, async () => {
    if (options.runMigrations ?? true) await dataSource.runMigrations({ transaction: 'all' });
  });
  return { dataSource, dialect: sqliteDialect, owned: true, target: IN_MEMORY, reopen: null };
}

/**
 * A file opened as it is: never created, switched to WAL, vacuumed or migrated. A database in
 * WAL mode gets its -wal and -shm files if they are missing: that is how SQLite reads one.
 */
async function openSqliteReadOnly(database: string, options: SqliteStoreOptions): Promise<OpenedDataSource> {
  const driver = chooseSqliteDriver(options.sqliteDriver, database);
  const dataSource = sqliteDataSource(driver, { database, busyTimeoutMs: options.busyTimeoutMs, readOnly: true });
  await initialize(dataSource, database);
  return { dataSource, dialect: sqliteDialect, owned: true, target: database, reopen: null };
}

function sqliteDataSource(driver: SqliteDriverName, connection: SqliteConnection): DataSource {
  return new DataSource({
    ...sqliteDataSourceOptions(driver, connection),
    entities: executionHistoryEntities,
    migrations: executionHistoryMigrations,
    migrationsTableName: MIGRATIONS_TABLE,
  } as unknown as DataSourceOptions);
}

/**
 * Lets retention hand freed pages back to the file system. On a fresh file only: switching an
 * existing database needs a full VACUUM, which is the owner's call, not ours.
 */
async function enableIncrementalVacuum(dataSource: DataSource): Promise<void> {
  const tables: unknown[] = await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'");
  if (tables.length > 0) return;
  await dataSource.query('PRAGMA auto_vacuum = INCREMENTAL');
  // TypeORM switched the file to WAL before we got it, which fixed its header: rewrite it once.
  await dataSource.query('VACUUM');
}

/**
 * The folder and the file, made private when flowtrail creates them: the history holds captured
 * data. SQLite gives its -wal and -shm files the database file's permissions.
 */
function ensureWritableFile(path: string): void {
  const folder = dirname(path);
  try {
    makeFolder(folder);
    accessSync(folder, constants.W_OK);
    if (existsSync(path)) accessSync(path, constants.R_OK | constants.W_OK);
    else closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    throw new StoreOpenError(path, `${describe(error)} (is the folder writable?)`, error);
  }
}

/** A server database by its URL's scheme. Read as a path, another URL would quietly become a local file in a folder named after its scheme. */
function openServer(options: ServerStoreOptions, field: 'url' | 'FLOWTRAIL_DB'): Promise<OpenedDataSource> {
  if (isPostgresUrl(options.url)) return openPostgres(options);
  if (isMysqlUrl(options.url)) return openMysql(options);
  const expected =
    field === 'url' ? 'a postgres://, mysql:// or mariadb:// URL' : 'a SQLite file path, or a postgres://, mysql:// or mariadb:// URL';
  throw new ConfigError(field, maskPassword(options.url), expected);
}

async function openPostgres(options: ServerStoreOptions): Promise<OpenedDataSource> {
  const target = maskPassword(options.url);
  const schema = options.schema ?? 'public';
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const readOnly = options.readOnly ?? false;
  const migrate = options.runMigrations ?? !readOnly;
  // Without migrations (the CLI, a reader) a missing schema stays missing: a typo must not create one.
  const created = migrate && (await ensureSchema(options.url, schema, connectTimeoutMs, target));
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    entities: executionHistoryEntities,
    migrations: executionHistoryMigrations,
    migrationsTableName: MIGRATIONS_TABLE,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: connectTimeoutMs,
    // The schema goes first on the search path too, for what TypeORM itself leaves unqualified;
    // a read-only store's transactions are read-only, so not even a bug could write.
    extra: {
      options: `-c search_path=${quoteIdentifier(schema)}${readOnly ? ' -c default_transaction_read_only=on' : ''}`,
      // Idle connections must not keep a finished program running, as an idle SQLite file does not.
      allowExitOnIdle: true,
    },
  });
  try {
    await initialize(dataSource, target);
    containClientErrors(dataSource);
    if (migrate) await setUp(dataSource, target, () => dataSource.runMigrations({ transaction: 'all' }));
  } catch (error) {
    // A failed open leaves nothing behind: the schema it made goes (it is empty, the migrations ran in one transaction).
    if (created) await dropSchema(options.url, schema, connectTimeoutMs);
    throw error;
  }
  // The writer thread writes one batch at a time: two connections are plenty.
  const reopen = readOnly ? null : { url: options.url, schema, connectTimeoutMs, poolSize: 2, runMigrations: false };
  return { dataSource, dialect: postgresDialect, owned: true, target, reopen };
}

/**
 * pg's Client emits 'error' when the server ends its session. The pool listens while a client is
 * idle and TypeORM while a query runner holds it, but the pool removes its listener as it hands a
 * client over and TypeORM adds its own a microtask later: a new client is handed over inside the
 * socket's data handler (on ReadyForQuery), so a termination in the same read (a restart,
 * pg_terminate_backend) is an 'error' nobody listens to, which ends the process. Each client gets
 * a listener of its own the first time the pool hands it out, for its whole life; the error still
 * fails the query in flight and reaches TypeORM and the pool.
 */
function containClientErrors(dataSource: DataSource): void {
  type Emitter = { on(event: string, listener: (value: Emitter) => void): void };
  const pool = (dataSource.driver as unknown as { master?: Emitter }).master;
  const contained = new WeakSet<Emitter>();
  pool?.on('acquire', (client) => {
    if (contained.has(client)) return;
    contained.add(client);
    client.on('error', () => undefined);
  });
}

/** Creates the schema unless it exists. @returns whether this call created it. */
async function ensureSchema(url: string, schema: string, connectTimeoutMs: number, target: string): Promise<boolean> {
  if (schema === 'public') return false;
  return withClient(url, connectTimeoutMs, target, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (rows.length > 0) return false;
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    return true;
  });
}

async function dropSchema(url: string, schema: string, connectTimeoutMs: number): Promise<void> {
  await withClient(url, connectTimeoutMs, url, (client) => client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)}`)).catch(
    () => undefined,
  );
}

async function withClient<T>(url: string, connectTimeoutMs: number, target: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const { Client } = loadPg(target);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  // An unreachable server makes the client emit 'error' after connect() rejects; keep that off the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw new StoreOpenError(target, describe(error), error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The slice of node-postgres used here; typed locally so users need no @types/pg. */
interface PgClient {
  on(event: 'error', listener: (error: Error) => void): void;
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

interface PgModule {
  Client: new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;
}

function loadPg(target: string): PgModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pg') as PgModule;
  } catch (error) {
    throw new StoreOpenError(target, 'the "pg" package is not installed (npm install pg)', error);
  }
}

async function adoptDataSource(dataSource: DataSource, runMigrations: boolean): Promise<OpenedDataSource> {
  const dialect = dialectForType(dataSource.options.type);
  const target = `${dataSource.options.type} DataSource`;
  if (!dataSource.isInitialized) await initialize(dataSource, target);
  if (dialect === mysqlDialect) await checkMysqlSession(dataSource, false, target);
  if (runMigrations) {
    const listed = new Set(dataSource.migrations.map((migration) => migration.constructor));
    const missing = executionHistoryMigrations.filter((migration) => !listed.has(migration));
    if (missing.length > 0) {
      throw new StoreOpenError(
        target,
        'its migrations do not include executionHistoryMigrations; add them, or pass runMigrations: false and run them yourself',
      );
    }
    await dataSource.runMigrations({ transaction: 'each' });
  }
  return { dataSource, dialect, owned: false, target, reopen: null };
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
