import type { DataSource } from 'typeorm';
import type { ExecutionStatus, ExecutionStep, StepStatus, WorkflowExecution } from '../entities';
import type { DataPredicate } from './dataPredicate';
import type { definitionColumns, executionColumns, NewRow, Patch, stepColumns } from './schema';
import type { SqliteDriverName } from './sqliteDriver';

export type { SqliteDriverName } from './sqliteDriver';

/** The embedded default: one SQLite file, created with its folder. */
export interface SqliteStoreOptions {
  /** Path of the SQLite file. @default './.flowtrail/history.sqlite' (or FLOWTRAIL_DB) */
  database?: string;
  /** How long a write waits for another process's lock before failing. @default 5000 */
  busyTimeoutMs?: number;
  /** Run the shipped migrations on open. @default true (false when `readOnly`) */
  runMigrations?: boolean;
  /**
   * Open for reading only: the file is opened read-only, nothing is created, migrated or switched
   * (no WAL, no pragma that writes); writes fail. What the CLI's read commands use. @default false
   */
  readOnly?: boolean;
  /**
   * The SQLite driver: `sqlite3` (TypeORM 0.3 only) or `better-sqlite3` (TypeORM 0.3 and 1.x),
   * each installed by you or by flowtrail's optional dependency. Left out, FLOWTRAIL_SQLITE_DRIVER
   * names it; else `sqlite3` when it loads and TypeORM has its driver, else `better-sqlite3`.
   * @default automatic
   */
  sqliteDriver?: SqliteDriverName;
}

/** A server database shared by many processes or machines: PostgreSQL, or MySQL/MariaDB. */
export interface ServerStoreOptions {
  /** `postgres://user:password@host:port/database`, or `mysql://…` / `mariadb://…` (the database must exist). */
  url: string;
  /** PostgreSQL only: schema to keep the tables in; created if missing. @default 'public' */
  schema?: string;
  /** Give up connecting after this long, with a StoreOpenError. @default 10000 */
  connectTimeoutMs?: number;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** @default true (false when `readOnly`) */
  runMigrations?: boolean;
  /** Open for reading only: every transaction is read-only, no schema is created or migrated. @default false */
  readOnly?: boolean;
}

/** The application's own TypeORM DataSource, listing `executionHistoryEntities` and `executionHistoryMigrations`. */
export interface DataSourceStoreOptions {
  dataSource: DataSource;
  /** Run the DataSource's pending migrations on open. @default true */
  runMigrations?: boolean;
}

/** The options of a server database; the name from when PostgreSQL was the only one. */
export type PostgresStoreOptions = ServerStoreOptions;

export type ExecutionStoreOptions = SqliteStoreOptions | ServerStoreOptions | DataSourceStoreOptions;

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/** A new `workflow_executions` row. `id` is made by the caller (UUIDv7) when given; else by the store. */
export type NewExecution = NewRow<typeof executionColumns>;

/** What a completion may change on an execution; keys left undefined are unchanged. */
export type ExecutionPatch = Patch<typeof executionColumns>;

/** A new `execution_steps` row. */
export type NewStep = NewRow<typeof stepColumns>;

export type StepPatch = Patch<typeof stepColumns>;

/** A new `workflow_definitions` row: a workflow's shape under its content hash. */
export type NewDefinition = Omit<NewRow<typeof definitionColumns>, 'id'>;

/**
 * Rows to write in one transaction. Applied in this order, so a batch may insert an execution,
 * its steps, and update rows inserted earlier. Inserts of an id already present are ignored,
 * which makes replaying a batch harmless.
 */
export interface WriteBatch {
  /** Inserted first; a hash already stored is left as it is. */
  definitions?: readonly NewDefinition[];
  executions?: readonly (NewExecution & { id: string })[];
  steps?: readonly (NewStep & { id: string })[];
  executionUpdates?: readonly { id: string; patch: ExecutionPatch }[];
  stepUpdates?: readonly { id: string; patch: StepPatch }[];
}

