import { DataSource } from 'typeorm';
import { executionHistoryEntities } from '../entities';
import { ConfigError, StoreOpenError } from '../errors';
import { executionHistoryMigrations } from '../migrations';
import { mysqlDialect } from './dialects/mysqlDialect';
import { checkMysqlSession } from './mysqlSession';
import type { OpenedDataSource } from './openDataSource';
import { describe, initialize, MIGRATIONS_TABLE, requirePackage, setUp } from './setUpDataSource';
import { maskPassword } from './target';
import type { ServerStoreOptions } from './types';

/**
 * MySQL 8 or MariaDB 10.6+ through `mysql2`. The database the URL names must exist (a typo must
 * not create one); the tables are created in it by the migrations.
 */
export async function openMysql(options: ServerStoreOptions): Promise<OpenedDataSource> {
  const target = maskPassword(options.url);
  if (options.schema !== undefined) {
    throw new ConfigError('schema', options.schema, 'absent for MySQL/MariaDB (the URL names the database)');
  }
  // TypeORM drops a MySQL URL's query string (ssl=…, among others): refused rather than ignored.
  if (options.url.includes('?')) {
    throw new ConfigError(
      'url',
      target,
      'a mysql:// URL without query parameters (TypeORM ignores them: TLS options are not supported yet)',
    );
  }
  requirePackage('mysql2', target);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const type = await mysqlServerType(options.url, connectTimeoutMs, target);
  const readOnly = options.readOnly ?? false;
  const migrate = options.runMigrations ?? !readOnly;
  const dataSource = new DataSource({
    type,
    // TypeORM 0.3 would load the older `mysql` package first when a project has it; 1.x knows only mysql2.
    ...({ connectorPackage: 'mysql2' } as object),
    url: options.url,
    // Every character a captured value may hold. The connection's collation does not decide
    // comparisons: the columns' own (binary, in tables the migrations make) wins over it.
    charset: 'utf8mb4_general_ci',
    entities: executionHistoryEntities,
    migrations: executionHistoryMigrations,
    migrationsTableName: MIGRATIONS_TABLE,
    poolSize: options.poolSize ?? 10,
    connectTimeout: connectTimeoutMs,
  });
  await initialize(dataSource, target);
  letIdleConnectionsExit(dataSource);
  await setUp(dataSource, target, () => checkMysqlSession(dataSource, true, target));
  if (migrate) await setUp(dataSource, target, () => dataSource.runMigrations({ transaction: 'all' }));
  // The writer thread writes one batch at a time: two connections are plenty.
  const reopen = readOnly ? null : { url: options.url, connectTimeoutMs, poolSize: 2, runMigrations: false };
  return { dataSource, dialect: mysqlDialect, owned: true, target, reopen };
}

/**
 * Idle connections must not keep a finished program running, as an idle SQLite file does not
 * (pg's `allowExitOnIdle`): a mysql2 pool's sockets are unreferenced while they sit in the pool,
 * and referenced again while a query runner holds them.
 */
function letIdleConnectionsExit(dataSource: DataSource): void {
  type Connection = { stream?: { ref?(): void; unref?(): void } };
  type Pool = { on(event: string, listener: (connection: Connection) => void): void; _freeConnections?: { toArray?(): Connection[] } };
  const pool = (dataSource.driver as unknown as { pool?: Pool }).pool;
  if (!pool) return;
  pool.on('acquire', (connection) => connection.stream?.ref?.());
  pool.on('release', (connection) => connection.stream?.unref?.());
  // The connection TypeORM tried at initialize() is in the pool already.
  for (const connection of pool._freeConnections?.toArray?.() ?? []) connection.stream?.unref?.();
}

/**
 * Whether the server is MariaDB or MySQL, whatever the URL's scheme says: TypeORM reads a
 * MariaDB schema (column defaults) wrongly through its `mysql` type, and sees changes to make.
 */
async function mysqlServerType(url: string, connectTimeoutMs: number, target: string): Promise<'mysql' | 'mariadb'> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when MySQL is used
  const mysql = require('mysql2/promise') as {
    createConnection(options: { uri: string; connectTimeout: number }): Promise<{
      query(sql: string): Promise<[{ version: string }[]]>;
      end(): Promise<void>;
    }>;
  };
  try {
    const connection = await mysql.createConnection({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectTimeout: connectTimeoutMs });
    try {
      const [[row]] = await connection.query('SELECT VERSION() AS version');
      return /mariadb/i.test(row?.version ?? '') ? 'mariadb' : 'mysql';
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch (error) {
    throw new StoreOpenError(target, describe(error), error);
  }
}
