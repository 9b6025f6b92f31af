import type { QueryRunner } from 'typeorm';

/**
 * A table's name as a migration must write it: on PostgreSQL qualified by the DataSource's
 * `schema` option when it has one, which is where TypeORM keeps the entities' tables (the
 * connection's search_path may point elsewhere). Quoted as TypeORM quotes it.
 */
export function tableName(queryRunner: QueryRunner, table: string): string {
  const { type, schema } = queryRunner.connection.options as { type: string; schema?: string };
  if (isMysql(queryRunner)) return `\`${table}\``;
  return type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}"."${table}"` : `"${table}"`;
}

/** An index's name as DROP INDEX must write it: on PostgreSQL in the tables' schema, which may not be on the search path. */
export function indexName(queryRunner: QueryRunner, index: string): string {
  const { type, schema } = queryRunner.connection.options as { type: string; schema?: string };
  if (isMysql(queryRunner)) return `\`${index}\``;
  return type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}"."${index}"` : `"${index}"`;
}

export function isPostgres(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.options.type === 'postgres';
}

/** sqlite3 and better-sqlite3: one dialect, two TypeORM driver types (TypeORM 1 has only the second). */
export function isSqlite(queryRunner: QueryRunner): boolean {
  const type: string = queryRunner.connection.options.type;
  return type === 'sqlite' || type === 'better-sqlite3';
}

/** MySQL and MariaDB: one dialect, two TypeORM driver types. */
export function isMysql(queryRunner: QueryRunner): boolean {
  const { type } = queryRunner.connection.options;
  return type === 'mysql' || type === 'mariadb';
}
