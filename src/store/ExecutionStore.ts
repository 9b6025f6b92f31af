import { createHash } from 'node:crypto';
import { MigrationExecutor, type DataSource } from 'typeorm';
import { executionHistoryMigrations } from '../migrations';
import type { ExecutionStep, LoggerInstance, WorkflowExecution } from '../entities';
import { isUnstorableRecord, NotFoundError, QueryError } from '../errors';
import { uuidv7 } from '../ids';
import { BatchWrites } from './BatchWrites';
import type { CompareExecutionsOptions, ExecutionComparison } from './compareExecutions';
import { compareStoredExecutions } from './compareStoredExecutions';
import { Database } from './Database';
import { resolveFollowOptions, type FollowEvent, type FollowOptions } from './followOptions';
import { HistoryFollower } from './HistoryFollower';
import { HistoryReader } from './HistoryReader';
import { openDataSource, type OpenedDataSource } from './openDataSource';
import type { HistorySink, InstanceInfo, InstanceRegistry, ReopenOptions } from './ports';
import { recordedOutputs, type RecordedOutput } from './recordedOutputs';
import { Retention } from './Retention';
import { SqlInstanceRegistry } from './SqlInstanceRegistry';
import { readStatsOverTime } from './statsOverTime';
import type {
  Dialect,
  ExecutionPage,
  ExecutionPatch,
  ExecutionStats,
  ExecutionStoreOptions,
  ListExecutionsQuery,
  NewExecution,
  NewStep,
  RecoveryOptions,
  RecoveryResult,
  RetentionOptions,
  StatsOverTime,
  StatsOverTimeQuery,
  StatsQuery,
  StepOutline,
  StepPatch,
  WriteBatch,
} from './types';
import type { StoredDefinition } from './WorkflowShape';

/**
 * Where execution history goes: a TypeORM DataSource on SQLite or PostgreSQL, with the batch
 * write the logger needs and the queries users inspect history with.
 *
 * A facade: the SQL lives behind it, in the writes, the reader, retention and the instance
 * registry, each over one {@link Database} and its dialect.
 */
export class ExecutionStore {
  /** The TypeORM DataSource: query the exported entities through it. */
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  /** The file path or masked URL this store opened, for messages. */
  readonly target: string;
  /** @internal How a second connection (the logger's writer thread) opens this same database; null for a DataSource handed in. */
  readonly reopenOptions: ReopenOptions | null;
  /** @internal What the logger's writer writes through: batches, error classes, where its spool belongs. */
  readonly sink: HistorySink;
  /** @internal Heartbeats, leases and crash recovery, for the logger. */
  readonly instances: InstanceRegistry;
  private readonly db: Database;
  private readonly owned: boolean;
  private readonly writes: BatchWrites;
  private readonly reader: HistoryReader;
  private readonly retention: Retention;
  private readonly registry: SqlInstanceRegistry;

  private constructor(opened: OpenedDataSource) {
    this.dataSource = opened.dataSource;
    this.dialect = opened.dialect.name;
    this.target = opened.target;
    this.reopenOptions = opened.reopen;
    this.owned = opened.owned;
    this.db = new Database(opened.dataSource, opened.dialect);
    // better-sqlite3 runs each statement on the calling thread: a JSON parameter would be both
    // encoded and unpacked there, so bound parameters cost less in all.
    this.writes = new BatchWrites(this.db, opened.dataSource.options.type !== 'better-sqlite3');
    this.reader = new HistoryReader(this.db);
    this.retention = new Retention(this.db);
    this.registry = new SqlInstanceRegistry(this.db);
    // A plain object of bound methods: a port its holder may wrap or spread, as a test injecting a fault does.
    this.instances = {
      heartbeat: (instance, now) => this.registry.heartbeat(instance, now),
      markStopped: (id, now) => this.registry.markStopped(id, now),
      recover: (options) => this.registry.recover(options),
      retire: (instance) => this.registry.retire(instance),
    };
    const identity = opened.dialect.identity(opened.dataSource, opened.target);
    this.sink = {
      // Through the facade's method, so that what wraps it (a test's fault injection) wraps the writer's writes too.
      writeBatch: (batch) => this.writeBatch(batch),
      isDataError: (error) => isUnstorableRecord(error) || opened.dialect.isDataError(error),
      spoolLocation: {
        defaultDir: opened.dialect.defaultSpoolDir(opened.dataSource),
        databaseKey: createHash('sha256').update(identity).digest('hex').slice(0, 32),
      },
      maxTextBytes: opened.dialect.maxTextBytes,
      reopenOptions: opened.reopen,
    };
  }

