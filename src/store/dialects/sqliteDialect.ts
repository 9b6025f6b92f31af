import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Database } from '../Database';
import type { DataCondition } from '../dataPredicate';
import { sqlJsonPath } from '../jsonPath';
import { errorCode, type SqlDialect } from './SqlDialect';

/** ES2024 string methods (Node 20 has them; the compiler's lib is ES2022). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

function wellFormed(text: string): string {
  const view = text as unknown as WellFormed;
  return view.isWellFormed() ? text : view.toWellFormed();
}

/** Pages handed back per incremental_vacuum call: each call holds the write lock while it runs. */
const VACUUM_PAGES = 500;

/** SQLite through `sqlite3` or `better-sqlite3`: one file, one shared connection. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  // A lone surrogate is stored as U+FFFD: sqlite3 does that itself, better-sqlite3 would write the
  // surrogate's own three bytes, which read back as three U+FFFD.
  bindable: (value) => (typeof value === 'string' ? wellFormed(value) : value),
  ignoreDuplicateSql: (key) => ` ON CONFLICT (${key}) DO NOTHING`,
  maxStatementChars: Infinity,
  maxTextBytes: Infinity,
  rowBefore: (a, b, x, y, orEqual) => `(${a}, ${b}) ${orEqual ? '<=' : '<'} (${x()}, ${y()})`,
  serialTransactions: true,
  // IMMEDIATE takes the write lock up front: a second process makes us wait (busy timeout)
  // instead of failing on a read-to-write upgrade.
  beginSql: ['BEGIN IMMEDIATE'],
  jsonInsertSql(table, columns) {
    const values = columns.map((_, i) => element('value', i)).join(', ');
    // The WHERE tells the upsert's ON CONFLICT from a join constraint.
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values} FROM json_each(?) WHERE true ON CONFLICT (${columns[0]}) DO NOTHING`;
  },
  jsonUpdateSql(table, columns) {
    const set = columns.map((column, i) => `${column} = ${element('u.value', i + 1)}`).join(', ');
    return `UPDATE ${table} SET ${set} FROM json_each(?) AS u WHERE ${table}.id = ${element('u.value', 0)}`;
  },
  boundUpdateSql(table, columns, tuples) {
    // SQLite names the columns of a VALUES list column1, column2…
    const set = columns.map((column, i) => `${column} = u.column${i + 2}`).join(', ');
    return `UPDATE ${table} SET ${set} FROM (VALUES ${tuples}) AS u WHERE ${table}.id = u.column1`;
  },
  jsonTest,
  // A unary plus is SQLite's way to keep a term from choosing an index.
  unindexed: (column) => `+${column}`,
  // A column of REAL affinity would make `/` a real division: the cast truncates (values are never negative).
  intDiv: (dividend, divisor) => `CAST((${dividend}) / (${divisor}) AS INTEGER)`,
  textContains: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
  isDataError: (error) => /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(errorCode(error) ?? ''),
  tableExistsSql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
  reclaimSpace,
  // Every in-memory database is a new one: its spool must never be replayed into another.
  identity: (dataSource, target) => `sqlite:${sqliteFile(dataSource) ?? `${target}:${randomUUID()}`}`,
  defaultSpoolDir(dataSource) {
    // Beside the file, so the spool lives and moves with it; none for a database in memory.
    const file = sqliteFile(dataSource);
    return file === null ? null : `${file}.spool`;
  },
};

/**
 * `->` gives the value's JSON text as stored (a string keeps its quotes and escapes), so equality
 * is one comparison with the JSON text of what is looked for, type included: "5" is not 5.
 */
function jsonTest(column: string, { segments, test }: DataCondition, bind: (value: unknown) => string): string {
  const value = () => `(${column} -> ${bind(sqlJsonPath(segments))})`;
  const type = () => `json_type(${column}, ${bind(sqlJsonPath(segments))})`;
  const scalar = () => `(${column} ->> ${bind(sqlJsonPath(segments))})`;
  switch (test.kind) {
    case 'equals':
      return `${value()} = ${bind(JSON.stringify(test.value))}`;
    case 'exists':
      return `${value()} IS ${test.present ? 'NOT ' : ''}NULL`;
    case 'contains':
      return `${type()} = 'text' AND instr(${scalar()}, ${bind(test.text)}) > 0`;
    case 'range': {
      const bounds = [];
      if (test.gt !== undefined) bounds.push(`${scalar()} > ${bind(test.gt)}`);
      if (test.lt !== undefined) bounds.push(`${scalar()} < ${bind(test.lt)}`);
      return `${type()} IN ('integer', 'real') AND ${bounds.join(' AND ')}`;
    }
  }
}

function element(value: string, index: number): string {
  return `json_extract(${value}, '$[${index}]')`;
}

function sqliteFile(dataSource: DataSource): string | null {
  const database = (dataSource.options as { database?: unknown }).database;
  if (typeof database !== 'string' || database === '' || database === ':memory:') return null;
  return resolve(database);
}

/** Hands freed pages back to the file system in small steps, then checkpoints so the WAL file shrinks. */
async function reclaimSpace(db: Database): Promise<void> {
  for (;;) {
    const [row] = await db.query<{ freelist_count: number }>('PRAGMA freelist_count');
    if (!row || Number(row.freelist_count) === 0) break;
    await db.inTurn(() => db.query(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`));
    const [after] = await db.query<{ freelist_count: number }>('PRAGMA freelist_count');
    // auto_vacuum is off on files created by someone else: the freelist never shrinks then.
    if (!after || Number(after.freelist_count) >= Number(row.freelist_count)) break;
  }
  await db.inTurn(() => db.query('PRAGMA wal_checkpoint(TRUNCATE)'));
}
