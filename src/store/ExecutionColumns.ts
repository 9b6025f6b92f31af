import type { SelectQueryBuilder } from 'typeorm';
import { WorkflowExecution } from '../entities';
import type { Database } from './Database';

/**
 * Which columns of `workflow_executions` this database has. A history written before tags, read
 * as it is (the CLI's read commands do not migrate), has no `tags` column: queries leave it out
 * then, and rows read back without tags. Asked once per store, by every reader of executions.
 */
export class ExecutionColumns {
  private hasTags: Promise<boolean> | undefined;

  constructor(private readonly db: Database) {}

  /** Whether the `tags` column (and with it the `execution_tags` table) is there. */
  tagsExist(): Promise<boolean> {
    // Only a yes is kept: a no may be a connection that failed, and costs an empty query per read.
    this.hasTags ??= this.db.query(`SELECT tags FROM ${this.db.tables.executions} WHERE 1 = 0`).then(
      () => true,
      () => {
        this.hasTags = undefined;
        return false;
      },
    );
    return this.hasTags;
  }

  /** Executions as `alias`, selecting every column this database has. */
  async select(alias: string): Promise<SelectQueryBuilder<WorkflowExecution>> {
    const repository = this.db.dataSource.getRepository(WorkflowExecution);
    const qb = repository.createQueryBuilder(alias);
    if (!(await this.tagsExist())) {
      const columns = repository.metadata.columns.filter((column) => column.databaseName !== 'tags');
      qb.select(columns.map((column) => `${alias}.${column.propertyName}`));
    }
    return qb;
  }
}
