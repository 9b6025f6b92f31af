import type { DataSource, QueryRunner, Repository } from 'typeorm';
import { ExecutionStep, LoggerInstance, WorkflowExecution } from '../entities';
import { NotFoundError, QueryError, StoreClosedError } from '../errors';
import { uuidv7 } from '../ids';
import { decodeCursor, encodeCursor } from './cursor';
import { openDataSource, type OpenedDataSource } from './openDataSource';
import { encodeJsonRows, JSON_CASTS } from './jsonBatch';
import { executionColumns, executionPatchSql, stepColumns, stepPatchSql, type PatchSql } from './rows';
import { SerialQueue } from './SerialQueue';
import { SqlParams } from './SqlParams';
import type { SqlDialect } from './dialects';
import type { HistorySink, InstanceInfo, InstanceRegistry, SpoolLocation } from './ports';
import { createHash } from 'node:crypto';
import type {
  Dialect,
  ExecutionPatch,
  ExecutionStats,
  ExecutionStoreOptions,
  ListExecutionsQuery,
  NewExecution,
  NewStep,
  Page,
  PostgresStoreOptions,
  RecoveryOptions,
  RecoveryResult,
  SqliteStoreOptions,
  StatsQuery,
  StepPatch,
  WriteBatch,
} from './types';

/** Bound on parameters per statement: under SQLite's 32 766 and PostgreSQL's 65 535. */
const MAX_PARAMS_PER_STATEMENT = 30_000;
/** Rows per multi-row INSERT; larger statements stop paying for themselves. */
const MAX_ROWS_PER_INSERT = 500;
/** Rows per JSON-parameter statement: bounds the one string a statement binds. */
const MAX_ROWS_PER_JSON = 1000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
/**
 * Executions deleted per retention transaction, at first. Each takes its steps (often 20 each)
 * and their index entries with it, and concurrent logging waits for the transaction: 200 made
 * SQLite transactions of up to 150 ms (bench/retention.ts). The chunk then adapts, so that a
 * transaction takes about RETENTION_TRANSACTION_MS whatever the disk, the cache and the row sizes.
 */
const RETENTION_CHUNK = 50;
const RETENTION_CHUNK_LIMITS = { min: 1, max: 1000 };
const RETENTION_TRANSACTION_MS = 20;
/** Pages handed back per incremental_vacuum call: 2000 held the write lock for up to 139 ms. */
const VACUUM_PAGES = 500;
const FINISHED = "('success', 'error')";

export type Execute = (sql: string, params?: unknown[]) => Promise<{ rows: any[]; affected: number }>;

/**
 * Where execution history goes: a TypeORM DataSource on SQLite or PostgreSQL, with the batch
 * write the logger needs and the queries users inspect history with.
 */
export class ExecutionStore {
  /** The TypeORM DataSource: query the exported entities through it. */
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  /** The file path or masked URL this store opened, for messages. */
  readonly target: string;
  /** @internal How a second connection (the logger's writer thread) opens this same database; null for a DataSource handed in. */
  readonly reopenOptions: SqliteStoreOptions | PostgresStoreOptions | null;
  /**
   * @internal Batches travel as one JSON parameter (the default: least work on the calling
   * thread, since the database unpacks it elsewhere), or as bound parameters (least work in all:
   * what the writer thread uses, where the calling thread is not the workflows').
   */
  jsonBatches: boolean;
  private readonly owned: boolean;
  /** Everything that differs between databases. */
  private readonly sql: SqlDialect;
  private readonly transactions = new SerialQueue();
  private readonly executions: Repository<WorkflowExecution>;
  private readonly steps: Repository<ExecutionStep>;
  private closed = false;
  private readonly sqlCache = new Map<string, string>();
  /** @internal What the logger's writer writes through: batches, error classes, where its spool belongs. */
  readonly sink: HistorySink;
  /** @internal Heartbeats, leases and crash recovery, for the logger. */
  readonly instances: InstanceRegistry;

