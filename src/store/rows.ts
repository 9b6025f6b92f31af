import { CapturedJson } from '../capture/CapturedJson';
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
  return value instanceof CapturedJson ? value.json : JSON.stringify(value);
}

function sqlValue(def: ColumnDef, value: unknown): unknown {
  if (def.kind === 'json') return jsonText(value);
  return value === undefined ? null : value;
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
      for (let i = 0; i < properties.length; i++) values[i] = sqlValue(defs[i]!, record[properties[i]!]);
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
      values.push(sqlValue(def, value));
    }
    return { columns, values };
  };
}
