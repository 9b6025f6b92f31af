import type { DataSource, QueryRunner } from 'typeorm';
import { StoreClosedError } from '../errors';
import type { SqlDialect } from './dialects';
import { definitionsTable, executionsTable, instancesTable, stepsTable, tagsTable } from './schema';
import { SerialQueue } from './SerialQueue';
import { SqlParams } from './SqlParams';
import { HistoryColumns } from './HistoryColumns';

/** Runs one statement inside a transaction: its rows, and how many rows it changed. */
export type Execute = (sql: string, params?: unknown[]) => Promise<{ rows: any[]; affected: number }>;

/** The history tables' names as statements must write them (schema-qualified where the DataSource says so). */
export interface TableNames {
  readonly executions: string;
  readonly steps: string;
  readonly instances: string;
  readonly tags: string;
  readonly definitions: string;
}

/**
 * The store's one connection to its database: a TypeORM DataSource, its dialect, and the
 * transactions every write goes through. The only place in `store/` that talks to TypeORM's
 * query runners; everything above it writes SQL through `transaction()` and `query()`.
 */
export class Database {
  readonly tables: TableNames;
  /** The columns this database has: a history an earlier release wrote is read as it is. */
  readonly columns = new HistoryColumns(this);
  private readonly serial = new SerialQueue();
  private closed = false;

  constructor(
    readonly dataSource: DataSource,
    readonly dialect: SqlDialect,
  ) {
    // Raw statements must find the tables where TypeORM put them: on PostgreSQL a DataSource's
    // `schema` option qualifies every table, without touching the connection's search_path.
    const schema = dialect.name === 'postgres' ? (dataSource.options as { schema?: string }).schema : undefined;
    const name = (table: string) => (schema ? `${quoteIdentifier(schema)}.${table}` : table);
    this.tables = {
      executions: name(executionsTable.name),
      steps: name(stepsTable.name),
      instances: name(instancesTable.name),
      tags: name(tagsTable.name),
      definitions: name(definitionsTable.name),
    };
  }

  params(): SqlParams {
    return new SqlParams(this.dialect);
  }

  /** A read outside any transaction. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]> {
    this.assertOpen();
    return this.dataSource.query(sql, params) as Promise<T[]>;
  }

  /**
   * Runs `work` in one transaction. Where the dialect shares one connection (SQLite) transactions
   * run one at a time, so two never collide on it.
   */
  transaction<T>(work: (execute: Execute) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.dialect.serialTransactions) return this.serial.run(() => this.runTransaction(work));
    return this.runTransaction(work);
  }

  /** Runs `task` in turn with the transactions where they are serialized (SQLite), else at once. */
  inTurn<T>(task: () => Promise<T>): Promise<T> {
    return this.dialect.serialTransactions ? this.serial.run(task) : task();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops new work; waits for transactions already queued, so a batch is never cut in half. */
  async close(destroy: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial.run(async () => undefined);
    if (destroy && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private async runTransaction<T>(work: (execute: Execute) => Promise<T>): Promise<T> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    const execute: Execute = async (sql, params) => {
      const result = await runner.query(sql, params, true);
      return { rows: Array.isArray(result.records) ? result.records : [], affected: result.affected ?? 0 };
    };
    try {
      for (const sql of this.dialect.beginSql) await runner.query(sql);
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
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
