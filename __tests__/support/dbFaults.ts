import { Client } from 'pg';
import { isSqlite, pgUrl, sqliteDriverOf, type TestDatabase } from './databases';
import { until } from './until';

/**
 * Makes the database slow, not down: another connection holds the write lock, so the logger's
 * transaction waits for it (SQLite busy timeout, PostgreSQL lock queue) and then succeeds. On
 * SQLite, with a busy timeout shorter than the hold, the logger's writes fail instead: locked.
 * Resolves once the lock is held, with the function that releases it.
 */
export async function holdWriteLock(db: TestDatabase): Promise<() => Promise<void>> {
  if (isSqlite(db.kind) && sqliteDriverOf(db.kind) === 'better-sqlite3') {
    // The lock is taken through the store's own SQLite library: two copies of SQLite in one process
    // do not see each other's locks (POSIX locks are per process; each copy keeps its own table).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const BetterSqlite3 = require('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };
    const locker = new BetterSqlite3((db.options as { database: string }).database);
    locker.exec('BEGIN IMMEDIATE');
    return async () => {
      locker.exec('COMMIT');
      locker.close();
    };
  }
  if (isSqlite(db.kind)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqlite3 = require('sqlite3') as typeof import('sqlite3');
    const locker = new sqlite3.Database((db.options as { database: string }).database);
    const exec = (sql: string) => new Promise<void>((resolve, reject) => locker.exec(sql, (error) => (error ? reject(error) : resolve())));
    // In WAL mode IMMEDIATE and EXCLUSIVE are the same lock: no other connection may write.
    await exec('BEGIN IMMEDIATE');
    return async () => {
      await exec('COMMIT');
      await new Promise((resolve) => locker.close(resolve));
    };
  }
  if (db.kind === 'mysql') {
    const connection = await mysqlConnection(db);
    // Other sessions' statements on these tables wait for the metadata lock until it is released.
    await connection.query('LOCK TABLES workflow_executions WRITE, execution_steps WRITE');
    return async () => {
      await connection.query('UNLOCK TABLES');
      await connection.end();
    };
  }
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  const schema = (db.options as { schema: string }).schema;
  // Taken while the logger writes, the lock can deadlock with a transaction holding one of the
  // tables and waiting for the other: the server then aborts one of the two, and ours tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${schema}".workflow_executions, "${schema}".execution_steps IN EXCLUSIVE MODE`);
      break;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt === 10) {
        await client.end();
        throw error;
      }
    }
  }
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

const DEADLOCK_DETECTED = '40P01';

/**
 * Ends every PostgreSQL session whose `application_name` is `applicationName` (give the store's URL
 * `?application_name=…` to mark its pool's and its writer thread's connections): the server gone
 * for them, as when it restarts. Returns how many sessions were ended.
 */
export async function terminateSessions(applicationName: string): Promise<number> {
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [applicationName],
    );
    return rows.length;
  } finally {
    await client.end();
  }
}

interface MysqlConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown[]]>;
  end(): Promise<void>;
}

async function mysqlConnection(db: TestDatabase): Promise<MysqlConnection> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mysql = require('mysql2/promise') as { createConnection(options: { uri: string }): Promise<MysqlConnection> };
  return mysql.createConnection({ uri: (db.options as { url: string }).url });
}

/**
 * Ends the MySQL/MariaDB sessions of this test's database that wait for the lock holdWriteLock
 * took: a connection lost mid-write. Resolves once at least one was ended.
 */
export async function killWaitingMysqlSessions(db: TestDatabase): Promise<void> {
  const connection = await mysqlConnection(db);
  try {
    await until(async () => {
      const [rows] = (await connection.query(
        "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND state LIKE 'Waiting for table metadata lock%' AND id <> CONNECTION_ID()",
      )) as [{ id: number }[]];
      for (const { id } of rows) await connection.query(`KILL CONNECTION ${Number(id)}`);
      return rows.length > 0;
    }, 'a MySQL session waiting on the lock');
  } finally {
    await connection.end();
  }
}
