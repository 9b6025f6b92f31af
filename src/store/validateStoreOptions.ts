import { ConfigError } from '../errors';
import { SQLITE_DRIVERS } from './sqliteDriver';
import type { ExecutionStoreOptions } from './types';

// Node timers and the drivers' own timeouts overflow past a 32-bit signed integer.
const MAX_INTEGER = 2_147_483_647;
/**
 * A schema name flowtrail accepts: a plain identifier of 1 to 63 characters (PostgreSQL truncates
 * longer ones, so two could collide). Nothing that would need quoting: TypeORM splices the schema
 * into some of its own statements unquoted, so a quote in it is SQL injection.
 */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks the options of `ExecutionStore.open()` before anything is opened or created, so that a
 * mistyped setting is a ConfigError naming it rather than a driver error, or a silent default.
 */
export function validateStoreOptions(options: ExecutionStoreOptions): void {
  if (options === null || typeof options !== 'object') throw new ConfigError('options', options, 'an object');
  const record = options as Record<string, unknown>;
  if ('dataSource' in record) {
    const dataSource = record.dataSource as { options?: unknown } | null;
    if (dataSource === null || typeof dataSource !== 'object' || typeof dataSource.options !== 'object') {
      throw new ConfigError('dataSource', record.dataSource, 'a TypeORM DataSource');
    }
  } else if ('url' in record) {
    if (typeof record.url !== 'string' || record.url.trim() === '') {
      throw new ConfigError('url', record.url, 'a postgres://, mysql:// or mariadb:// URL');
    }
    if (record.schema !== undefined) {
      const schema = record.schema;
      if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
        throw new ConfigError('schema', schema, 'a schema name of 1 to 63 letters, digits and underscores, not starting with a digit');
      }
    }
    integer(record, 'connectTimeoutMs', 1);
    integer(record, 'poolSize', 1);
  } else {
    if (record.database !== undefined && (typeof record.database !== 'string' || record.database.includes('\u0000'))) {
      throw new ConfigError('database', record.database, 'a file path');
    }
    integer(record, 'busyTimeoutMs', 0);
    if (record.sqliteDriver !== undefined && !(SQLITE_DRIVERS as readonly unknown[]).includes(record.sqliteDriver)) {
      throw new ConfigError('sqliteDriver', record.sqliteDriver, `one of ${SQLITE_DRIVERS.join(', ')}, or absent (automatic)`);
    }
  }
  if (record.runMigrations !== undefined && typeof record.runMigrations !== 'boolean') {
    throw new ConfigError('runMigrations', record.runMigrations, 'true or false');
  }
  if ('readOnly' in record && record.readOnly !== undefined) {
    if ('dataSource' in record)
      throw new ConfigError('readOnly', record.readOnly, 'absent with a dataSource (open your DataSource read-only instead)');
    if (typeof record.readOnly !== 'boolean') throw new ConfigError('readOnly', record.readOnly, 'true or false');
    if (record.readOnly && record.runMigrations === true) throw new ConfigError('runMigrations', true, 'false or absent with readOnly');
  }
}

function integer(record: Record<string, unknown>, field: string, min: number): void {
  const value = record[field];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_INTEGER) {
    throw new ConfigError(field, value, `an integer from ${min} to ${MAX_INTEGER}`);
  }
}
