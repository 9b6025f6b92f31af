import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ExecutionLogger,
  ExecutionStore,
  LoggedNode,
  LoggedWorkflow,
  uuidv7,
  type LoggerConfig,
  type NewExecution,
  type NewStep,
} from '../src';
import { elapsedMs } from './stats';

// ── Sizes ──────────────────────────────────────────────────────────────────────────────────────

/** `BENCH_QUICK=1`: small sizes for a smoke run; the figures are then indicative only. */
export const QUICK = process.env.BENCH_QUICK === '1';

export function size(full: number, quick: number): number {
  return QUICK ? quick : full;
}

/** A positive integer from the environment, else the fallback. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}

/** Drops FLOWTRAIL_* settings so the environment of whoever runs the bench cannot change what it measures. */
export function isolateFromEnvironment(): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('FLOWTRAIL_')) delete process.env[name];
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ── Payloads ───────────────────────────────────────────────────────────────────────────────────

/** A JSON object whose `JSON.stringify` is exactly `bytes` bytes long, shaped like a node's data. */
function payload(bytes: number, seed: string): Record<string, unknown> {
  const base = {
    orderId: `ord_${seed}_000123`,
    customer: { id: 'cus_8812', tier: 'gold', region: 'eu-west-1' },
    items: [
      { sku: 'SKU-1001', qty: 2, price: 19.99 },
      { sku: 'SKU-2002', qty: 1, price: 5.5 },
    ],
    currency: 'EUR',
    note: '',
  };
  base.note = 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(JSON.stringify(base))));
  return base;
}

/** The ~200-byte input and output every benchmarked step carries. */
export const INPUT = payload(200, 'in');
export const OUTPUT = payload(200, 'out');
export const INPUT_JSON = JSON.stringify(INPUT);
export const OUTPUT_JSON = JSON.stringify(OUTPUT);

// ── Work ───────────────────────────────────────────────────────────────────────────────────────

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Spins the CPU for `microseconds` (a node doing synchronous work). */
export function busyWork(microseconds: number): number {
  const until = process.hrtime.bigint() + BigInt(Math.round(microseconds * 1000));
  let spins = 0;
  while (process.hrtime.bigint() < until) spins++;
  return spins;
}

/**
 * Runs `runOne` `total` times with `concurrency` calls in flight; resolves when all are done.
 * The first failure rejects (after the lanes stop taking new work).
 */
export async function runConcurrently(total: number, concurrency: number, runOne: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < total) {
      const index = next++;
      try {
        await runOne(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

/**
 * Runs a compiled bench script (a sibling of this file) in its own Node process and resolves with
 * the one message it sends over IPC; rejects if it exits without one or with an error code.
 */
export function forkForResult<T>(
  script: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: { value: T } | null = null;
    const child = fork(join(__dirname, script), options.args ?? [], {
      execArgv: options.execArgv ?? [],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message) => (result = { value: message as T }));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result.value);
      else reject(new Error(`${script} exited with code ${code}${result ? '' : ' before reporting'}`));
    });
  });
}

// ── Instrumented workload ──────────────────────────────────────────────────────────────────────

export interface ExecutableNode {
  execute(input: unknown): Promise<unknown>;
}

/** A node that does nothing but return its ~200-byte output: the step itself is all there is to measure. */
export class NoopNode implements ExecutableNode {
  readonly type = 'noop';
  constructor(readonly id: string) {}

  @LoggedNode()
  async execute(_input: unknown): Promise<unknown> {
    return OUTPUT;
  }
}

/** The same method, undecorated. */
export class PlainNoopNode implements ExecutableNode {
  readonly type = 'noop';
  constructor(readonly id: string) {}

  async execute(_input: unknown): Promise<unknown> {
    return OUTPUT;
  }
}

/** A workflow that runs its nodes one after the other, each with the ~200-byte input. */
export class ChainWorkflow {
  readonly name = 'Bench chain';
  constructor(
    readonly id: string,
    readonly nodes: readonly ExecutableNode[],
  ) {}

  @LoggedWorkflow()
  async run(_trigger: { run: number }): Promise<void> {
    for (const node of this.nodes) await node.execute(INPUT);
  }
}

export function noopChain(id: string, length: number): ChainWorkflow {
  return new ChainWorkflow(
    id,
    Array.from({ length }, (_, i) => new NoopNode(`${id}-node-${i}`)),
  );
}

/** Contained logger failures seen by any bench: a bench that hits one says so rather than report a figure. */
export const loggerErrors: { operation: string; message: string }[] = [];

/**
 * Logger settings for the benches: defaults, except that no project file is read and nothing
 * is recovered at start (the bench databases are fresh), plus what the bench asks for.
 */
export function benchLoggerConfig(overrides: LoggerConfig = {}): LoggerConfig {
  return {
    configFile: false,
    recoverOnStart: false,
    onError: (error, context) => {
      if (loggerErrors.length < 20)
        loggerErrors.push({ operation: context.operation, message: error instanceof Error ? error.message : String(error) });
    },
    ...overrides,
  };
}

