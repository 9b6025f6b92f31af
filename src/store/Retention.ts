import { QueryError } from '../errors';
import type { Database } from './Database';
import type { SqlParams } from './SqlParams';

/**
 * Executions deleted per retention transaction, at first. Each takes its steps and their index
 * entries with it, and concurrent logging waits for the transaction; the chunk then adapts so
 * that a transaction takes about RETENTION_TRANSACTION_MS whatever the disk, cache and row sizes.
 */
const RETENTION_CHUNK = 50;
const RETENTION_CHUNK_LIMITS = { min: 1, max: 1000 };
const RETENTION_TRANSACTION_MS = 20;

/**
 * What retention removes: executions older than an age, or those past the newest N of each
 * workflow; with `status`, only executions that ended so (the newest N counted among them).
 * Running ones never.
 */
export type RetentionRule = ({ maxAgeMs: number } | { keepPerWorkflow: number }) & { status?: FinishedStatus };

export type FinishedStatus = 'success' | 'error' | 'interrupted';
const FINISHED_STATUSES: readonly string[] = ['success', 'error', 'interrupted'];

/** A set of executions to remove, as a WHERE condition (the `status <> 'running'` guard is added to every one). */
type Selection = (params: SqlParams) => string;

/**
 * Deletes old history in short transactions, so that concurrent writers wait only briefly, and
 * counts what it would delete with the very same conditions (a dry run cannot drift from the
 * real one).
 */
export class Retention {
  constructor(private readonly db: Database) {}

  /** @returns how many executions were removed (their steps go with them). */
  async remove(rule: RetentionRule): Promise<number> {
    const cutoff = 'maxAgeMs' in rule ? cutoffOf(rule.maxAgeMs) : undefined;
    let removed = 0;
    for (const selection of await this.selections(rule, cutoff)) removed += await this.deleteInChunks(selection);
    if (cutoff !== undefined && rule.status === undefined) {
      // Instances silent for as long are long dead; rows they left running stay recoverable as unowned.
      await this.db.transaction(async (execute) => {
        const params = this.db.params();
        await execute(`DELETE FROM ${this.db.tables.instances} WHERE heartbeat_at < ${params.add(cutoff)}`, params.values);
      });
    }
    if (removed > 0) await this.db.dialect.reclaimSpace(this.db);
    return removed;
  }

  /** How many executions `remove(rule)` would remove now. */
  async count(rule: RetentionRule): Promise<number> {
    const cutoff = 'maxAgeMs' in rule ? cutoffOf(rule.maxAgeMs) : undefined;
    let total = 0;
    for (const selection of await this.selections(rule, cutoff)) {
      const params = this.db.params();
      const [row] = await this.db.query<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM ${this.db.tables.executions} WHERE ${selection(params)} AND status <> 'running'`,
        params.values,
      );
      total += Number(row?.n ?? 0);
    }
    return total;
  }

  private async selections(rule: RetentionRule, cutoff: number | undefined): Promise<Selection[]> {
    this.db.assertOpen();
    const status = rule.status;
    if (status !== undefined && !FINISHED_STATUSES.includes(status)) {
      throw new QueryError('status', `${String(status)} is not one of ${FINISHED_STATUSES.join(', ')}`);
    }
    // Every selection is narrowed to the status, so that deletion, count and boundary agree.
    const ofStatus = (params: SqlParams) => (status === undefined ? '' : ` AND status = ${params.add(status)}`);
    if (cutoff !== undefined) return [(params) => `started_at < ${params.add(cutoff)}${ofStatus(params)}`];
    const keep = (rule as { keepPerWorkflow: number }).keepPerWorkflow;
    if (!Number.isInteger(keep) || keep < 0) throw new QueryError('keepPerWorkflow', `${keep} is not a non-negative integer`);
    const table = this.db.tables.executions;
    const selections: Selection[] = [];
    const workflows = await this.db.query<{ workflow_id: string }>(`SELECT DISTINCT workflow_id FROM ${table} ORDER BY workflow_id`);
    for (const { workflow_id: workflowId } of workflows) {
      // The newest finished run past the ones kept: it and everything older (not running) goes.
      const params = this.db.params();
      const [boundary] = await this.db.query<{ started_at: number | string; id: string }>(
        `SELECT started_at, id FROM ${table} WHERE workflow_id = ${params.add(workflowId)} AND status <> 'running'${ofStatus(params)}
         ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ${keep}`,
        params.values,
      );
      if (!boundary) continue;
      const startedAt = Number(boundary.started_at);
      selections.push(
        (chunk) =>
          `workflow_id = ${chunk.add(workflowId)} AND ${this.db.dialect.rowBefore(
            'started_at',
            'id',
            () => chunk.add(startedAt),
            () => chunk.add(boundary.id),
            true,
          )}${ofStatus(chunk)}`,
      );
    }
    return selections;
  }

  private async deleteInChunks(selection: Selection): Promise<number> {
    const { executions, steps, tags } = this.db.tables;
    let removed = 0;
    let chunk = RETENTION_CHUNK;
    for (;;) {
      const limit = chunk;
      let started = 0;
      const deleted = await this.db.transaction(async (execute) => {
        // Timed from inside: waiting for the logger's batches is not this chunk's cost.
        started = Date.now();
        const params = this.db.params();
        const { rows } = await execute(
          `SELECT id FROM ${executions} WHERE ${selection(params)} AND status <> 'running' LIMIT ${limit}`,
          params.values,
        );
        if (rows.length === 0) return 0;
        const ids = rows.map((row: { id: string }) => row.id);
        const stepParams = this.db.params();
        await execute(`DELETE FROM ${steps} WHERE execution_id IN (${stepParams.list(ids)})`, stepParams.values);
        // As the steps: explicitly, so that a database whose foreign keys do not cascade keeps no orphan tags.
        const tagParams = this.db.params();
        await execute(`DELETE FROM ${tags} WHERE execution_id IN (${tagParams.list(ids)})`, tagParams.values);
        const executionParams = this.db.params();
        await execute(`DELETE FROM ${executions} WHERE id IN (${executionParams.list(ids)})`, executionParams.values);
        return ids.length;
      });
      removed += deleted;
      if (deleted < limit) break;
      chunk = nextRetentionChunk(chunk, Date.now() - started);
      // Let queued logger batches in between chunks: they queue on the same transaction lane.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return removed;
  }
}

/**
 * The start time before which executions go: a whole number of ms within the safe range, since
 * PostgreSQL reads the parameter as a bigint and refused "1795965311589.36" (an age of 1.0000001
 * days) and "-1e+300".
 */
function cutoffOf(maxAgeMs: number): number {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new QueryError('maxAgeMs', `${maxAgeMs} is not a duration in ms`);
  return Math.max(Number.MIN_SAFE_INTEGER, Math.floor(Date.now() - maxAgeMs));
}

/** Halves a chunk whose transaction ran long, doubles one that ran short. */
export function nextRetentionChunk(chunk: number, elapsedMs: number): number {
  if (elapsedMs > RETENTION_TRANSACTION_MS) return Math.max(RETENTION_CHUNK_LIMITS.min, Math.floor(chunk / 2));
  if (elapsedMs < RETENTION_TRANSACTION_MS / 4) return Math.min(RETENTION_CHUNK_LIMITS.max, chunk * 2);
  return chunk;
}
