import type { Database, Execute } from './Database';
import { encodeJsonRows } from './jsonBatch';
import { mergeUpdatesById } from './mergeUpdatesById';
import { slices, textChars } from './slices';
import { patchEncoder, rowEncoder, type PatchEncoder, type PatchSql, type RowEncoder } from './rows';
import { TagIndex } from './TagIndex';
import { castsOf, definitionsTable, executionsTable, stepsTable, type ColumnDef, type TableDef } from './schema';
import type { ExecutionPatch, NewDefinition, NewExecution, NewStep, StepPatch, WriteBatch } from './types';

/** Bound on parameters per statement: under SQLite's 32 766 and PostgreSQL's 65 535. */
const MAX_PARAMS_PER_STATEMENT = 30_000;
/** Rows per multi-row INSERT; larger statements stop paying for themselves. */
const MAX_ROWS_PER_INSERT = 500;
/** Rows per JSON-parameter statement: bounds the one string a statement binds. */
const MAX_ROWS_PER_JSON = 1000;

interface TableWrites<Row, P> {
  /** The table as statements name it. */
  readonly name: string;
  readonly rows: RowEncoder<Row>;
  readonly patch: PatchEncoder<P>;
  readonly casts: Readonly<Record<string, string>>;
}

function tableWrites<C extends Record<string, ColumnDef>, Row, P>(table: TableDef<C>, name: string): TableWrites<Row, P> {
  return { name, rows: rowEncoder<C, Row>(table), patch: patchEncoder<C, P>(table), casts: castsOf(table) };
}

/**
 * The store's writes: one batch in one transaction (inserts, then updates), and single-row
 * updates. Inserting an id that exists is ignored and updating one that does not exist does
 * nothing, so a batch can be replayed safely.
 */
export class BatchWrites {
  /**
   * Batches travel as one JSON parameter (least work on the calling thread, since the database
   * unpacks it), or as bound parameters (least work in all: better where the calling thread is
   * not the workflows', or where the driver runs statements on the calling thread anyway).
   */
  jsonBatches: boolean;
  private readonly executions: TableWrites<NewExecution & { id: string }, ExecutionPatch>;
  private readonly steps: TableWrites<NewStep & { id: string }, StepPatch>;
  private readonly definitions: TableWrites<NewDefinition, never>;
  private readonly sqlCache = new Map<string, string>();
  private readonly tagIndex: TagIndex;

  constructor(
    private readonly db: Database,
    jsonBatches: boolean,
  ) {
    this.jsonBatches = jsonBatches;
    this.executions = tableWrites(executionsTable, db.tables.executions);
    this.steps = tableWrites(stepsTable, db.tables.steps);
    this.definitions = tableWrites(definitionsTable, db.tables.definitions);
    this.tagIndex = new TagIndex(db);
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    await this.db.transaction(async (execute) => {
      if (batch.definitions?.length) await this.insertRows(execute, this.definitions, batch.definitions);
      if (batch.executions?.length) await this.insertRows(execute, this.executions, batch.executions);
      if (batch.steps?.length) await this.insertRows(execute, this.steps, batch.steps);
      if (batch.executionUpdates?.length) await this.updateRows(execute, this.executions, batch.executionUpdates);
      if (batch.stepUpdates?.length) await this.updateRows(execute, this.steps, batch.stepUpdates);
      const tagged = TagIndex.touchedBy(batch);
      if (tagged.length > 0) await this.tagIndex.sync(execute, tagged);
    });
  }

  /** @returns the rows changed: 0 when there is no execution with this id. */
  updateExecution(id: string, patch: ExecutionPatch): Promise<number> {
    return this.db.transaction(async (execute) => {
      const changed = await this.applyUpdate(execute, this.executions.name, id, this.executions.patch(patch));
      if (patch.tags !== undefined && changed > 0) await this.tagIndex.sync(execute, [id]);
      return changed;
    });
  }

  /** @returns the rows changed: 0 when there is no step with this id. */
  updateStep(id: string, patch: StepPatch): Promise<number> {
    return this.db.transaction((execute) => this.applyUpdate(execute, this.steps.name, id, this.steps.patch(patch)));
  }

  private async insertRows<Row, P>(execute: Execute, table: TableWrites<Row, P>, rows: readonly Row[]): Promise<void> {
    for (const chunk of this.slices(rows, MAX_ROWS_PER_JSON, (row) => textChars(table.rows.values(row)))) {
      const json = this.jsonBatches
        ? encodeJsonRows(
            chunk.map((row) => table.rows.values(row)),
            this.db.dialect.maxTextBytes,
          )
        : null;
      if (json === null) await this.insertBound(execute, table, chunk);
      else {
        const sql = this.cachedSql(`insert:${table.name}`, () =>
          this.db.dialect.jsonInsertSql(table.name, table.rows.columns, table.casts),
        );
        await execute(sql, [json]);
      }
    }
  }

