import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ExecutionStep, WorkflowExecution } from '../entities';
import type { Database } from './Database';

/** Columns added by later migrations, by entity: what a history written before them lacks. */
const TAG_COLUMNS = ['tags'];
const LINEAGE_EXECUTION_COLUMNS = [
  'trace_id',
  'span_id',
  'forked_from_execution_id',
  'forked_from_step_id',
  'replay_of_step_id',
  'definition_hash',
];
const LINEAGE_STEP_COLUMNS = ['trace_id', 'span_id', 'reused_from_step_id'];

/**
 * Which of the later columns this database has. A history written by an earlier release, read
 * as it is (the CLI's read commands do not migrate), lacks them: queries leave them out then, and
 * rows read back without them. Each is asked once per store, by every reader of the history.
 */
export class HistoryColumns {
  private hasTags: Promise<boolean> | undefined;
  private hasLineage: Promise<boolean> | undefined;

  constructor(private readonly db: Database) {}

  /** Whether the `tags` column (and with it the `execution_tags` table) is there. */
  tagsExist(): Promise<boolean> {
    this.hasTags ??= this.probe(`SELECT tags FROM ${this.db.tables.executions} WHERE 1 = 0`, () => (this.hasTags = undefined));
    return this.hasTags;
  }

  /**
   * Whether the trace, fork, replay and definition columns (and `workflow_definitions`) are there.
   * The steps' last column is asked: MySQL adds the executions' columns before it.
   */
  lineageExists(): Promise<boolean> {
    this.hasLineage ??= this.probe(
      `SELECT reused_from_step_id FROM ${this.db.tables.steps} WHERE 1 = 0`,
      () => (this.hasLineage = undefined),
    );
    return this.hasLineage;
  }

  /** Executions as `alias`, selecting every column this database has. */
  async executions(alias: string): Promise<SelectQueryBuilder<WorkflowExecution>> {
    const missing = [...((await this.tagsExist()) ? [] : TAG_COLUMNS), ...((await this.lineageExists()) ? [] : LINEAGE_EXECUTION_COLUMNS)];
    return this.select(WorkflowExecution, alias, missing);
  }

  /** Steps as `alias`, selecting every column this database has, but those in `without` (database names). */
  async steps(alias: string, without: readonly string[] = []): Promise<SelectQueryBuilder<ExecutionStep>> {
    return this.select(ExecutionStep, alias, [...((await this.lineageExists()) ? [] : LINEAGE_STEP_COLUMNS), ...without]);
  }

  private select<T extends ObjectLiteral>(entity: new () => T, alias: string, missing: readonly string[]): SelectQueryBuilder<T> {
    const repository = this.db.dataSource.getRepository(entity);
    const qb = repository.createQueryBuilder(alias);
    if (missing.length > 0) {
      const columns = repository.metadata.columns.filter((column) => !missing.includes(column.databaseName));
      qb.select(columns.map((column) => `${alias}.${column.propertyName}`));
    }
    return qb;
  }

  private probe(sql: string, forget: () => void): Promise<boolean> {
    // Only a yes is kept: a no may be a connection that failed, and costs an empty query per read.
    return this.db.query(sql).then(
      () => true,
      () => {
        forget();
        return false;
      },
    );
  }
}