  private constructor(opened: OpenedDataSource) {
    this.reopenOptions = opened.reopen;
    this.dataSource = opened.dataSource;
    this.sql = opened.dialect;
    this.dialect = opened.dialect.name;
    this.owned = opened.owned;
    this.target = opened.target;
    // better-sqlite3 runs each statement on the calling thread: the JSON would be both encoded and
    // unpacked there. Bound parameters write twice as fast on it (bench throughput: 28 000 against
    // 54 000 steps/s).
    this.jsonBatches = this.dataSource.options.type !== 'better-sqlite3';
    this.executions = this.dataSource.getRepository(WorkflowExecution);
    this.steps = this.dataSource.getRepository(ExecutionStep);
    const spoolLocation: SpoolLocation = {
      defaultDir: this.sql.defaultSpoolDir(this.dataSource),
      databaseKey: createHash('sha256').update(this.sql.identity(this.dataSource, this.target)).digest('hex').slice(0, 32),
    };
    this.sink = {
      writeBatch: (batch) => this.writeBatch(batch),
      isDataError: (error) => this.sql.isDataError(error),
      spoolLocation,
      reopenOptions: this.reopenOptions,
    };
    this.instances = {
      heartbeat: (instance, now) => this.heartbeat(instance, now),
      markStopped: (id, now) => this.markInstanceStopped(id, now),
      recover: (options) => this.recoverInterrupted(options),
      retire: (instance) => this.retireInstance(instance),
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

  // ── Single-row writes (the original task's API) ──────────────────────────────────────────────

  /** Inserts an execution and returns its id (the given one, or a new UUIDv7). */
  async createExecution(execution: NewExecution): Promise<string> {
    const id = execution.id ?? uuidv7(execution.startedAt);
    await this.writeBatch({ executions: [{ ...execution, id }] });
    return id;
  }

  /** @throws NotFoundError when no execution has this id. */
  async updateExecution(id: string, patch: ExecutionPatch): Promise<void> {
    const affected = await this.transaction((execute) => this.applyUpdate(execute, 'workflow_executions', id, executionPatchSql(patch)));
    if (affected === 0) throw new NotFoundError('execution', id);
  }

  async addStep(step: NewStep): Promise<string> {
    const id = step.id ?? uuidv7(step.startedAt);
    await this.writeBatch({ steps: [{ ...step, id }] });
    return id;
  }

  /** @throws NotFoundError when no step has this id. */
  async updateStep(id: string, patch: StepPatch): Promise<void> {
    const affected = await this.transaction((execute) => this.applyUpdate(execute, 'execution_steps', id, stepPatchSql(patch)));
    if (affected === 0) throw new NotFoundError('step', id);
  }

  /**
   * Writes many rows in one transaction: inserts, then updates. Inserting an id that exists is
   * ignored and updating one that does not exist does nothing, so a batch can be replayed safely.
   */
  async writeBatch(batch: WriteBatch): Promise<void> {
    await this.transaction(async (execute) => {
      if (batch.executions?.length) await this.insertRows(execute, 'workflow_executions', executionColumns, batch.executions);
      if (batch.steps?.length) await this.insertRows(execute, 'execution_steps', stepColumns, batch.steps);
      if (batch.executionUpdates?.length) await this.updateRows(execute, 'workflow_executions', batch.executionUpdates, executionPatchSql);
      if (batch.stepUpdates?.length) await this.updateRows(execute, 'execution_steps', batch.stepUpdates, stepPatchSql);
    });
  }

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Executions newest first, filtered, one page at a time. Keyset pagination on
   * `(started_at, id)`: rows inserted while paging never shift the pages that follow.
   */
  async listExecutions(query: ListExecutionsQuery = {}): Promise<Page<WorkflowExecution>> {
    this.assertOpen();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new QueryError('limit', `${String(limit)} is not an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const qb = this.executions.createQueryBuilder('e');
    if (query.workflowId !== undefined) qb.andWhere('e.workflow_id = :workflowId', { workflowId: this.bind(query.workflowId) });
    if (query.status !== undefined) qb.andWhere('e.status = :status', { status: this.bind(query.status) });
    if (query.triggerType !== undefined) qb.andWhere('e.trigger_type = :triggerType', { triggerType: this.bind(query.triggerType) });
    if (query.parentExecutionId !== undefined) {
      qb.andWhere('e.parent_execution_id = :parentExecutionId', { parentExecutionId: this.bind(query.parentExecutionId) });
    }
    if (query.startedAfter !== undefined) qb.andWhere('e.started_at >= :startedAfter', { startedAfter: query.startedAfter });
    if (query.startedBefore !== undefined) qb.andWhere('e.started_at < :startedBefore', { startedBefore: query.startedBefore });
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      qb.andWhere('(e.started_at, e.id) < (:cursorAt, :cursorId)', { cursorAt: after.startedAt, cursorId: this.bind(after.id) });
    }
    const rows = await qb
      .orderBy('e.started_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /** One execution, with its steps in `stepIndex` order when asked; null when there is none. */
  async getExecution(id: string, options: { steps?: boolean } = {}): Promise<WorkflowExecution | null> {
    this.assertOpen();
    const execution = await this.executions.findOne({ where: { id: this.bind(id) } });
    if (execution && options.steps) execution.steps = await this.getSteps(id);
    return execution;
  }

  /** Steps of one execution in `stepIndex` order. */
  getSteps(executionId: string): Promise<ExecutionStep[]> {
    this.assertOpen();
    return this.steps.find({ where: { executionId: this.bind(executionId) }, order: { stepIndex: 'ASC' } });
  }

  /** The distinct workflow ids that have history, sorted. */
  async listWorkflowIds(): Promise<string[]> {
    this.assertOpen();
    const rows: { workflow_id: string }[] = await this.dataSource.query(
      'SELECT DISTINCT workflow_id FROM workflow_executions ORDER BY workflow_id',
    );
    return rows.map((row) => row.workflow_id);
  }

  /**
   * Counts by status, success rate over finished runs, and duration figures (nearest-rank
   * percentiles) over runs that finished with success or error.
   */
  async getStats(query: StatsQuery = {}): Promise<ExecutionStats> {
    this.assertOpen();
    const params = new SqlParams(this.sql);
    const where: string[] = [];
    if (query.workflowId !== undefined) where.push(`workflow_id = ${params.add(query.workflowId)}`);
    if (query.since !== undefined) where.push(`started_at >= ${params.add(query.since)}`);
    if (query.until !== undefined) where.push(`started_at < ${params.add(query.until)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [row] = await this.dataSource.query(
      `SELECT COUNT(*) AS total,
        SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS success,
        SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error,
        SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
        SUM(CASE WHEN status = 'interrupted' THEN 1 ELSE 0 END) AS interrupted,
        COUNT(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS timed,
        MIN(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS min_ms,
        AVG(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS avg_ms,
        MAX(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS max_ms
      FROM workflow_executions ${filter}`,
      params.values,
    );
    const count = (value: unknown) => Number(value ?? 0);
    const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
    const success = count(row.success);
    const error = count(row.error);
    const interrupted = count(row.interrupted);
    const finished = success + error + interrupted;
    const timed = count(row.timed);
    const percentile = async (p: number): Promise<number | null> => {
      if (timed === 0) return null;
      const offset = Math.max(0, Math.ceil(p * timed) - 1);
      const durationFilter = `${filter ? `${filter} AND` : 'WHERE'} status IN ${FINISHED} AND duration_ms IS NOT NULL`;
      const [ranked] = await this.dataSource.query(
        `SELECT duration_ms FROM workflow_executions ${durationFilter} ORDER BY duration_ms LIMIT 1 OFFSET ${offset}`,
        params.values,
      );
      return orNull(ranked?.duration_ms);
    };
    return {
      total: count(row.total),
      success,
      error,
      running: count(row.running),
      interrupted,
      successRate: finished === 0 ? null : success / finished,
      minDurationMs: orNull(row.min_ms),
      avgDurationMs: orNull(row.avg_ms),
      p50DurationMs: await percentile(0.5),
      p95DurationMs: await percentile(0.95),
      maxDurationMs: orNull(row.max_ms),
    };
  }

  // ── Retention ────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes executions (with their steps) that started more than `maxAgeMs` ago and are not
   * running, a few hundred per transaction so concurrent writers wait only briefly.
   * On SQLite, then returns freed pages to the file system and truncates the WAL.
   * @returns how many executions were removed.
   */
  async cleanupOldExecutions(maxAgeMs: number): Promise<number> {
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new QueryError('maxAgeMs', `${maxAgeMs} is not a duration in ms`);
    const cutoff = Date.now() - maxAgeMs;
    const removed = await this.deleteInChunks((params) => `started_at < ${params.add(cutoff)}`);
    // Instances silent for as long are long dead; rows they left running stay recoverable as unowned.
    await this.transaction(async (execute) => {
      const params = new SqlParams(this.sql);
      await execute(`DELETE FROM flowtrail_instances WHERE heartbeat_at < ${params.add(cutoff)}`, params.values);
    });
    return removed;
  }

  /**
   * Keeps the newest `keepPerWorkflow` finished executions of each workflow and deletes the rest.
   * @returns how many executions were removed.
   */
  async cleanupExcessExecutions(keepPerWorkflow: number): Promise<number> {
    if (!Number.isInteger(keepPerWorkflow) || keepPerWorkflow < 0) {
      throw new QueryError('keepPerWorkflow', `${keepPerWorkflow} is not a non-negative integer`);
    }
    let removed = 0;
    for (const workflowId of await this.listWorkflowIds()) {
      const params = new SqlParams(this.sql);
      const [boundary] = await this.dataSource.query(
        `SELECT started_at, id FROM workflow_executions WHERE workflow_id = ${params.add(workflowId)} AND status <> 'running'
         ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ${keepPerWorkflow}`,
        params.values,
      );
      if (!boundary) continue;
      removed += await this.deleteInChunks(
        (chunkParams) =>
          `workflow_id = ${chunkParams.add(workflowId)} AND (started_at, id) <= (${chunkParams.add(Number(boundary.started_at))}, ${chunkParams.add(boundary.id)})`,
        false,
      );
    }
    await this.reclaimSpace();
    return removed;
  }

  private async deleteInChunks(condition: (params: SqlParams) => string, reclaim = true): Promise<number> {
    this.assertOpen();
    let removed = 0;
    let chunk = RETENTION_CHUNK;
    for (;;) {
      const limit = chunk;
      let started = 0;
      const deleted = await this.transaction(async (execute) => {
        // Timed from inside: waiting for the logger's batches is not this chunk's cost.
        started = Date.now();
        const params = new SqlParams(this.sql);
        const { rows } = await execute(
          `SELECT id FROM workflow_executions WHERE ${condition(params)} AND status <> 'running' LIMIT ${limit}`,
          params.values,
        );
        if (rows.length === 0) return 0;
        const ids = rows.map((row: { id: string }) => row.id);
        const stepParams = new SqlParams(this.sql);
        await execute(`DELETE FROM execution_steps WHERE execution_id IN (${stepParams.list(ids)})`, stepParams.values);
        const executionParams = new SqlParams(this.sql);
        await execute(`DELETE FROM workflow_executions WHERE id IN (${executionParams.list(ids)})`, executionParams.values);
        return ids.length;
      });
      removed += deleted;
      if (deleted < limit) break;
      chunk = nextRetentionChunk(chunk, Date.now() - started);
      // Let queued logger batches in between chunks: they queue on the same transaction lane.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (reclaim && removed > 0) await this.reclaimSpace();
    return removed;
  }

  /** SQLite only: hand freed pages back in small steps, then checkpoint so the WAL file shrinks. */
  private async reclaimSpace(): Promise<void> {
    if (this.dialect !== 'sqlite') return;
    for (;;) {
      const [row] = await this.dataSource.query('PRAGMA freelist_count');
      if (!row || Number(row.freelist_count) === 0) break;
      await this.transactions.run(() => this.dataSource.query(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`));
      const [after] = await this.dataSource.query('PRAGMA freelist_count');
      // auto_vacuum is off on files created by someone else: the freelist never shrinks then.
      if (!after || Number(after.freelist_count) >= Number(row.freelist_count)) break;
    }
    await this.transactions.run(() => this.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)'));
  }

  // ── Crash recovery and instances ─────────────────────────────────────────────────────────────

  /**
   * Marks as `interrupted` the executions and steps still `running` whose owner is gone: its
   * heartbeat is older than the lease, it stopped, or it is unknown and the row itself is older
   * than the lease. Guarded on `status = 'running'`, so finished rows are never overwritten and
   * two processes recovering at once do no harm.
   */
  async recoverInterrupted(options: RecoveryOptions = {}): Promise<RecoveryResult> {
    this.assertOpen();
    const now = options.now ?? Date.now();
    const staleBefore = now - (options.leaseMs ?? 30_000);
    const recover = async (execute: Execute, table: string, message: string): Promise<number> => {
      const params = new SqlParams(this.sql);
      const sql = `UPDATE ${table} SET status = 'interrupted', completed_at = ${params.add(now)},
          duration_ms = ${params.add(now)} - started_at, error_message = ${params.add(message)}
        WHERE status = 'running' AND (
          (instance_id IS NULL AND started_at < ${params.add(staleBefore)})
          OR instance_id IN (SELECT id FROM flowtrail_instances WHERE heartbeat_at < ${params.add(staleBefore)} OR stopped_at IS NOT NULL)
          OR (instance_id NOT IN (SELECT id FROM flowtrail_instances) AND started_at < ${params.add(staleBefore)})
        )${options.selfInstanceId ? ` AND (instance_id IS NULL OR instance_id <> ${params.add(options.selfInstanceId)})` : ''}`;
      return (await execute(sql, params.values)).affected;
    };
    return this.transaction(async (execute) => ({
      steps: await recover(execute, 'execution_steps', 'Interrupted: the process recording this step stopped before it finished'),
      executions: await recover(
        execute,
        'workflow_executions',
        'Interrupted: the process running this workflow stopped before it finished',
      ),
    }));
  }

  /** Records a logger instance, or refreshes its heartbeat. */
  async heartbeat(instance: { id: string; hostname: string; pid: number; startedAt: number }, now = Date.now()): Promise<void> {
    await this.transaction(async (execute) => {
      const update = new SqlParams(this.sql);
      const { affected } = await execute(
        `UPDATE flowtrail_instances SET heartbeat_at = ${update.add(now)}, stopped_at = NULL WHERE id = ${update.add(instance.id)}`,
        update.values,
      );
      if (affected > 0) return;
      const insert = new SqlParams(this.sql);
      await execute(
        `INSERT INTO flowtrail_instances (id, hostname, pid, started_at, heartbeat_at) VALUES (${insert.list([
          instance.id,
          instance.hostname,
          instance.pid,
          instance.startedAt,
          now,
        ])})`,
        insert.values,
      );
    });
  }

  async markInstanceStopped(id: string, now = Date.now()): Promise<void> {
    await this.transaction(async (execute) => {
      const params = new SqlParams(this.sql);
      await execute(`UPDATE flowtrail_instances SET stopped_at = ${params.add(now)} WHERE id = ${params.add(id)}`, params.values);
    });
  }

  /** A dead instance: recorded as last seen when it started if it never reached the database, and marked stopped. */
  private async retireInstance(instance: InstanceInfo): Promise<void> {
    await this.transaction(async (execute) => {
      const insert = new SqlParams(this.sql);
      await execute(
        `INSERT INTO flowtrail_instances (id, hostname, pid, started_at, heartbeat_at) VALUES (${insert.list([
          instance.id,
          instance.hostname,
          instance.pid,
          instance.startedAt,
          instance.startedAt,
        ])}) ON CONFLICT (id) DO NOTHING`,
        insert.values,
      );
    });
    await this.markInstanceStopped(instance.id);
  }

  /** The instances table, newest heartbeat first. */
  listInstances(): Promise<LoggerInstance[]> {
    this.assertOpen();
    return this.dataSource.getRepository(LoggerInstance).find({ order: { heartbeatAt: 'DESC' } });
  }

  // ── Lifecycle ────────────────────────────────────────────────────────────────────────────────

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the DataSource if the store opened it. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Wait for transactions already queued, so close() never cuts a batch in half.
    await this.transactions.run(async () => undefined);
    if (this.owned && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  // ── Internals ────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs `work` in one transaction. On SQLite all transactions are serialized (one shared
   * connection) and begin IMMEDIATE, so a second process makes us wait for its lock (busy
   * timeout) instead of failing on a read-to-write upgrade.
   */
  private transaction<T>(work: (execute: Execute) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.sql.serialTransactions) return this.transactions.run(() => this.runTransaction(work, this.sql.beginSql));
    return this.runTransaction(work, this.sql.beginSql);
  }

  private async runTransaction<T>(work: (execute: Execute) => Promise<T>, begin: string): Promise<T> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    const execute: Execute = async (sql, params) => {
      const result = await runner.query(sql, params, true);
      return { rows: Array.isArray(result.records) ? result.records : [], affected: result.affected ?? 0 };
    };
    try {
      await runner.query(begin);
      try {
        const value = await work(execute);
        await runner.query('COMMIT');
        return value;
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  private async insertRows<T>(
    execute: Execute,
    table: string,
    columns: readonly (readonly [string, (row: T) => unknown])[],
    rows: readonly T[],
  ): Promise<void> {
    const names = columns.map(([column]) => column);
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_JSON) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_JSON);
      const json = this.jsonBatches ? encodeJsonRows(chunk.map((row) => columns.map(([, read]) => read(row)))) : null;
      if (json === null) await this.insertBound(execute, table, columns, chunk);
      else
        await execute(
          this.cachedSql(`insert:${table}`, () => this.sql.jsonInsertSql(table, names, JSON_CASTS)),
          [json],
        );
    }
  }

  /** The multi-row INSERT with one bound parameter per value, for what the JSON path cannot carry. */
  private async insertBound<T>(
    execute: Execute,
    table: string,
    columns: readonly (readonly [string, (row: T) => unknown])[],
    rows: readonly T[],
  ): Promise<void> {
    const rowsPerStatement = Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length));
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      const values: unknown[] = [];
      for (const row of chunk) for (const [, read] of columns) values.push(this.sql.bindable(read(row)));
      await execute(this.insertSql(table, columns, chunk.length), values);
    }
  }

  private insertSql(table: string, columns: readonly (readonly [string, unknown])[], rowCount: number): string {
    return this.cachedSql(`insert:${table}:${rowCount}`, () => {
      const params = new SqlParams(this.sql);
      const tuples: string[] = [];
      for (let row = 0; row < rowCount; row++) tuples.push(`(${params.list(new Array(columns.length).fill(null))})`);
      return `INSERT INTO ${table} (${columns.map(([column]) => column).join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`;
    });
  }

  /**
   * Applies patches set-wise: patches that set the same columns (a step's success, its failure…)
   * share one UPDATE … FROM statement, instead of one round trip per late completion.
   */
  private async updateRows<P>(
    execute: Execute,
    table: string,
    updates: readonly { id: string; patch: P }[],
    toSql: (patch: P) => PatchSql,
  ): Promise<void> {
    const groups = new Map<string, { columns: string[]; rows: unknown[][] }>();
    for (const { id, patch } of updates) {
      const { columns, values } = toSql(patch);
      if (columns.length === 0) continue;
      const shape = columns.join(', ');
      let group = groups.get(shape);
      if (group === undefined) groups.set(shape, (group = { columns, rows: [] }));
      group.rows.push([id, ...values]);
    }
    for (const [shape, { columns, rows }] of groups) {
      for (let start = 0; start < rows.length; start += MAX_ROWS_PER_JSON) {
        const chunk = rows.slice(start, start + MAX_ROWS_PER_JSON);
        const json = this.jsonBatches ? encodeJsonRows(chunk) : null;
        if (json === null) {
          for (const [id, ...values] of chunk) await this.applyUpdate(execute, table, String(id), { columns, values });
        } else {
          await execute(
            this.cachedSql(`update:${table}:${shape}`, () => this.sql.jsonUpdateSql(table, columns, JSON_CASTS)),
            [json],
          );
        }
      }
    }
  }

  private cachedSql(key: string, build: () => string): string {
    let sql = this.sqlCache.get(key);
    if (sql === undefined) {
      sql = build();
      this.sqlCache.set(key, sql);
    }
    return sql;
  }

  private async applyUpdate(execute: Execute, table: string, id: string, patch: { columns: string[]; values: unknown[] }): Promise<number> {
    if (patch.columns.length === 0) return 1;
    const params = new SqlParams(this.sql);
    const set = patch.columns.map((column, i) => `${column} = ${params.add(patch.values[i])}`).join(', ');
    const { affected } = await execute(`UPDATE ${table} SET ${set} WHERE id = ${params.add(id)}`, params.values);
    return affected;
  }

  /** A filter value as the database holds it: ids and names alike, so that a NUL finds its row instead of failing the query. */
  private bind(value: string): string {
    return this.sql.bindable(value) as string;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

/** Halves a chunk whose transaction ran long, doubles one that ran short. */
export function nextRetentionChunk(chunk: number, elapsedMs: number): number {
  if (elapsedMs > RETENTION_TRANSACTION_MS) return Math.max(RETENTION_CHUNK_LIMITS.min, Math.floor(chunk / 2));
  if (elapsedMs < RETENTION_TRANSACTION_MS / 4) return Math.min(RETENTION_CHUNK_LIMITS.max, chunk * 2);
  return chunk;
}
