import { ConfigError, StoreOpenError } from '../errors';

/** The SQLite drivers TypeORM has: `sqlite3` (its `sqlite` type, TypeORM 0.3 only) and `better-sqlite3`. */
export type SqliteDriverName = 'sqlite3' | 'better-sqlite3';

export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['sqlite3', 'better-sqlite3'];

/** Names the driver when the store options do not; read when a SQLite store opens. */
export const SQLITE_DRIVER_ENV = 'FLOWTRAIL_SQLITE_DRIVER';

/** What the embedded store opens: a file (or `:memory:`), and how. */
export interface SqliteConnection {
  database: string;
  busyTimeoutMs?: number;
  readOnly?: boolean;
}

/** Why a driver cannot be used here, or null when it can; each asked once per process (a native module loads once). */
const unusable = new Map<SqliteDriverName, string | null>();

/**
 * The driver the embedded store uses: the one asked for (the `sqliteDriver` option, else
 * FLOWTRAIL_SQLITE_DRIVER), else `sqlite3` when it loads and this TypeORM still has its `sqlite`
 * driver (0.3), else `better-sqlite3` (TypeORM 1.x has only that one).
 * @throws ConfigError for an unknown FLOWTRAIL_SQLITE_DRIVER; StoreOpenError naming what to install when no driver can be used.
 */
export function chooseSqliteDriver(requested: SqliteDriverName | undefined, target: string): SqliteDriverName {
  const wanted = requested ?? driverFromEnv();
  if (wanted !== undefined) {
    const reason = whyUnusable(wanted);
    if (reason !== null) throw new StoreOpenError(target, `${reason}${wanted === 'sqlite3' ? '' : ` (${INSTALL_BETTER})`}`);
    return wanted;
  }
  const sqlite3 = whyUnusable('sqlite3');
  if (sqlite3 === null) return 'sqlite3';
  const better = whyUnusable('better-sqlite3');
  if (better === null) return 'better-sqlite3';
  const install = typeormHasSqlite3() ? `npm install sqlite3, or ${INSTALL_BETTER}` : INSTALL_BETTER;
  throw new StoreOpenError(target, `no SQLite driver can be used: ${sqlite3}; ${better} (${install})`);
}

const INSTALL_BETTER = 'npm install better-sqlite3@12, and approve its build: npm install-scripts approve better-sqlite3';

/**
 * TypeORM's DataSource options that name the driver and how it connects. Typed loosely: TypeORM
 * 1.x's types have no `sqlite` type, and the same source must compile against either major.
 */
export function sqliteDataSourceOptions(driver: SqliteDriverName, connection: SqliteConnection): Record<string, unknown> {
  const { database, busyTimeoutMs = 5000, readOnly = false } = connection;
  const memory = database === ':memory:';
  if (driver === 'better-sqlite3') {
    return {
      type: 'better-sqlite3',
      database,
      driver: load('better-sqlite3'),
      ...(memory ? {} : { timeout: busyTimeoutMs }),
      // Read-only: never create the file, and leave its journal mode alone.
      ...(readOnly ? { readonly: true, fileMustExist: true } : { enableWAL: !memory }),
    };
  }
  const sqlite3 = quietSqlite3();
  return {
    type: 'sqlite',
    database,
    driver: sqlite3,
    ...(memory ? {} : { busyTimeout: busyTimeoutMs }),
    ...(readOnly ? { flags: (sqlite3 as { OPEN_READONLY: number }).OPEN_READONLY } : { enableWAL: !memory }),
  };
}

function driverFromEnv(): SqliteDriverName | undefined {
  const value = process.env[SQLITE_DRIVER_ENV];
  if (value === undefined || value === '') return undefined;
  if (!(SQLITE_DRIVERS as readonly string[]).includes(value)) throw new ConfigError(SQLITE_DRIVER_ENV, value, 'sqlite3 or better-sqlite3');
  return value as SqliteDriverName;
}

function whyUnusable(driver: SqliteDriverName): string | null {
  if (!unusable.has(driver)) unusable.set(driver, probe(driver));
  return unusable.get(driver) ?? null;
}

function probe(driver: SqliteDriverName): string | null {
  if (driver === 'sqlite3' && !typeormHasSqlite3()) return 'this TypeORM (1.x) has no driver for "sqlite3"';
  try {
    const module = load(driver);
    // better-sqlite3 loads its native module on the first open, not on require.
    if (driver === 'better-sqlite3') new (module as new (file: string) => { close(): void })(':memory:').close();
    return null;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const missing = code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${driver}'`);
    return missing ? `"${driver}" is not installed` : `"${driver}" does not load (${(error as Error).message.split('\n')[0]})`;
  }
}

/** Whether the installed TypeORM has its `sqlite` (sqlite3) driver: 0.3 does, 1.x removed it. */
function typeormHasSqlite3(): boolean {
  try {
    require.resolve('typeorm/driver/sqlite/SqliteDriver');
    return true;
  } catch {
    return false;
  }
}

function load(driver: SqliteDriverName): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when SQLite is used, like TypeORM does
  return require(driver) as unknown;
}

/**
 * TypeORM calls the driver's verbose(), which wraps every sqlite3 call so that it builds an Error
 * and util.inspect()s its SQL and parameters, for longer stack traces. On our batched writes that
 * debugging aid cost more main-thread time than the writes themselves (docs/performance.md), so
 * TypeORM gets a view of the module whose verbose() changes nothing. If something else in the
 * process already turned verbose mode on, it stays on: the patch is global to the module.
 */
function quietSqlite3(): unknown {
  const sqlite3 = load('sqlite3') as object;
  return Object.assign(Object.create(sqlite3) as object, { verbose: () => sqlite3 });
}