  /**
   * Opens the history database and brings its schema up to date.
   * - no options: the embedded SQLite file `./.flowtrail/history.sqlite` (or `FLOWTRAIL_DB`)
   * - `{ database }`: another SQLite file · `{ url }`: PostgreSQL · `{ dataSource }`: your own DataSource
   * @throws StoreOpenError naming the path or URL when it cannot be opened.
   * @throws ConfigError naming the option when one is invalid, or FLOWTRAIL_DB when it is a URL but not a postgres:// one.
   */
  static async open(options: ExecutionStoreOptions = {}): Promise<ExecutionStore> {
    return new ExecutionStore(await openDataSource(options));
  }

  /**
   * @internal Batches travel as one JSON parameter (least work on the calling thread) or as bound
   * parameters (least work in all: what the writer thread uses).
   */
  get jsonBatches(): boolean {
    return this.writes.jsonBatches;
  }

  set jsonBatches(value: boolean) {
    this.writes.jsonBatches = value;
  }

  // ── Single-row writes (the original task's API) ──────────────────────────────────────────────

  /** Inserts an execution and returns its id (the given one, or a new UUIDv7). */
  async createExecution(execution: NewExecution): Promise<string> {
    const id = execution.id ?? uuidv7(execution.startedAt);
    await this.writeBatch({ executions: [{ ...execution, id }] });
    return id;
  }

  /** @throws NotFoundError when no execution has this id. */
  async updateExecution(id: string, patch: ExecutionPatch): Promise<void> {
    if ((await this.writes.updateExecution(id, patch)) === 0) throw new NotFoundError('execution', id);
  }

  async addStep(step: NewStep): Promise<string> {
    const id = step.id ?? uuidv7(step.startedAt);
    await this.writeBatch({ steps: [{ ...step, id }] });
    return id;
  }

  /** @throws NotFoundError when no step has this id. */
  async updateStep(id: string, patch: StepPatch): Promise<void> {
    if ((await this.writes.updateStep(id, patch)) === 0) throw new NotFoundError('step', id);
  }

  /**
   * Writes many rows in one transaction: inserts, then updates. Inserting an id that exists is
   * ignored and updating one that does not exist does nothing, so a batch can be replayed safely.
   */
  async writeBatch(batch: WriteBatch): Promise<void> {
    return this.writes.writeBatch(batch);
  }

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Executions newest first, filtered, one page at a time. Keyset pagination on
   * `(started_at, id)`: rows inserted while paging never shift the pages that follow.
   */
  async listExecutions(query: ListExecutionsQuery = {}): Promise<ExecutionPage> {
    return this.reader.listExecutions(query);
  }

  /** One execution, with its steps in `stepIndex` order when asked; null when there is none. */
  async getExecution(id: string, options: { steps?: boolean } = {}): Promise<WorkflowExecution | null> {
    return this.reader.getExecution(id, options);
  }

  /** One step by its id; null when there is none. */
  async getStep(id: string): Promise<ExecutionStep | null> {
    return this.reader.getStep(id);
  }

