import { resolve } from 'node:path';
import { maskPassword } from '../target';
import type { SqlDialect } from './SqlDialect';

/**
 * Server errors about the data itself (retrying the same rows cannot help): SQLSTATE classes 22
 * and 23, and the ones MySQL files under HY000 although they are about a value — an incorrect
 * string for the column's character set (1366), a bad date or number (1292), a statement past
 * `max_allowed_packet` (1153).
 */
const DATA_ERRNOS = new Set([1153, 1292, 1366]);

/**
 * MySQL 8 and MariaDB 10.6+ through `mysql2`: a pool of connections, each transaction on its own.
 * Batches travel as one JSON parameter unpacked by `JSON_TABLE`, as PostgreSQL's do by
 * `json_array_elements`.
 */
export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  placeholder: () => '?',
  bindable: (value) => value,
  // A duplicate of the primary key is skipped; one of another unique key (a step index taken
  // twice) sets the id to NULL, which fails as a data error, as it does on the other databases.
  ignoreDuplicateIdSql: ' ON DUPLICATE KEY UPDATE id = IF(id = VALUES(id), id, NULL)',
  // TEXT, what TypeORM makes of the entities' text and simple-json columns.
  maxTextBytes: 65_535,
  // MariaDB's default max_allowed_packet is 16 MiB, and a character may take four bytes.
  maxStatementChars: 2 * 1024 * 1024,
  serialTransactions: false,
  // READ COMMITTED, as on PostgreSQL: under InnoDB's default REPEATABLE READ, recovery's and
  // retention's scans lock every row and gap they read, and deadlock with concurrent inserts.
  beginSql: ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'],
  jsonInsertSql(table, columns, casts) {
    const names = columns.map((_, i) => `c${i}`);
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${names.join(', ')} FROM ${jsonTable(columns, casts)} AS r ON DUPLICATE KEY UPDATE id = IF(${table}.id = r.c0, ${table}.id, NULL)`;
  },
  jsonUpdateSql(table, columns, casts) {
    const set = columns.map((column, i) => `${table}.${column} = u.c${i + 1}`).join(', ');
    return `UPDATE ${table} JOIN ${jsonTable(['id', ...columns], casts)} AS u ON ${table}.id = u.c0 SET ${set}`;
  },
  isDataError(error) {
    const source = error as { sqlState?: unknown; errno?: unknown; driverError?: { sqlState?: unknown; errno?: unknown } } | null;
    const sqlState = source?.driverError?.sqlState ?? source?.sqlState;
    const errno = source?.driverError?.errno ?? source?.errno;
    if (typeof sqlState === 'string' && /^2[23]/.test(sqlState)) return true;
    return typeof errno === 'number' && DATA_ERRNOS.has(errno);
  },
  tableExistsSql: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
  // InnoDB reuses the pages of deleted rows.
  reclaimSpace: async () => undefined,
  identity(dataSource) {
    const options = dataSource.options as { url?: string; host?: string; port?: number; database?: unknown; username?: string };
    const server = options.url
      ? maskPassword(options.url)
      : `${options.username ?? ''}@${options.host ?? ''}:${options.port ?? ''}/${String(options.database ?? '')}`;
    return `mysql:${server}`;
  },
  defaultSpoolDir: () => resolve('.flowtrail', 'spool'),
};

/**
 * `JSON_TABLE` over the one JSON parameter: element i of each row becomes column `c{i}`. Numbers
 * keep their type; the first column, an id, is an ASCII varchar, which compares in the table
 * column's collation whatever that is, so that a join on the primary key uses it; any other value
 * fits a longtext and is converted on assignment.
 */
function jsonTable(columns: readonly string[], casts: Readonly<Record<string, string>>): string {
  const definitions = columns.map(
    (column, i) => `c${i} ${i === 0 ? 'varchar(36) CHARACTER SET ascii' : sqlType(casts[column])} PATH '$[${i}]'`,
  );
  return `JSON_TABLE(?, '$[*]' COLUMNS (${definitions.join(', ')}))`;
}

function sqlType(cast: string | undefined): string {
  if (cast === 'bigint') return 'bigint';
  if (cast === 'integer') return 'int';
  return 'longtext';
}