export async function startLogger(store: ExecutionStore, overrides: LoggerConfig = {}): Promise<ExecutionLogger> {
  const logger = new ExecutionLogger(store, benchLoggerConfig(overrides));
  await logger.ready;
  return logger;
}

// ── Databases ──────────────────────────────────────────────────────────────────────────────────

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The MariaDB/MySQL server: each bench database is made on it and dropped. */
export const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export type BackendName = 'sqlite3' | 'better-sqlite3' | 'postgres' | 'mysql';

/** A fresh, empty history database on one backend, and how to reach it without the ORM. */
export interface Database {
  backend: BackendName;
  store: ExecutionStore;
  /** SQLite file path, the PostgreSQL schema, or the MySQL database's URL. */
  location: string;
  /** Bytes on disk (SQLite: file + WAL; PostgreSQL: both tables with their indexes and TOAST). */
  sizeBytes(): Promise<number>;
  /** Closes the store and removes the database (file or schema). */
  dispose(): Promise<void>;
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `flowtrail-bench-${label}-`));
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function sqliteFileSize(path: string): number {
  return fileSize(path) + fileSize(`${path}-wal`);
}

/** Loads an optional package, or returns null when it is not installed. */
export function optionalRequire<T>(name: string): T | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return null;
  }
}

/** The installed version of a package (read from its package.json, which `exports` may hide). */
export function packageVersion(name: string): string {
  try {
    let folder = dirname(require.resolve(name));
    for (;;) {
      const manifest = join(folder, 'package.json');
      if (existsSync(manifest)) {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (parsed.name === name) return parsed.version ?? 'unknown';
      }
      const parent = dirname(folder);
      if (parent === folder) return 'unknown';
      folder = parent;
    }
  } catch {
    return 'not installed';
  }
}

let pgChecked: Promise<string | null> | null = null;