  /**
   * Steps of one execution in `stepIndex` order without their input, output and error stack
   * (which are not read), with whether each exists: a timeline of a long run reads little.
   */
  async getStepOutlines(executionId: string): Promise<StepOutline[]> {
    return this.reader.getStepOutlines(executionId);
  }

  /** Steps of one execution in `stepIndex` order. */
  async getSteps(executionId: string): Promise<ExecutionStep[]> {
    return this.reader.getSteps(executionId);
  }

  /** The steps of several executions in one query, by execution id, each list in `stepIndex` order. */
  async getStepsOf(executionIds: readonly string[]): Promise<Map<string, ExecutionStep[]>> {
    return this.reader.getStepsOf(executionIds);
  }

  /**
   * Compares run `a` with run `b` node by node: the k-th step of a node in one pairs with its k-th
   * step in the other. Per pair: status and duration on each side, and the JSON paths of input and
   * output added, removed and changed (values capped); steps present in one run only; child
   * executions paired and compared in turn down to `maxDepth`. Runs of different workflows may be
   * compared (`sameWorkflow` is then false). Reads only, in a few queries (see docs/querying.md).
   * @throws NotFoundError when either id names no execution.
   * @throws QueryError when an id is not a string or an option is out of range.
   */
  async compareExecutions(a: string, b: string, options: CompareExecutionsOptions = {}): Promise<ExecutionComparison> {
    return compareStoredExecutions(this.reader, a, b, options);
  }

  /**
   * The history as it is written: an async iterator of events — a new execution, a new step, and
   * the change of one first seen `running` — across every process writing to this database.
   *
   * ```ts
   * for await (const event of store.follow({ workflowId: 'order-sync', signal })) { … }
   * ```
   * It polls (every `pollIntervalMs`) and ends when `signal` aborts, when the loop breaks, or when
   * the store closes, leaving no timer behind. Each row is reported once as new and, if it was
   * running then, once more when it leaves `running`, provided it was committed within
   * `lookBackMs` of its id's time (docs/querying.md#following-the-history says exactly what is
   * guaranteed).
   * @throws QueryError naming the option when one is invalid (at the call, before any read).
   */
  follow(options: FollowOptions = {}): AsyncGenerator<FollowEvent, void, undefined> {
    this.db.assertOpen();
    return new HistoryFollower(this.db, resolveFollowOptions(options, Date.now())).events();
  }

  /**
   * The workflow definition stored under `hash` (an execution's `definitionHash`): the graph that
   * run had, even after the workflow changed. Null when none is stored.
   */
  async getDefinition(hash: string): Promise<StoredDefinition | null> {
    return this.reader.getDefinition(hash);
  }

  /**
   * The recorded outputs of an execution's steps (those of `nodeIds`, else all), each with
   * whether it is the node's whole result: what an engine needs to re-run from a step, reusing
   * what ran before it (docs/rerun.md). `complete` is false for a step that did not succeed, an
   * output not captured, or one where capture lost data (`lost` names the paths: truncated,
   * redacted…). Empty for an execution that does not exist.
   */
  async getRecordedOutputs(executionId: string, nodeIds?: readonly string[]): Promise<RecordedOutput[]> {
    if (nodeIds !== undefined && (!Array.isArray(nodeIds) || nodeIds.some((id) => typeof id !== 'string'))) {
      throw new QueryError('nodeIds', 'not an array of node ids');
    }
    return recordedOutputs(await this.reader.getSteps(executionId), nodeIds);
  }

  /** The distinct workflow ids that have history, sorted. */
  async listWorkflowIds(): Promise<string[]> {
    return this.reader.listWorkflowIds();
  }

  /**
   * Counts by status, success rate over finished runs, and duration figures (nearest-rank
   * percentiles) over runs that finished with success or error.
   */
  async getStats(query: StatsQuery = {}): Promise<ExecutionStats> {
    return this.reader.getStats(query);
  }