  /** The multi-row INSERT with one bound parameter per value, for what the JSON path cannot carry. */
  private async insertBound<Row, P>(execute: Execute, table: TableWrites<Row, P>, rows: readonly Row[]): Promise<void> {
    const width = table.rows.columns.length;
    const rowsPerStatement = Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_STATEMENT / width));
    for (const chunk of this.slices(rows, rowsPerStatement, (row) => textChars(table.rows.values(row)))) {
      const values: unknown[] = [];
      for (const row of chunk) for (const value of table.rows.values(row)) values.push(this.db.dialect.bindable(value));
      const sql = this.chunkSql(`bound insert:${table.name}`, chunk.length === rowsPerStatement, () => {
        const { columns } = table.rows;
        return `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${this.valueTuples(chunk.length, width)}${this.db.dialect.ignoreDuplicateSql(columns[0]!)}`;
      });
      await execute(sql, values);
    }
  }

  /**
   * Applies patches set-wise: patches that set the same columns (a step's success, its failure…)
   * share one UPDATE … FROM statement, instead of one round trip per late completion. Patches of
   * one id are merged first, so each id is one source row of one statement.
   */
  private async updateRows<Row, P extends object>(
    execute: Execute,
    table: TableWrites<Row, P>,
    updates: readonly { id: string; patch: P }[],
  ): Promise<void> {
    const groups = new Map<string, { columns: string[]; rows: unknown[][] }>();
    for (const { id, patch } of mergeUpdatesById(updates)) {
      const { columns, values } = table.patch(patch);
      if (columns.length === 0) continue;
      const shape = columns.join(', ');
      let group = groups.get(shape);
      if (group === undefined) groups.set(shape, (group = { columns, rows: [] }));
      group.rows.push([id, ...values]);
    }
    for (const [shape, { columns, rows }] of groups) {
      for (const chunk of this.slices(rows, MAX_ROWS_PER_JSON, textChars)) {
        const json = this.jsonBatches ? encodeJsonRows(chunk, this.db.dialect.maxTextBytes) : null;
        if (json === null) await this.updateBound(execute, table, columns, chunk);
        else {
          const sql = this.cachedSql(`update:${table.name}:${shape}`, () =>
            this.db.dialect.jsonUpdateSql(table.name, columns, table.casts),
          );
          await execute(sql, [json]);
        }
      }
    }
  }

  /** Rows of one patch shape as bound parameters: set-wise where the dialect can, else one UPDATE a row. */
  private async updateBound<Row, P>(execute: Execute, table: TableWrites<Row, P>, columns: string[], rows: unknown[][]): Promise<void> {
    const setWise = this.db.dialect.boundUpdateSql;
    if (setWise === null) {
      for (const [id, ...values] of rows) await this.applyUpdate(execute, table.name, String(id), { columns, values });
      return;
    }
    const width = columns.length + 1;
    const rowsPerStatement = Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_STATEMENT / width));
    for (const chunk of this.slices(rows, rowsPerStatement, textChars)) {
      const sql = this.chunkSql(`bound update:${table.name}:${columns.join(', ')}`, chunk.length === rowsPerStatement, () =>
        setWise(table.name, columns, this.valueTuples(chunk.length, width), table.casts),
      );
      const values: unknown[] = [];
      for (const row of chunk) for (const value of row) values.push(this.db.dialect.bindable(value));
      await execute(sql, values);
    }
  }

  private async applyUpdate(execute: Execute, table: string, id: string, patch: PatchSql): Promise<number> {
    if (patch.columns.length === 0) return 1;
    const params = this.db.params();
    const set = patch.columns.map((column, i) => `${column} = ${params.add(patch.values[i])}`).join(', ');
    const { affected } = await execute(`UPDATE ${table} SET ${set} WHERE id = ${params.add(id)}`, params.values);
    return affected;
  }

  /** Rows in statements of at most `maxRows`, and within the dialect's bound on a statement's size. */
  private slices<T>(rows: readonly T[], maxRows: number, charsOf: (row: T) => number): Generator<T[]> {
    return slices(rows, maxRows, this.db.dialect.maxStatementChars, charsOf);
  }

  /** `rows` tuples of `width` placeholders each, in the dialect's style and numbered in order. */
  private valueTuples(rows: number, width: number): string {
    const params = this.db.params();
    const placeholders = new Array<null>(width).fill(null);
    const tuples: string[] = [];
    for (let row = 0; row < rows; row++) tuples.push(`(${params.list(placeholders)})`);
    return tuples.join(', ');
  }

  /**
   * A bound statement's text, cached for full chunks only: a text per row count would keep
   * hundreds per table or patch shape, while every chunk but a batch's last is full.
   */
  private chunkSql(key: string, full: boolean, build: () => string): string {
    return full ? this.cachedSql(key, build) : build();
  }

  private cachedSql(key: string, build: () => string): string {
    let sql = this.sqlCache.get(key);
    if (sql === undefined) {
      sql = build();
      this.sqlCache.set(key, sql);
    }
    return sql;
  }
}
