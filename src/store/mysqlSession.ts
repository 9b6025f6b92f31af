import type { DataSource } from 'typeorm';
import { StoreOpenError } from '../errors';

/** What makes a bad value fail its statement instead of being stored altered, with a warning. */
const STRICT = /\bSTRICT_(?:TRANS|ALL)_TABLES\b/;
const MAKE_STRICT = "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')";

interface SessionSettings {
  sqlMode: string;
  charset: string;
  logBin: number | string;
  binlogFormat: string | null;
}

/**
 * Checks, when a store opens on MySQL/MariaDB, what its statements rely on:
 * - a strict `sql_mode`: without it a duplicate step index would rewrite a row's id (the
 *   duplicate-key guard in mysqlDialect sets it to NULL, which must fail) and a value too long
 *   for its column would be cut. A pool flowtrail opened is made strict, connection by
 *   connection; a DataSource of the application's is refused, since its sessions are not ours;
 * - `utf8mb4` on the connection, or every emoji in captured data would be refused;
 * - no statement-based binary log, which refuses writes at READ COMMITTED (error 1665).
 * @throws StoreOpenError naming `target` and the setting to change.
 */
export async function checkMysqlSession(dataSource: DataSource, owned: boolean, target: string): Promise<void> {
  if (owned) makeEveryConnectionStrict(dataSource);
  const [settings] = (await dataSource.query(
    'SELECT @@SESSION.sql_mode AS sqlMode, @@SESSION.character_set_connection AS charset, @@GLOBAL.log_bin AS logBin, @@SESSION.binlog_format AS binlogFormat',
  )) as SessionSettings[];
  if (!settings) return;
  if (!STRICT.test(settings.sqlMode)) {
    throw new StoreOpenError(
      target,
      `its sql_mode (${settings.sqlMode || 'empty'}) is not strict: add STRICT_TRANS_TABLES, or a bad value would be stored altered instead of refused`,
    );
  }
  if (settings.charset !== 'utf8mb4') {
    throw new StoreOpenError(target, `its connection character set is ${settings.charset}: give the DataSource charset: 'utf8mb4'`);
  }
  if (Number(settings.logBin) === 1 && settings.binlogFormat === 'STATEMENT') {
    throw new StoreOpenError(target, 'its binary log is statement-based, which refuses writes at READ COMMITTED: use ROW or MIXED');
  }
}

/** mysql2's pool, as TypeORM holds it: callback API. */
interface Pool {
  on(event: 'connection', listener: (connection: Connection) => void): void;
  _freeConnections?: { toArray?(): Connection[] };
}
interface Connection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/** Queued ahead of anything else on each connection; a failure surfaces as the check's error. */
function makeEveryConnectionStrict(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { pool?: Pool }).pool;
  if (!pool) return;
  const strict = (connection: Connection) => connection.query(MAKE_STRICT, () => undefined);
  pool.on('connection', strict);
  // The connection TypeORM tried at initialize() is in the pool already.
  for (const connection of pool._freeConnections?.toArray?.() ?? []) strict(connection);
}
