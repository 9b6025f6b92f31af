import { setTimeout as sleep } from 'node:timers/promises';
import type { SelectQueryBuilder } from 'typeorm';
import { ExecutionStep, WorkflowExecution } from '../entities';
import { uuidv7Floor } from '../ids';
import type { Database } from './Database';
import { FollowCursor } from './FollowCursor';
import type { FollowEvent, ResolvedFollowOptions } from './followOptions';
import { IDS_PER_QUERY } from './HistoryReader';

/** New rows read per query; a full page is followed by the next at once, without sleeping. */
const PAGE = 500;

type Row = WorkflowExecution | ExecutionStep;

/** How one table is read: a query over alias `t` (with the columns the database has), and the SQL that restricts it to the followed workflow. */
interface TableReader<R extends Row> {
  readonly cursor: FollowCursor;
  select(): Promise<SelectQueryBuilder<R>>;
  /** The table's name as raw statements write it. */
  readonly name: string;
  /** The same restriction on a query builder over alias `t`. */
  restrict(qb: SelectQueryBuilder<R>): SelectQueryBuilder<R>;
  event(row: R, change: 'new' | 'updated'): FollowEvent;
}

/**
 * `store.follow()`: polls the history for rows written since `since` and for the changes of
 * rows it saw running, and yields them as events. Reads only, through the store's connection.
 *
 * Each poll reads, in this order: the watched executions, the watched steps, the new steps, the
 * new executions; and reports in the reverse order. A writer commits a step after (or with) its
 * execution and completes it before its execution, so whatever a reported row depends on was
 * committed before it, is read after it, and is reported in the same poll or an earlier one: an
 * execution's `new` comes before its steps', a step's `updated` before its execution's. New rows
 * of one poll are grouped by execution (the execution, then its steps by index).
 */
export class HistoryFollower {
  private readonly executions: TableReader<WorkflowExecution>;
  private readonly steps: TableReader<ExecutionStep>;

  constructor(
    private readonly db: Database,
    private readonly options: ResolvedFollowOptions,
  ) {
    const sinceId = uuidv7Floor(options.since);
    const workflowId = options.workflowId === undefined ? undefined : (db.dialect.bindable(options.workflowId) as string);
    const { executions, steps } = db.tables;
    this.executions = {
      cursor: new FollowCursor(sinceId, options.lookBackMs),
      select: () => db.columns.executions('t'),
      name: executions,
      restrict: (qb) => (workflowId === undefined ? qb : qb.andWhere('t.workflow_id = :workflowId', { workflowId })),
      event: (execution, change) => ({ type: 'execution', change, execution }),
    };
    this.steps = {
      cursor: new FollowCursor(sinceId, options.lookBackMs),
      select: () => db.columns.steps('t'),
      name: steps,
      restrict: (qb) =>
        workflowId === undefined ? qb : qb.innerJoin('t.execution', 'e').andWhere('e.workflow_id = :workflowId', { workflowId }),
      event: (step, change) => ({ type: 'step', change, step }),
    };
  }

  /** Polls until the signal aborts, the consumer stops iterating, or the store closes. */
  async *events(): AsyncGenerator<FollowEvent, void, undefined> {
    const { signal, pollIntervalMs, status } = this.options;
    while (!signal?.aborted && !this.db.isClosed) {
      let batch: FollowEvent[];
      let more: boolean;
      try {
        ({ batch, more } = await this.poll());
      } catch (error) {
        // A store closed under the follower ends it, as its signal would.
        if (this.db.isClosed) return;
        throw error;
      }
      for (const event of batch) {
        if (signal?.aborted) return;
        const row = event.type === 'execution' ? event.execution : event.step;
        if (status === undefined || row.status === status) yield event;
      }
      if (more) continue;
      try {
        await sleep(pollIntervalMs, undefined, { signal });
      } catch {
        return; // aborted while sleeping
      }
    }
  }