export interface ListExecutionsQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  triggerType?: string;
  /** Inclusive lower bound on `startedAt`, epoch ms. */
  startedAfter?: number;
  /** Exclusive upper bound on `startedAt`, epoch ms. */
  startedBefore?: number;
  parentExecutionId?: string;
  /** Only executions started in this OpenTelemetry trace (32 lowercase hex digits); see docs/opentelemetry.md. */
  traceId?: string;
  /** Only the re-runs of this execution (`runner.rerun()`), newest first. */
  forkedFromExecutionId?: string;
  // Replays carry `replayOfStepId`, but no filter lists them yet (that column has no index).
  /** Only executions carrying every one of these tags (key → exact value). */
  tags?: Record<string, string>;
  /**
   * Only executions with a step whose captured input or output passes every predicate (all on the
   * same step, together with `node`, `nodeType` and `stepStatus`). See docs/querying.md.
   */
  where?: DataPredicate[];
  /** Only executions with a step of this node id (with the other step conditions, on that step). */
  node?: string;
  /** Only executions with a step of this node type. */
  nodeType?: string;
  /** Only executions with a step that ended so (or is running). */
  stepStatus?: StepStatus;
  /** Page size, 1 to 1000. @default 50 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** A page of `listExecutions`. */
export interface ExecutionPage extends Page<WorkflowExecution> {
  /**
   * Given step conditions (`where`, `node`, `nodeType`, `stepStatus`): by execution id, the
   * listed executions' steps that meet them, in `stepIndex` order.
   */
  matchingSteps?: Record<string, ExecutionStep[]>;
}

/**
 * A step without its payloads (`getStepOutlines`): every other column, and whether it has an
 * input, an output and an error stack, which `getStep(id)` reads.
 */
export type StepOutline = Omit<ExecutionStep, 'inputData' | 'outputData' | 'errorStack' | 'execution'> & {
  hasInput: boolean;
  hasOutput: boolean;
  hasErrorStack: boolean;
};

export interface StatsQuery {
  workflowId?: string;
  /** Only runs started at or after this epoch ms. */
  since?: number;
  /** Only runs started before this epoch ms. */
  until?: number;
}

export interface ExecutionStats {
  total: number;
  success: number;
  error: number;
  running: number;
  interrupted: number;
  /** success / (success + error + interrupted); null when no run has finished. */
  successRate: number | null;
  /** Duration figures over runs that finished with success or error; null when there are none. */
  minDurationMs: number | null;
  avgDurationMs: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  maxDurationMs: number | null;
}

/** `getStatsOverTime`: one workflow's (or every workflow's) runs in a time range, cut into equal buckets. */
export interface StatsOverTimeQuery {
  workflowId?: string;
  /** Start of the range (inclusive), epoch ms: required, so that a chart never reads all history by accident. */
  since: number;
  /** End of the range (exclusive), epoch ms. @default now */
  until?: number;
  /**
   * Width of each bucket in ms, a whole number; at most {@link MAX_STATS_BUCKETS} buckets may result.
   * @default the smallest of 1 s, 10 s, 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day, 7 days giving at most 60 buckets (the range's part of a second left out of the choice)
   */
  bucketMs?: number;
  /**
   * Refuse (a QueryError naming `since`) a range holding more runs than this, counted first over
   * the `started_at` index: the cost of the statements is the runs they read. @default no bound
   */
  maxRuns?: number;
}

/** The runs started in `[start, end)`. Counts, rates and percentiles mean what they mean in `ExecutionStats`. */
export interface StatsBucket {
  start: number;
  end: number;
  total: number;
  success: number;
  error: number;
  interrupted: number;
  running: number;
  /** error / (success + error + interrupted); null when no run in the bucket has finished. */
  failureRate: number | null;
  /** Nearest-rank percentiles over the bucket's runs that finished with success or error; null when none did. */
  p50DurationMs: number | null;
  p95DurationMs: number | null;
}

/** The whole range's figures: the buckets' counts summed, and percentiles over all the range's timed runs. */
export type StatsTotals = Omit<StatsBucket, 'start' | 'end'>;

export interface StatsOverTime {
  since: number;
  until: number;
  bucketMs: number;
  totals: StatsTotals;
  /**
   * Every bucket from `since` to `until`, oldest first, empty ones included (zeros and nulls), so
   * that a chart's axis is continuous. Bucket i starts at `since + i × bucketMs`; the last ends at `until`.
   */
  buckets: StatsBucket[];
}

/** Narrows a retention rule (`cleanupOldExecutions`, `cleanupExcessExecutions` and their counts). */
export interface RetentionOptions {
  /** Only executions that ended so; the newest `keepPerWorkflow` are counted among them. Running ones are never removed. */
  status?: 'success' | 'error' | 'interrupted';
}

export interface RecoveryOptions {
  /** Rows of an instance whose heartbeat is older than this are orphans. @default 30000 */
  leaseMs?: number;
  /** The calling instance: its own rows are never touched. */
  selfInstanceId?: string;
  now?: number;
}

export interface RecoveryResult {
  executions: number;
  steps: number;
}
