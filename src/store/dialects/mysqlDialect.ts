import { resolve } from 'node:path';
import type { DataCondition } from '../dataPredicate';
import { sqlJsonPath } from '../jsonPath';
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
  ignoreDuplicateSql: (key) => ` ON DUPLICATE KEY UPDATE ${key} = IF(${key} = VALUES(${key}), ${key}, NULL)`,
  // TEXT, what TypeORM makes of the entities' text and simple-json columns.
  maxTextBytes: 65_535,
  // Under MariaDB's default max_allowed_packet, 16 MiB: a character takes up to four bytes in
  // UTF-8, and a control character up to seven once JSON- and SQL-escaped.
  maxStatementChars: 2 * 1024 * 1024,
  // MariaDB scans the whole index for a row comparison (2 052 index reads for a page of 50, in
  // mysql.test.ts); a range on the leading column reads about the page.
  rowBefore: (a, b, x, y, orEqual) => `${a} <= ${x()} AND (${a} < ${x()} OR ${b} ${orEqual ? '<=' : '<'} ${y()})`,
  serialTransactions: false,
  // READ COMMITTED, as on PostgreSQL: under InnoDB's default REPEATABLE READ, recovery's UPDATE
  // locks every row and gap it scans, and deadlocked with concurrent inserts (a spool replay).
  beginSql: ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'],
  jsonInsertSql(table, columns, casts) {
    const key = columns[0]!;
    const names = columns.map((_, i) => `c${i}`);
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${names.join(', ')} FROM ${jsonTable(columns, casts, false)} AS r ON DUPLICATE KEY UPDATE ${key} = IF(CAST(${table}.${key} AS BINARY) = CAST(r.c0 AS BINARY), ${table}.${key}, NULL)`;
  },
  jsonUpdateSql(table, columns, casts) {
    const set = columns.map((column, i) => `${table}.${column} = u.c${i + 1}`).join(', ');
    return `UPDATE ${table} JOIN ${jsonTable(['id', ...columns], casts, true)} AS u ON ${table}.id = u.c0 SET ${set}`;
  },
  // MySQL 8 writes a row constructor as VALUES ROW(…), MariaDB as VALUES (…): one UPDATE a row.
  boundUpdateSql: null,
  jsonTest,
  // InnoDB's persistent statistics weigh both indexes.
  unindexed: (column) => column,
  intDiv: (dividend, divisor) => `((${dividend}) DIV (${divisor}))`,
  textContains: (haystack, needle) => `INSTR(${haystack}, ${needle}) > 0`,
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
 * keep their type; any other value is a longtext, converted on assignment (where strict mode
 * refuses what does not fit, as a bound value would be). For a join on the primary key the first
 * column is an ASCII varchar instead, which compares in the table column's collation whatever
 * that is, so that the index is used; 37 characters, so that an id longer than any stored one
 * (JSON_TABLE cuts it with a warning only) cannot be cut into one that matches.
 */
function jsonTable(columns: readonly string[], casts: Readonly<Record<string, string>>, joinOnId: boolean): string {
  const definitions = columns.map((column, i) => {
    const type = i === 0 && joinOnId ? 'varchar(37) CHARACTER SET ascii' : sqlType(casts[column]);
    return `c${i} ${type} PATH '$[${i}]'`;
  });
  return `JSON_TABLE(?, '$[*]' COLUMNS (${definitions.join(', ')}))`;
}

function sqlType(cast: string | undefined): string {
  if (cast === 'bigint') return 'bigint';
  if (cast === 'integer') return 'int';
  return 'longtext';
}

/**
 * MariaDB reads no further than the escape of a lone surrogate (which JSON.stringify writes): it
 * reads as U+FFFD here. A document without `\u` is used as it is. Pattern and replacement are
 * bound, so that they mean the same under NO_BACKSLASH_ESCAPES; they use no group, whose syntax
 * differs between MariaDB and MySQL, so the text `\ud800` itself (an escaped backslash before
 * it) is read so too.
 */
const LONE_SURROGATE_ESCAPE = '\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}';
const REPLACEMENT_ESCAPE = '\\\\ufffd';
const NUMBER_TYPES = "('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')";

/** Strings compare as bytes, whatever the collations of the column and the connection. */
function jsonTest(column: string, { segments, test }: DataCondition, bind: (value: unknown) => string): string {
  const value = () =>
    `JSON_EXTRACT(CASE WHEN INSTR(${column}, ${bind('\\u')}) > 0 THEN REGEXP_REPLACE(${column}, ${bind(LONE_SURROGATE_ESCAPE)}, ${bind(REPLACEMENT_ESCAPE)}) ELSE ${column} END, ${bind(sqlJsonPath(segments))})`;
  const bytes = () => `CAST(JSON_UNQUOTE(${value()}) AS BINARY)`;
  const number = () => `CASE WHEN JSON_TYPE(${value()}) IN ${NUMBER_TYPES} THEN CAST(JSON_UNQUOTE(${value()}) AS DOUBLE) END`;
  switch (test.kind) {
    case 'equals': {
      const wanted = test.value;
      if (typeof wanted === 'string') return `JSON_TYPE(${value()}) = 'STRING' AND ${bytes()} = CAST(${bind(wanted)} AS BINARY)`;
      if (typeof wanted === 'number') return `${number()} = ${bind(wanted)}`;
      if (wanted === null) return `JSON_TYPE(${value()}) = 'NULL'`;
      return `JSON_TYPE(${value()}) = 'BOOLEAN' AND JSON_UNQUOTE(${value()}) = ${bind(String(wanted))}`;
    }
    case 'exists':
      return `${value()} IS ${test.present ? 'NOT ' : ''}NULL`;
    case 'contains':
      return `JSON_TYPE(${value()}) = 'STRING' AND LOCATE(CAST(${bind(test.text)} AS BINARY), ${bytes()}) > 0`;
    case 'range': {
      const bounds = [];
      if (test.gt !== undefined) bounds.push(`${number()} > ${bind(test.gt)}`);
      if (test.lt !== undefined) bounds.push(`${number()} < ${bind(test.lt)}`);
      return bounds.join(' AND ');
    }
  }
}