  /**
   * The runs of a time range cut into equal buckets, oldest first, empty ones included: counts by
   * status, failure rate and nearest-rank p50/p95 durations per bucket, and the same for the whole
   * range (`totals`; see docs/querying.md).
   * @throws QueryError naming the field: `since` missing, `until` not after it, too many buckets,
   * more runs than `maxRuns` (`since`).
   */
  async getStatsOverTime(query: StatsOverTimeQuery): Promise<StatsOverTime> {
    return readStatsOverTime(this.db, query);
  }

  /** Whether this database holds flowtrail's history tables (false for a database it never wrote). */
  async hasHistoryTables(): Promise<boolean> {
    return this.reader.hasHistoryTables();
  }

  /**
   * Applies flowtrail's pending migrations (what `open()` does unless told not to).
   * @returns the names of the migrations applied.
   */
  async runMigrations(): Promise<string[]> {
    this.db.assertOpen();
    const applied = await this.dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  }

  /** The names of flowtrail's migrations this database has not had yet. Reads only. */
  async pendingMigrations(): Promise<string[]> {
    this.db.assertOpen();
    const ours = new Set<unknown>(executionHistoryMigrations);
    const pending = await new MigrationExecutor(this.dataSource).getPendingMigrations();
    return pending.filter((migration) => ours.has(migration.instance?.constructor)).map((migration) => migration.name);
  }

  // ── Retention ────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes executions (with their steps) that started more than `maxAgeMs` ago and are not
   * running, a few at a time so concurrent writers wait only briefly. On SQLite, then returns
   * freed pages to the file system and truncates the WAL.
   * @returns how many executions were removed.
   */
  async cleanupOldExecutions(maxAgeMs: number, options: RetentionOptions = {}): Promise<number> {
    return this.retention.remove({ maxAgeMs, status: options.status });
  }

  /**
   * Keeps the newest `keepPerWorkflow` finished executions of each workflow and deletes the rest.
   * @returns how many executions were removed.
   */
  async cleanupExcessExecutions(keepPerWorkflow: number, options: RetentionOptions = {}): Promise<number> {
    return this.retention.remove({ keepPerWorkflow, status: options.status });
  }

  /** How many executions `cleanupOldExecutions(maxAgeMs)` would remove now. */
  async countOldExecutions(maxAgeMs: number, options: RetentionOptions = {}): Promise<number> {
    return this.retention.count({ maxAgeMs, status: options.status });
  }

  /** How many executions `cleanupExcessExecutions(keepPerWorkflow)` would remove now. */
  async countExcessExecutions(keepPerWorkflow: number, options: RetentionOptions = {}): Promise<number> {
    return this.retention.count({ keepPerWorkflow, status: options.status });
  }

  // ── Crash recovery and instances ─────────────────────────────────────────────────────────────

  /**
   * Marks as `interrupted` the executions and steps still `running` whose owner is gone: its
   * heartbeat is older than the lease, it stopped, or it is unknown and the row itself is older
   * than the lease. Finished rows are never overwritten, and two processes recovering at once do no harm.
   */
  async recoverInterrupted(options: RecoveryOptions = {}): Promise<RecoveryResult> {
    return this.registry.recover(options);
  }

  /** Records a logger instance, or refreshes its heartbeat. */
  async heartbeat(instance: InstanceInfo, now = Date.now()): Promise<void> {
    return this.registry.heartbeat(instance, now);
  }

  async markInstanceStopped(id: string, now = Date.now()): Promise<void> {
    return this.registry.markStopped(id, now);
  }

  /** The instances table, newest heartbeat first. */
  async listInstances(): Promise<LoggerInstance[]> {
    return this.reader.listInstances();
  }

  // ── Lifecycle ────────────────────────────────────────────────────────────────────────────────

  get isClosed(): boolean {
    return this.db.isClosed;
  }

  /** Closes the DataSource if the store opened it, once queued transactions are done. Safe to call twice. */
  async close(): Promise<void> {
    return this.db.close(this.owned);
  }
}
