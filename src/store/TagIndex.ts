import type { Database, Execute } from './Database';
import { indexableTags } from './tags';
import type { WriteBatch } from './types';

/** Executions whose tags are read and re-indexed per statement. */
const EXECUTIONS_PER_STATEMENT = 500;
/** Tag rows per INSERT: four parameters each, under every database's bound on parameters. */
const TAG_ROWS_PER_INSERT = 500;

/**
 * Keeps `execution_tags` in step with `workflow_executions.tags`, inside the transaction that
 * wrote the rows. The index is derived from what the execution row holds once the batch is
 * applied, not from the records: an insert replayed after a later update (the spool delivers at
 * least once) is skipped for the row, and so changes nothing here either. Replaying any batch is
 * therefore harmless, and the index never disagrees with the column.
 */
export class TagIndex {
  constructor(private readonly db: Database) {}

  /** Ids of the executions a batch inserts or updates with `tags`, each once. */
  static touchedBy(batch: WriteBatch): string[] {
    const ids = new Set<string>();
    for (const row of batch.executions ?? []) if (row.tags !== undefined) ids.add(row.id);
    for (const { id, patch } of batch.executionUpdates ?? []) if (patch.tags !== undefined) ids.add(id);
    return [...ids];
  }

  /** Replaces the index rows of these executions with the tags their rows hold now. */
  async sync(execute: Execute, ids: readonly string[]): Promise<void> {
    const { executions, tags } = this.db.tables;
    for (let start = 0; start < ids.length; start += EXECUTIONS_PER_STATEMENT) {
      const chunk = ids.slice(start, start + EXECUTIONS_PER_STATEMENT);
      const read = this.db.params();
      const { rows } = await execute(`SELECT id, started_at, tags FROM ${executions} WHERE id IN (${read.list(chunk)})`, read.values);
      if (rows.length === 0) continue;
      const found = rows.map((row: { id: string }) => row.id);
      const remove = this.db.params();
      await execute(`DELETE FROM ${tags} WHERE execution_id IN (${remove.list(found)})`, remove.values);
      const tagRows: unknown[][] = [];
      for (const row of rows as { id: string; started_at: number | string; tags: string | null }[]) {
        for (const [key, value] of indexableTags(row.tags)) tagRows.push([row.id, key, value, Number(row.started_at)]);
      }
      for (let first = 0; first < tagRows.length; first += TAG_ROWS_PER_INSERT) {
        const insert = this.db.params();
        const tuples = tagRows.slice(first, first + TAG_ROWS_PER_INSERT).map((values) => `(${insert.list(values)})`);
        await execute(`INSERT INTO ${tags} (execution_id, tag_key, tag_value, started_at) VALUES ${tuples.join(', ')}`, insert.values);
      }
    }
  }
}