  /** One round of reads; `more` when a page of new rows was full and the next should follow at once. */
  private async poll(): Promise<{ batch: FollowEvent[]; more: boolean }> {
    const now = Date.now();
    this.executions.cursor.advance(now);
    this.steps.cursor.advance(now);
    const executionUpdates = await this.changed(this.executions);
    const stepUpdates = await this.changed(this.steps);
    const newSteps = await this.added(this.steps, now);
    // A step whose execution committed late, older than the window's recent part: read the whole window now.
    for (const event of newSteps.events) if (event.type === 'step') this.executions.cursor.expectLate(event.step.executionId);
    const newExecutions = await this.added(this.executions, now);
    return {
      batch: [...[...newExecutions.events, ...newSteps.events].sort(byExecution), ...stepUpdates, ...executionUpdates],
      more: newSteps.more || newExecutions.more,
    };
  }

  /**
   * Rows new to the follower: the ids past the newest one read, then any the window holds that it
   * has not read; then the rows of those ids that the workflow restriction keeps. Ids are read
   * without the restriction, on the primary key alone, so a follower of a quiet workflow does not
   * scan the other workflows' rows again on every poll.
   */
  private async added<R extends Row>(table: TableReader<R>, now: number): Promise<{ events: FollowEvent[]; more: boolean }> {
    const { cursor } = table;
    const head = cursor.head;
    const params = this.db.params();
    const bound = 'after' in head ? `id > ${params.add(head.after)}` : `id >= ${params.add(head.from)}`;
    const ids = await this.db.query<{ id: string }>(`SELECT id FROM ${table.name} WHERE ${bound} ORDER BY id LIMIT ${PAGE}`, params.values);
    const fresh = ids.map((row) => row.id).filter((id) => cursor.admit(id));
    for (const id of await this.late(table, now)) if (cursor.admit(id)) fresh.push(id);
    const events: FollowEvent[] = [];
    const rows = (await this.byId(table, fresh)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const row of rows) {
      if (row.status === 'running') cursor.watch(row.id);
      events.push(table.event(row, 'new'));
    }
    return { events, more: ids.length === PAGE };
  }

  /**
   * Ids committed late into the window (its recent part on most polls, see {@link FollowCursor.window}):
   * counted first (one primary-key range, no rows sent), read only when the count differs from the
   * ids the follower knows there.
   */
  private async late<R extends Row>(table: TableReader<R>, now: number): Promise<string[]> {
    const window = table.cursor.window(now);
    if (window === null) return [];
    const params = this.db.params();
    const where = `id >= ${params.add(window.from)} AND id <= ${params.add(window.to)}`;
    const [counted] = await this.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table.name} WHERE ${where}`, params.values);
    if (Number(counted?.n ?? 0) === window.known) return [];
    const present = await this.db.query<{ id: string }>(`SELECT id FROM ${table.name} WHERE ${where}`, params.values);
    return table.cursor.reconcile(
      window.from,
      present.map((row) => row.id),
    );
  }

  /** The watched rows that have left `running` (or are gone, silently). */
  private async changed<R extends Row>(table: TableReader<R>): Promise<FollowEvent[]> {
    const ids = table.cursor.watching;
    if (ids.length === 0) return [];
    const rows = new Map((await this.byId(table, ids)).map((row) => [row.id, row]));
    const events: FollowEvent[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (row?.status === 'running') continue;
      table.cursor.unwatch(id);
      if (row) events.push(table.event(row, 'updated'));
    }
    return events;
  }

  /** The rows of these ids that the workflow restriction keeps, in chunks of {@link IDS_PER_QUERY}. */
  private async byId<R extends Row>(table: TableReader<R>, ids: readonly string[]): Promise<R[]> {
    const rows: R[] = [];
    for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
      const qb = table.restrict(await table.select());
      rows.push(...(await qb.andWhere('t.id IN (:...ids)', { ids: ids.slice(start, start + IDS_PER_QUERY) }).getMany()));
    }
    return rows;
  }
}

/** New rows grouped by execution, as a reader follows a run: the execution, then its steps in `stepIndex` order. */
function byExecution(a: FollowEvent, b: FollowEvent): number {
  const [idA, indexA] = a.type === 'execution' ? [a.execution.id, -1] : [a.step.executionId, a.step.stepIndex];
  const [idB, indexB] = b.type === 'execution' ? [b.execution.id, -1] : [b.step.executionId, b.step.stepIndex];
  return idA < idB ? -1 : idA > idB ? 1 : indexA - indexB;
}
