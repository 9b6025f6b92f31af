import {
  EXECUTION_COLUMNS,
  finishedExecution,
  mysqlConnection,
  optionalRequire,
  PG_URL,
  rawValues,
  STEP_COLUMNS,
  type BackendName,
} from './support';

/**
 * A connection of the backend's own driver, without TypeORM: what a hand-written writer would use.
 * `insert` sends one multi-row parameterized INSERT.
 */
export interface RawConnection {
  exec(sql: string): Promise<void>;
  insert(table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void>;
  close(): Promise<void>;
  /** PostgreSQL: the server's pid of the backend serving this connection (its CPU time: a lower bound of the database's work). */
  serverPid?: number;
}

/** Opens a raw connection to a history database (SQLite file, PostgreSQL schema or MySQL database), with the store's pragmas. */
export async function openRawConnection(backend: BackendName, location: string): Promise<RawConnection> {
  switch (backend) {
    case 'sqlite3':
      return openSqlite3(location);
    case 'better-sqlite3':
      return openBetterSqlite(location);
    case 'postgres':
      return openPg(location);
    case 'mysql':
      return openMysql(location);
  }
}

/** Raw ceiling: executions per transaction (× their steps) and rows per INSERT statement (as the store uses). */
const EXECUTIONS_PER_TRANSACTION = 500;
const ROWS_PER_STATEMENT = 500;

/**
 * Writes `executions` finished executions of `stepsPerExecution` steps, the rows the logger would
 * write, as multi-row INSERTs in big transactions. Returns the ms it took.
 */
export async function insertFinishedExecutions(
  connection: RawConnection,
  backend: BackendName,
  executions: number,
  stepsPerExecution: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (let first = 0; first < executions; first += EXECUTIONS_PER_TRANSACTION) {
    const executionRows: unknown[][] = [];
    const stepRows: unknown[][] = [];
    for (let run = first; run < Math.min(executions, first + EXECUTIONS_PER_TRANSACTION); run++) {
      const values = rawValues(finishedExecution(Date.now(), stepsPerExecution, run % 64));
      executionRows.push(values.execution);
      stepRows.push(...values.steps);
    }
    await connection.exec(backend === 'postgres' || backend === 'mysql' ? 'BEGIN' : 'BEGIN IMMEDIATE');
    for (let i = 0; i < executionRows.length; i += ROWS_PER_STATEMENT) {
      await connection.insert('workflow_executions', EXECUTION_COLUMNS, executionRows.slice(i, i + ROWS_PER_STATEMENT));
    }
    for (let i = 0; i < stepRows.length; i += ROWS_PER_STATEMENT) {
      await connection.insert('execution_steps', STEP_COLUMNS, stepRows.slice(i, i + ROWS_PER_STATEMENT));
    }
    await connection.exec('COMMIT');
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function insertSql(table: string, columns: readonly string[], rowCount: number, placeholder: (index: number) => string): string {
  const tuples: string[] = [];
  let index = 0;
  for (let row = 0; row < rowCount; row++) {
    const slots: string[] = [];
    for (let column = 0; column < columns.length; column++) slots.push(placeholder(++index));
    tuples.push(`(${slots.join(', ')})`);
  }
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`;
}

/** Statement text by table and row count: built once, as any writer would. */
function sqlCache(placeholder: (index: number) => string) {
  const cache = new Map<string, string>();
  return (table: string, columns: readonly string[], rowCount: number): string => {
    const key = `${table}:${rowCount}`;
    let sql = cache.get(key);
    if (sql === undefined) {
      sql = insertSql(table, columns, rowCount, placeholder);
      cache.set(key, sql);
    }
    return sql;
  };
}

async function openSqlite3(file: string): Promise<RawConnection> {
  const sqlite3 = optionalRequire<typeof import('sqlite3')>('sqlite3');
  if (!sqlite3) throw new Error('sqlite3 is not installed');
  const db = await new Promise<import('sqlite3').Database>((resolve, reject) => {
    const opened: import('sqlite3').Database = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(opened)));
  });
  const run = (sql: string, params: unknown[] = []) =>
    new Promise<void>((resolve, reject) => db.run(sql, params, (error: Error | null) => (error ? reject(error) : resolve())));
  // What TypeORM's sqlite driver and ExecutionStore.open set on their connection.
  await run('PRAGMA foreign_keys = ON');
  await run('PRAGMA synchronous = NORMAL');
  const sql = sqlCache(() => '?');
  return {
    exec: (statement) => run(statement),
    insert: (table, columns, rows) => run(sql(table, columns, rows.length), rows.flat()),
    close: () => new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
}

interface BetterSqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): { run(...params: unknown[]): unknown };
  close(): void;
}

async function openBetterSqlite(file: string): Promise<RawConnection> {
  const BetterSqlite = optionalRequire<new (file: string) => BetterSqliteDatabase>('better-sqlite3');
  if (!BetterSqlite) throw new Error('better-sqlite3 is not installed');
  const db = new BetterSqlite(file);
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  const sql = sqlCache(() => '?');
  const statements = new Map<string, ReturnType<BetterSqliteDatabase['prepare']>>();
  return {
    exec: async (statement) => db.exec(statement),
    insert: async (table, columns, rows) => {
      const text = sql(table, columns, rows.length);
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      statement.run(rows.flat());
    },
    close: async () => db.close(),
  };
}

async function openPg(schema: string): Promise<RawConnection> {
  const pg = optionalRequire<typeof import('pg')>('pg');
  if (!pg) throw new Error('pg is not installed');
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
  client.on('error', () => undefined);
  await client.connect();
  const sql = sqlCache((index) => `$${index}`);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return {
    serverPid: rows[0]?.pid,
    exec: async (statement) => {
      await client.query(statement);
    },
    insert: async (table, columns, rows) => {
      await client.query(sql(table, columns, rows.length), rows.flat());
    },
    close: () => client.end(),
  };
}

async function openMysql(url: string): Promise<RawConnection> {
  const connection = await mysqlConnection(url);
  const sql = sqlCache(() => '?');
  return {
    exec: async (statement) => {
      await connection.query(statement);
    },
    insert: async (table, columns, rows) => {
      await connection.query(sql(table, columns, rows.length), rows.flat());
    },
    close: () => connection.end(),
  };
}
