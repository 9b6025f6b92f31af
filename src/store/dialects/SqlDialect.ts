import type { DataSource } from 'typeorm';
import type { Database } from '../Database';
import type { DataCondition } from '../dataPredicate';
import type { Dialect } from '../types';

/**
 * Everything that differs between the databases flowtrail writes to, in one object per database:
 * SQL shapes, placeholders, transaction start, error codes, identity. Code elsewhere in `store/`
 * asks its dialect instead of testing `=== 'postgres'`.
 */
export interface SqlDialect {
  readonly name: Dialect;
  /** Placeholder of the `n`th (1-based) bound parameter. */
  placeholder(n: number): string;
  /** A value as the database can hold it (PostgreSQL text cannot hold U+0000). */
  bindable(value: unknown): unknown;
  /** One shared connection (SQLite): transactions must run one at a time. */
  readonly serialTransactions: boolean;
  /**
   * `(a, b) < (x, y)` (or `<=`), for keyset paging newest first, in the form this database walks
   * an index on `(a, b)` for: a row comparison where it is an index range, else a range on `a`.
   * `x` and `y` give a placeholder each time they are called (a positional one binds once per use).
   */
  rowBefore(a: string, b: string, x: () => string, y: () => string, orEqual: boolean): string;
  /** What starts a transaction, in order. */
  readonly beginSql: readonly string[];
  /** UTF-8 bytes a text column holds; Infinity where it is bounded only by memory. */
  readonly maxTextBytes: number;
  /** What ends an `INSERT` so that a row whose primary key (`key`) exists is skipped, not an error. */
  ignoreDuplicateSql(key: string): string;
  /**
   * Most characters of data one statement may carry, where the server bounds a statement's size
   * (MySQL's `max_allowed_packet`); Infinity where it does not matter.
   */
  readonly maxStatementChars: number;
  /**
   * `INSERT … SELECT` of rows sent as one JSON parameter (element i of each row → columns[i]);
   * rows whose primary key (the first column) exists are skipped.
   */
  jsonInsertSql(table: string, columns: readonly string[], casts: Readonly<Record<string, string>>): string;
  /** `UPDATE … FROM` rows sent as one JSON parameter: element 0 the id, element i the value of columns[i-1]. */
  jsonUpdateSql(table: string, columns: readonly string[], casts: Readonly<Record<string, string>>): string;
  /**
   * `UPDATE … FROM (VALUES …)` of the rows whose placeholders `tuples` lists (`(?, ?), (?, ?)`),
   * each the id and then the values of `columns`; null where the database has no such statement
   * (each row is then an UPDATE of its own).
   */
  boundUpdateSql: ((table: string, columns: readonly string[], tuples: string, casts: Readonly<Record<string, string>>) => string) | null;
  /**
   * SQL true where the JSON text in `column` holds a value at the condition's path that passes its
   * test. Every value, constants too, is bound through `bind`, once per use.
   */
  jsonTest(column: string, condition: DataCondition, bind: (value: unknown) => string): string;
  /**
   * A column compared only as a value, never looked up in its own index: a step's node id inside a
   * search, which must reach the steps through their execution (where SQLite without statistics
   * would rather scan every step of that node).
   */
  unindexed(column: string): string;
  /**
   * The integer quotient of two non-negative integer expressions, rounded down: `/` on SQLite and
   * PostgreSQL integers, `DIV` on MySQL (whose `/` gives a decimal).
   */
  intDiv(dividend: string, divisor: string): string;
  /** SQL true where the text `haystack` holds the text bound at `needle` (exactly, or where the column's collation folds case, as it folds). */
  textContains(haystack: string, needle: string): string;
  /** Whether the database refused the data itself (retrying cannot help) rather than being unavailable. */
  isDataError(error: unknown): boolean;
  /** A query with one parameter, a table's name as statements write it, returning a row with a non-null `name` when the table exists. */
  readonly tableExistsSql: string;
  /** After retention deleted rows: give the space back where the database does not by itself. */
  reclaimSpace(db: Database): Promise<void>;
  /** Identifies the database (never its credentials), before hashing. */
  identity(dataSource: DataSource, target: string): string;
  /** Where spools of loggers on this database go unless told otherwise; null: no spool unless told (a database in memory). */
  defaultSpoolDir(dataSource: DataSource): string | null;
}

/** The error code a driver put on an error, or on the error TypeORM wrapped around it. */
export function errorCode(error: unknown): string | undefined {
  const source = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = source?.driverError?.code ?? source?.code;
  return typeof code === 'string' ? code : undefined;
}
