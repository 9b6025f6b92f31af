import { resolve } from 'node:path';
import { maskPassword } from '../target';
import { errorCode, type SqlDialect } from './SqlDialect';

/** PostgreSQL through `pg`: a pool of connections, each transaction on its own. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  // Text cannot hold U+0000, and one such string would fail its whole batch on every retry: it is
  // stored as U+FFFD, and filters are mapped the same way so they still match. JSON escapes NUL.
  bindable: (value) => (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value),
  ignoreDuplicateIdSql: ' ON CONFLICT (id) DO NOTHING',
  maxStatementChars: Infinity,
  maxTextBytes: Infinity,
  rowBefore: (a, b, x, y, orEqual) => `(${a}, ${b}) ${orEqual ? '<=' : '<'} (${x()}, ${y()})`,
  serialTransactions: false,
  beginSql: ['BEGIN'],
  jsonInsertSql(table, columns, casts) {
    const values = columns.map((column, i) => element('e', i, casts[column])).join(', ');
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values} FROM json_array_elements($1::json) AS r(e) ON CONFLICT (id) DO NOTHING`;
  },
  jsonUpdateSql(table, columns, casts) {
    const set = columns.map((column, i) => `${column} = ${element('u.e', i + 1, casts[column])}`).join(', ');
    return `UPDATE ${table} SET ${set} FROM json_array_elements($1::json) AS u(e) WHERE ${table}.id = u.e->>0`;
  },
  // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
  isDataError: (error) => /^2[23][0-9A-Z]{3}$/.test(errorCode(error) ?? ''),
  tableExistsSql: 'SELECT to_regclass($1)::text AS name',
  // Autovacuum reuses the space of deleted rows.
  reclaimSpace: async () => undefined,
  identity(dataSource) {
    const options = dataSource.options as {
      url?: string;
      host?: string;
      port?: number;
      database?: unknown;
      schema?: string;
      username?: string;
    };
    const server = options.url
      ? maskPassword(options.url)
      : `${options.username ?? ''}@${options.host ?? ''}:${options.port ?? ''}/${String(options.database ?? '')}`;
    return `postgres:${server}:${options.schema ?? 'public'}`;
  },
  defaultSpoolDir: () => resolve('.flowtrail', 'spool'),
};

/** `->>` yields text: non-text columns are cast back. */
function element(value: string, index: number, cast: string | undefined): string {
  return cast ? `(${value}->>${index})::${cast}` : `${value}->>${index}`;
}
