import { StoreOpenError } from '../../errors';
import { mysqlDialect } from './mysqlDialect';
import { postgresDialect } from './postgresDialect';
import { sqliteDialect } from './sqliteDialect';
import type { SqlDialect } from './SqlDialect';

export type { SqlDialect } from './SqlDialect';

/** The dialect of a TypeORM driver type. @throws StoreOpenError for a database flowtrail does not support. */
export function dialectForType(type: string): SqlDialect {
  if (type === 'sqlite' || type === 'better-sqlite3') return sqliteDialect;
  if (type === 'postgres') return postgresDialect;
  if (type === 'mysql' || type === 'mariadb') return mysqlDialect;
  throw new StoreOpenError(
    `${type} DataSource`,
    `unsupported database type "${type}" (use sqlite, better-sqlite3, postgres, mysql or mariadb)`,
  );
}
