import type { SelectQueryBuilder } from 'typeorm';
import { ExecutionStep, ExecutionTag, LoggerInstance, WorkflowExecution } from '../entities';
import { QueryError } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';
import type { Database } from './Database';
import { tagLookup } from './tagFilter';
import { optionalString, optionalTime, optionalTraceId, requireId } from './queryArguments';
import { readStepConditions, stepConditionsSql, type StepConditions } from './stepConditions';
import type { ExecutionPage, ExecutionStats, ListExecutionsQuery, StatsQuery, StepOutline } from './types';
import { parseWorkflowShape, type StoredDefinition } from './WorkflowShape';

/** A step's payload columns: what `getStepOutlines` leaves unread. */
const STEP_PAYLOAD_COLUMNS = ['input_data', 'output_data', 'error_stack'];

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const FINISHED = "('success', 'error')";
/** Ids bound in one IN list: far below every database's limit on parameters (SQLite's was 999). */
export const IDS_PER_QUERY = 500;

/** The queries users, the CLI and the viewer inspect history with. Reads only. */
export class HistoryReader {
  constructor(private readonly db: Database) {}

  /**
   * Executions newest first, filtered, one page at a time. Keyset pagination on
   * `(started_at, id)`: rows inserted while paging never shift the pages that follow.
   */
  async listExecutions(query: ListExecutionsQuery = {}): Promise<ExecutionPage> {
    this.db.assertOpen();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new QueryError('limit', `${String(limit)} is not an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const workflowId = optionalString(query.workflowId, 'workflowId');
    const status = optionalString(query.status, 'status');
    const triggerType = optionalString(query.triggerType, 'triggerType');
    const parentExecutionId = optionalString(query.parentExecutionId, 'parentExecutionId');
    const traceId = optionalTraceId(query.traceId, 'traceId');
    const forkedFromExecutionId = optionalString(query.forkedFromExecutionId, 'forkedFromExecutionId');
    const startedAfter = optionalTime(query.startedAfter, 'startedAfter');
    const startedBefore = optionalTime(query.startedBefore, 'startedBefore');
    const byTag = tagLookup(query.tags, this.db.tables.tags, 'e');
    const stepConditions = readStepConditions(query);
    // A history written before tags has no tagged run (and no tag table to look in).
    if (byTag !== undefined && !(await this.db.columns.tagsExist())) return { items: [], nextCursor: null };
    // One written before trace ids has no run in any trace.
    if (traceId !== undefined && !(await this.db.columns.lineageExists())) return { items: [], nextCursor: null };
    const qb = await this.executionQuery();
    // With tags, the page is read through the first tag's index, in the same order (see tagFilter.ts).
    if (byTag !== undefined) qb.innerJoin(ExecutionTag, byTag.alias, byTag.on, byTag.params);
    if (byTag?.where !== undefined) qb.andWhere(byTag.where, byTag.params);
    const [startedAtColumn, idColumn] = byTag ? [byTag.startedAt, byTag.id] : ['e.started_at', 'e.id'];
    if (workflowId !== undefined) qb.andWhere('e.workflow_id = :workflowId', { workflowId: this.bind(workflowId) });
    if (status !== undefined) qb.andWhere('e.status = :status', { status: this.bind(status) });
    if (triggerType !== undefined) qb.andWhere('e.trigger_type = :triggerType', { triggerType: this.bind(triggerType) });
    if (parentExecutionId !== undefined) {
      qb.andWhere('e.parent_execution_id = :parentExecutionId', { parentExecutionId: this.bind(parentExecutionId) });
    }
    if (traceId !== undefined) qb.andWhere('e.trace_id = :traceId', { traceId: this.bind(traceId) });
    if (forkedFromExecutionId !== undefined) {
      // A history written before re-runs has no fork (and no column to look in).
      if (!(await this.db.columns.lineageExists())) return { items: [], nextCursor: null };
      qb.andWhere('e.forked_from_execution_id = :forkedFromExecutionId', { forkedFromExecutionId: this.bind(forkedFromExecutionId) });
    }
    if (startedAfter !== undefined) qb.andWhere(`${startedAtColumn} >= :startedAfter`, { startedAfter });
    if (startedBefore !== undefined) qb.andWhere(`${startedAtColumn} < :startedBefore`, { startedBefore });
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      qb.andWhere(
        this.db.dialect.rowBefore(
          startedAtColumn,
          idColumn,
          () => ':cursorAt',
          () => ':cursorId',
          false,
        ),
        {
          cursorAt: after.startedAt,
          cursorId: this.bind(after.id),
        },
      );
    }
    if (stepConditions) {
      const parameters: Record<string, unknown> = {};
      const matches = stepConditionsSql(this.db.dialect, 's', stepConditions, this.namedParameters(parameters, 'step'));
      qb.andWhere(`EXISTS (SELECT 1 FROM ${this.db.tables.steps} s WHERE s.execution_id = e.id AND ${matches})`, parameters);
    }
    const rows = await qb
      .orderBy(startedAtColumn, 'DESC')
      .addOrderBy(idColumn, 'DESC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const page: ExecutionPage = { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    if (stepConditions) page.matchingSteps = await this.matchingSteps(items, stepConditions);
    return page;
  }

  /** The steps of these executions that meet the conditions, by execution id. */
  private async matchingSteps(
    executions: readonly WorkflowExecution[],
    conditions: StepConditions,
  ): Promise<Record<string, ExecutionStep[]>> {
    const found: Record<string, ExecutionStep[]> = {};
    for (const execution of executions) found[execution.id] = [];
    if (executions.length === 0) return found;
    const parameters: Record<string, unknown> = { ids: executions.map((execution) => this.bind(execution.id)) };
    const steps = await (
      await this.db.columns.steps('s')
    )
      .where('s.execution_id IN (:...ids)', parameters)
      .andWhere(stepConditionsSql(this.db.dialect, 's', conditions, this.namedParameters(parameters, 'step')), parameters)
      .orderBy('s.execution_id')
      .addOrderBy('s.step_index')
      .getMany();
    for (const step of steps) found[step.executionId]?.push(step);
    return found;
  }

  /** A `bind` for SQL built outside the query builder: each value becomes a new named parameter. */
  private namedParameters(parameters: Record<string, unknown>, prefix: string): (value: unknown) => string {
    return (value) => {
      const name = `${prefix}${Object.keys(parameters).length}`;
      parameters[name] = this.db.dialect.bindable(value);
      return `:${name}`;
    };
  }

  async getExecution(id: string, options: { steps?: boolean } = {}): Promise<WorkflowExecution | null> {
    this.db.assertOpen();
    requireId(id, 'id');
    const execution = await (await this.executionQuery()).where('e.id = :id', { id: this.bind(id) }).getOne();
    if (execution && options?.steps) execution.steps = await this.getSteps(id);
    return execution;
  }

  async getStep(id: string): Promise<ExecutionStep | null> {
    this.db.assertOpen();
    requireId(id, 'id');
    return (await this.db.columns.steps('s')).where('s.id = :id', { id: this.bind(id) }).getOne();
  }

  /**
   * The steps of one execution without their payloads, in `stepIndex` order: the database reads
   * no input, output or error stack, and says only whether each is there.
   */
  async getStepOutlines(executionId: string): Promise<StepOutline[]> {
    this.db.assertOpen();
    requireId(executionId, 'executionId');
    const { entities, raw } = await (
      await this.db.columns.steps('s', STEP_PAYLOAD_COLUMNS)
    )
      .addSelect('CASE WHEN s.input_data IS NULL THEN 1 ELSE 0 END', 'no_input')
      .addSelect('CASE WHEN s.output_data IS NULL THEN 1 ELSE 0 END', 'no_output')
      .addSelect('CASE WHEN s.error_stack IS NULL THEN 1 ELSE 0 END', 'no_stack')
      .where('s.execution_id = :id', { id: this.bind(executionId) })
      .orderBy('s.step_index')
      .getRawAndEntities<{ no_input: unknown; no_output: unknown; no_stack: unknown }>();
    // One table, no join: the raw rows come in the entities' order. Drivers give 1 as a number, a bigint or text.
    return entities.map((step, i) => {
      const row = raw[i]!;
      const { inputData: _input, outputData: _output, errorStack: _stack, ...rest } = step;
      return {
        ...rest,
        hasInput: Number(row.no_input) === 0,
        hasOutput: Number(row.no_output) === 0,
        hasErrorStack: Number(row.no_stack) === 0,
      };
    });
  }

  async getSteps(executionId: string): Promise<ExecutionStep[]> {
    this.db.assertOpen();
    requireId(executionId, 'executionId');
    return (await this.db.columns.steps('s'))
      .where('s.execution_id = :id', { id: this.bind(executionId) })
      .orderBy('s.step_index')
      .getMany();
  }

  /** The steps of several executions in one query, grouped by execution, each in `stepIndex` order. */
  async getStepsOf(executionIds: readonly string[]): Promise<Map<string, ExecutionStep[]>> {
    this.db.assertOpen();
    if (!Array.isArray(executionIds)) throw new QueryError('executionIds', 'not an array of ids');
    for (const id of executionIds) requireId(id, 'executionIds');
    const grouped = new Map<string, ExecutionStep[]>();
    if (executionIds.length === 0) return grouped;
    const steps = await (
      await this.db.columns.steps('s')
    )
      .where('s.execution_id IN (:...ids)', { ids: executionIds.map((id) => this.bind(id)) })
      .orderBy('s.execution_id')
      .addOrderBy('s.step_index')
      .getMany();
    for (const step of steps) {
      const list = grouped.get(step.executionId);
      if (list) list.push(step);
      else grouped.set(step.executionId, [step]);
    }
    return grouped;
  }

  /**
   * Executions by id, in one query per {@link IDS_PER_QUERY} ids, keyed by the id as asked (which
   * may differ from the stored text where the dialect rewrites what it binds); ids that name none are absent.
   */
  async getExecutions(ids: readonly string[]): Promise<Map<string, WorkflowExecution>> {
    this.db.assertOpen();
    const found = new Map<string, WorkflowExecution>();
    for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
      const asked = new Map(ids.slice(start, start + IDS_PER_QUERY).map((id) => [this.bind(requireId(id, 'ids')), id]));
      const rows = await (await this.executionQuery()).where('e.id IN (:...ids)', { ids: [...asked.keys()] }).getMany();
      for (const row of rows) {
        const id = asked.get(row.id);
        if (id !== undefined) found.set(id, row);
      }
    }
    return found;
  }

  /** The executions started from inside any of these executions, oldest first (by `startedAt`, then id). */
  async getChildrenOf(parentIds: readonly string[]): Promise<WorkflowExecution[]> {
    this.db.assertOpen();
    const found: WorkflowExecution[] = [];
    for (let start = 0; start < parentIds.length; start += IDS_PER_QUERY) {
      const chunk = parentIds.slice(start, start + IDS_PER_QUERY).map((id) => this.bind(requireId(id, 'parentIds')));
      const rows = await (
        await this.executionQuery()
      )
        .where('e.parent_execution_id IN (:...ids)', { ids: chunk })
        .orderBy('e.started_at')
        .addOrderBy('e.id')
        .getMany();
      found.push(...rows);
    }
    return found;
  }

  /**
   * A stored workflow definition by its hash; null when there is none (or the history has no
   * definitions table: written before them, read without migrating) or it is of a format this
   * release does not read.
   */
  async getDefinition(hash: string): Promise<StoredDefinition | null> {
    this.db.assertOpen();
    requireId(hash, 'hash');
    const params = this.db.params();
    const sql = `SELECT hash, workflow_id, definition, created_at FROM ${this.db.tables.definitions} WHERE hash = ${params.add(this.bind(hash))}`;
    // A history written before definitions has none (and no table to look in).
    if (!(await this.db.columns.lineageExists())) return null;
    const rows = await this.db.query<{ hash: string; workflow_id: string; definition: unknown; created_at: unknown }>(sql, params.values);
    const row = rows[0];
    const definition = row === undefined ? null : parseWorkflowShape(row.definition);
    if (row === undefined || definition === null) return null;
    return { hash: row.hash, workflowId: row.workflow_id, definition, createdAt: Number(row.created_at) };
  }

  async listWorkflowIds(): Promise<string[]> {
    const rows = await this.db.query<{ workflow_id: string }>(
      `SELECT DISTINCT workflow_id FROM ${this.db.tables.executions} ORDER BY workflow_id`,
    );
    return rows.map((row) => row.workflow_id);
  }

  listInstances(): Promise<LoggerInstance[]> {
    this.db.assertOpen();
    return this.db.dataSource.getRepository(LoggerInstance).find({ order: { heartbeatAt: 'DESC' } });
  }

  /**
   * Counts by status, success rate over finished runs, and duration figures (nearest-rank
   * percentiles) over runs that finished with success or error.
   */
  async getStats(query: StatsQuery = {}): Promise<ExecutionStats> {
    const workflowId = optionalString(query.workflowId, 'workflowId');
    const since = optionalTime(query.since, 'since');
    const until = optionalTime(query.until, 'until');
    const params = this.db.params();
    const where: string[] = [];
    if (workflowId !== undefined) where.push(`workflow_id = ${params.add(workflowId)}`);
    if (since !== undefined) where.push(`started_at >= ${params.add(since)}`);
    if (until !== undefined) where.push(`started_at < ${params.add(until)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const table = this.db.tables.executions;
    const [row] = await this.db.query(
      `SELECT COUNT(*) AS total,
        SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS success,
        SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error,
        SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
        SUM(CASE WHEN status = 'interrupted' THEN 1 ELSE 0 END) AS interrupted,
        COUNT(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS timed,
        MIN(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS min_ms,
        AVG(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS avg_ms,
        MAX(CASE WHEN status IN ${FINISHED} THEN duration_ms END) AS max_ms
      FROM ${table} ${filter}`,
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
      const [ranked] = await this.db.query(
        `SELECT duration_ms FROM ${table} ${durationFilter} ORDER BY duration_ms LIMIT 1 OFFSET ${offset}`,
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

  /** Whether the history tables exist here (a database flowtrail never wrote has none). */
  async hasHistoryTables(): Promise<boolean> {
    const rows = await this.db.query<{ name: string | null }>(this.db.dialect.tableExistsSql, [this.db.tables.executions]);
    return rows.length > 0 && rows[0]?.name !== null && rows[0]?.name !== undefined;
  }

  /** Executions as `e`, with every column this database has. */
  private executionQuery(): Promise<SelectQueryBuilder<WorkflowExecution>> {
    return this.db.columns.executions('e');
  }

  /** A filter value as the database holds it: ids and names alike, so that a NUL finds its row instead of failing the query. */
  private bind(value: string): string {
    return this.db.dialect.bindable(value) as string;
  }
}