/** null when PostgreSQL answers at PG_URL; else why it cannot be used. */
export function postgresUnavailable(): Promise<string | null> {
  pgChecked ??= (async () => {
    const pg = optionalRequire<typeof import('pg')>('pg');
    if (!pg) return 'the pg package is not installed';
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      return `PostgreSQL at ${PG_URL} is unreachable (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgChecked;
}

let mysqlChecked: Promise<string | null> | null = null;

/** null when MariaDB/MySQL answers at MYSQL_URL; else why it cannot be used. */
export function mysqlUnavailable(): Promise<string | null> {
  mysqlChecked ??= (async () => {
    try {
      await mysqlAdmin('SELECT 1');
      return null;
    } catch (error) {
      return `MariaDB/MySQL at ${MYSQL_URL} is unreachable (${error instanceof Error ? error.message : String(error)})`;
    }
  })();
  return mysqlChecked;
}

interface MysqlConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown]>;
  end(): Promise<void>;
}

/** A mysql2 connection to `url` (the server's by default). */
export async function mysqlConnection(url = MYSQL_URL): Promise<MysqlConnection> {
  const mysql = optionalRequire<{ createConnection(options: { uri: string }): Promise<MysqlConnection> }>('mysql2/promise');
  if (!mysql) throw new Error('the mysql2 package is not installed');
  return mysql.createConnection({ uri: url });
}

async function mysqlAdmin(sql: string): Promise<unknown> {
  const connection = await mysqlConnection();
  try {
    const [rows] = await connection.query(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

/** null when better-sqlite3 loads and opens a database; else why not. */
export function betterSqliteUnavailable(): string | null {
  const BetterSqlite = optionalRequire<new (file: string) => { close(): void }>('better-sqlite3');
  if (!BetterSqlite) return 'better-sqlite3 is not installed (npm install --no-save better-sqlite3@12)';
  try {
    new BetterSqlite(':memory:').close();
    return null;
  } catch (error) {
    return `better-sqlite3 does not load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The backends a bench covers, narrowed by BENCH_BACKENDS (comma-separated) when set. */
export function selectedBackends(all: readonly BackendName[]): BackendName[] {
  const chosen = process.env.BENCH_BACKENDS?.split(',').map((name) => name.trim());
  return chosen ? all.filter((backend) => chosen.includes(backend)) : [...all];
}

export async function unavailable(backend: BackendName): Promise<string | null> {
  if (backend === 'postgres') return postgresUnavailable();
  if (backend === 'better-sqlite3') return betterSqliteUnavailable();
  if (backend === 'mysql') return mysqlUnavailable();
  return null;
}

export async function openDatabase(backend: BackendName, label: string): Promise<Database> {
  if (backend === 'postgres') return openPostgres(label);
  if (backend === 'mysql') return openMysql(label);
  const dir = tempDir(label);
  const file = join(dir, 'history.sqlite');
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // The embedded store on the backend's driver: its pragmas, and its writer thread on the same driver.
  const store = await ExecutionStore.open({ database: file, sqliteDriver: backend });
  return {
    backend,
    store,
    location: file,
    sizeBytes: async () => sqliteFileSize(file),
    dispose: async () => {
      await store.close();
      removeDir();
    },
  };
}

async function openPostgres(label: string): Promise<Database> {
  const schema = `bench_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  const store = await ExecutionStore.open({ url: PG_URL, schema });
  return {
    backend: 'postgres',
    store,
    location: schema,
    sizeBytes: async () => {
      const [row] = await store.dataSource.query(
        "SELECT pg_total_relation_size('workflow_executions') + pg_total_relation_size('execution_steps') AS bytes",
      );
      return Number(row.bytes);
    },
    dispose: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

async function openMysql(label: string): Promise<Database> {
  const name = `bench_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  await mysqlAdmin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const store = await ExecutionStore.open({ url: url.href });
  return {
    backend: 'mysql',
    store,
    location: url.href,
    sizeBytes: async () => {
      // The statistics InnoDB keeps are estimates until the tables are analyzed.
      await store.dataSource.query('ANALYZE TABLE workflow_executions, execution_steps');
      const [row] = await store.dataSource.query(
        `SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables
          WHERE table_schema = DATABASE() AND table_name IN ('workflow_executions', 'execution_steps')`,
      );
      return Number(row.bytes);
    },
    dispose: async () => {
      await store.close();
      await mysqlAdmin(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

async function dropSchema(schema: string): Promise<void> {
  const pg = optionalRequire<typeof import('pg')>('pg');
  if (!pg) return;
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function countSteps(store: ExecutionStore): Promise<number> {
  const [row] = await store.dataSource.query('SELECT COUNT(*) AS n FROM execution_steps');
  return Number(row.n);
}

// ── Rows written without the logger ────────────────────────────────────────────────────────────

export const EXECUTION_COLUMNS = [
  'id',
  'workflow_id',
  'workflow_name',
  'trigger_type',
  'trigger_data',
  'status',
  'started_at',
  'completed_at',
  'duration_ms',
  'error_message',
  'error_stack',
  'metadata',
  'parent_execution_id',
  'parent_step_id',
  'instance_id',
] as const;

export const STEP_COLUMNS = [
  'id',
  'execution_id',
  'node_id',
  'node_type',
  'node_name',
  'step_index',
  'started_at',
  'completed_at',
  'duration_ms',
  'status',
  'input_data',
  'output_data',
  'error_message',
  'error_stack',
  'instance_id',
] as const;

/**
 * One finished execution of `steps` steps, shaped like what the logger writes for a ChainWorkflow
 * run: as store rows (for `writeBatch`) and as column-ordered value arrays (for raw INSERTs).
 */
export function finishedExecution(startedAt: number, steps: number, workflowIndex: number, instanceId: string | null = null) {
  const id = uuidv7(startedAt);
  const workflowId = `bench-workflow-${workflowIndex}`;
  const execution: NewExecution & { id: string } = {
    id,
    workflowId,
    workflowName: 'Bench chain',
    triggerType: 'manual',
    triggerData: { run: workflowIndex },
    status: 'success',
    startedAt,
    completedAt: startedAt + steps,
    durationMs: steps,
    instanceId,
  };
  const stepRows: (NewStep & { id: string })[] = [];
  for (let index = 0; index < steps; index++) {
    stepRows.push({
      id: uuidv7(startedAt),
      executionId: id,
      nodeId: `${workflowId}-node-${index}`,
      nodeType: 'noop',
      nodeName: null,
      stepIndex: index,
      startedAt: startedAt + index,
      completedAt: startedAt + index + 1,
      durationMs: 1,
      status: 'success',
      inputData: INPUT,
      outputData: OUTPUT,
      instanceId,
    });
  }
  return { execution, steps: stepRows };
}

/** The value arrays of `finishedExecution`'s rows, in EXECUTION_COLUMNS / STEP_COLUMNS order. */
export function rawValues(rows: ReturnType<typeof finishedExecution>): { execution: unknown[]; steps: unknown[][] } {
  const e = rows.execution;
  return {
    execution: [
      e.id,
      e.workflowId,
      e.workflowName,
      e.triggerType,
      JSON.stringify(e.triggerData),
      e.status,
      e.startedAt,
      e.completedAt,
      e.durationMs,
      null,
      null,
      null,
      null,
      null,
      e.instanceId,
    ],
    steps: rows.steps.map((s) => [
      s.id,
      s.executionId,
      s.nodeId,
      s.nodeType,
      s.nodeName,
      s.stepIndex,
      s.startedAt,
      s.completedAt,
      s.durationMs,
      s.status,
      INPUT_JSON,
      OUTPUT_JSON,
      null,
      null,
      s.instanceId,
    ]),
  };
}

/** `work` timed `repeats` times in a row, in ms; it gets the round's index. */
export async function timeEach(repeats: number, work: (round: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < repeats; round++) {
    const start = process.hrtime.bigint();
    await work(round);
    times.push(elapsedMs(start));
  }
  return times;
}

/** A settled database, as a long-running one is: SQLite's WAL folded into the file, the servers' statistics current. */
export async function settle(backend: BackendName, store: ExecutionStore): Promise<void> {
  if (backend === 'postgres') await store.dataSource.query('ANALYZE');
  else if (backend === 'mysql') await store.dataSource.query('ANALYZE TABLE execution_steps, workflow_executions, execution_tags');
  else await store.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
}
