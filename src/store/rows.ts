import { CapturedJson } from '../capture/CapturedJson';
import { UnstorableRecordError } from '../errors';
import { propertiesOf, type ColumnDef, type TableDef } from './schema';

/**
 * How rows and patches become SQL values, derived from the schema. Column names come only from
 * the schema, never from the caller, so nothing user-supplied is ever spliced into SQL.
 */

/** A table's columns in order, and how to read each one's SQL value from a row. */
export interface RowEncoder<Row> {
  readonly table: string;
  readonly columns: readonly string[];
  values(row: Row): unknown[];
}

/** The SET list of one patch: the columns it changes and their SQL values. */
export interface PatchSql {
  columns: string[];
  values: unknown[];
}

export type PatchEncoder<P> = (patch: P) => PatchSql;

/** Captured data as the JSON text a `json` column holds; null stays NULL. */
export function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (value instanceof CapturedJson) return value.json;
  try {
    return JSON.stringify(value) ?? null;
  } catch (error) {
    throw new UnstorableRecordError(`its data is not JSON (${(error as Error).message})`, error);
  }
}

/**
 * A value as its column stores it, checked against the column's kind: whatever reaches the
 * database (or the writer thread) is a string, a finite number or NULL, or the record is refused
 * here, alone, with the column named, instead of failing its whole batch in the driver.
 */
function sqlValue(table: string, def: ColumnDef, value: unknown): unknown {
  if (def.kind === 'json') return jsonText(value);
  if (value === undefined || value === null) {
    if (def.isNullable) return null;
    throw new UnstorableRecordError(`${table}.${def.column} is missing`);
  }
  const fits = def.kind === 'integer' || def.kind === 'epochMs' ? Number.isFinite(value) : typeof value === 'string';
  if (!fits)
    throw new UnstorableRecordError(
      `${table}.${def.column} holds ${describeKind(value)}, not ${def.kind === 'integer' || def.kind === 'epochMs' ? 'a finite number' : 'text'}`,
    );
  return value;
}

function describeKind(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function rowEncoder<C extends Record<string, ColumnDef>, Row>(table: TableDef<C>): RowEncoder<Row> {
  const properties = propertiesOf(table);
  const defs = properties.map((key) => table.columns[key]!);
  return {
    table: table.name,
    columns: defs.map((def) => def.column),
    values(row) {
      const record = row as Record<string, unknown>;
      const values = new Array<unknown>(properties.length);
      for (let i = 0; i < properties.length; i++) values[i] = sqlValue(table.name, defs[i]!, record[properties[i]!]);
      return values;
    },
  };
}

/** Keys whose value is `undefined` are left unchanged; keys that are not patchable are ignored. */
export function patchEncoder<C extends Record<string, ColumnDef>, P>(table: TableDef<C>): PatchEncoder<P> {
  const patchable = propertiesOf(table)
    .filter((key) => table.columns[key]!.isPatchable)
    .map((key) => [key, table.columns[key]!] as const);
  return (patch) => {
    const record = patch as Record<string, unknown>;
    const columns: string[] = [];
    const values: unknown[] = [];
    for (const [key, def] of patchable) {
      const value = record[key];
      if (value === undefined) continue;
      columns.push(def.column);
      values.push(sqlValue(table.name, def, value));
    }
    return { columns, values };
  };
}
