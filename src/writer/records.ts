import { CapturedJson } from '../capture/CapturedJson';
import { definitionsTable, executionsTable, jsonPropertiesOf, stepsTable } from '../store/schema';
import type { ExecutionPatch, NewDefinition, NewExecution, NewStep, StepPatch } from '../store/types';

/**
 * The records the writer moves: rows to insert and patches to apply, as the buffer holds them
 * and as the spool stores them, one per line. Shared by `RecordBuffer` and the spool, so that
 * neither imports the other.
 */

export type ExecutionRow = NewExecution & { id: string };
export type StepRow = NewStep & { id: string };
export type DefinitionRow = NewDefinition;

/**
 * One spooled record, one line of a segment file. `q` is the writer's admission sequence number:
 * it tells the writer which `flush()` calls a replayed chunk completes. E/S insert an execution
 * or a step, e/s update one, D inserts a workflow definition (a hash already stored is skipped, so
 * replaying one is harmless; a release before definitions reads it as a damaged line and skips it).
 */
export type SpoolRecord =
  | { q: number; t: 'E'; r: ExecutionRow }
  | { q: number; t: 'S'; r: StepRow }
  | { q: number; t: 'e'; id: string; p: ExecutionPatch }
  | { q: number; t: 's'; id: string; p: StepPatch }
  | { q: number; t: 'D'; r: DefinitionRow };

/** The fields of each kind of record that hold captured data (JSON the logger already serialized), from the schema. */
export const EXECUTION_DATA: readonly string[] = jsonPropertiesOf(executionsTable);
export const STEP_DATA: readonly string[] = jsonPropertiesOf(stepsTable);
export const EXECUTION_PATCH_DATA: readonly string[] = jsonPropertiesOf(executionsTable, 'patchable');
export const STEP_PATCH_DATA: readonly string[] = jsonPropertiesOf(stepsTable, 'patchable');
export const DEFINITION_DATA: readonly string[] = jsonPropertiesOf(definitionsTable);
const DATA_FIELDS: Readonly<Record<SpoolRecord['t'], readonly string[]>> = {
  E: EXECUTION_DATA,
  S: STEP_DATA,
  e: EXECUTION_PATCH_DATA,
  s: STEP_PATCH_DATA,
  D: DEFINITION_DATA,
};

/**
 * Memory a record takes beyond its text, by estimate: the object, its map entry, its numbers.
 * Generous, so that many small records are not taken for less than they hold.
 */
const RECORD_OVERHEAD = 512;

/**
 * The most a batch holds, in estimated bytes, when it is written: larger ones are written in
 * parts, each its own transaction and its own message to the writer thread. The thread's heap is
 * sized for one part, not for the queue, which may hold several times its text.
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Estimated bytes of a chunk read back from the spool, and of a spool segment (loaded whole):
 * a quarter of memory's bound at most, so that memory keeps room for new records while a chunk
 * is read and written, as it does with records.
 */
export function spoolChunkBytes(maxQueueBytes: number): number {
  return Math.min(MAX_BATCH_BYTES, Math.floor(maxQueueBytes / 4));
}

/**
 * A cheap estimate of the memory a row or a patch holds: the length of its text (captured data's
 * JSON, error text, names and ids) plus a fixed overhead. V8 holds Latin-1 text in a byte a
 * character, and a UTF-8 cap such as `maxDataSize` bounds the length. Called for every record
 * admitted: it reads lengths, never the text.
 */
export function recordBytes(record: object): number {
  let bytes = RECORD_OVERHEAD;
  const fields = record as Record<string, unknown>;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === 'string') bytes += value.length;
    else if (value instanceof CapturedJson) bytes += value.json.length;
    else if (typeof value === 'object' && value !== null) bytes += plainDataBytes(value);
  }
  return bytes;
}

/**
 * Never less than {@link recordBytes} of the record the spool line holds: all of that record's
 * text is in the line, quoted and escaped.
 */
export function spoolLineBytes(line: string): number {
  return line.length + RECORD_OVERHEAD;
}

/**
 * The most {@link recordBytes} can be for a record built under these caps, in UTF-8 bytes: a row
 * holds at most two captured values (inputs and outputs, or trigger data and metadata), an error
 * message and a stack. Names and ids are not capped; they are short in practice.
 */
export function largestRecordBytes(caps: { maxDataSize: number; maxErrorMessageSize: number; maxErrorStackSize: number }): number {
  return 2 * caps.maxDataSize + caps.maxErrorMessageSize + caps.maxErrorStackSize + RECORD_OVERHEAD;
}

/** A data value that is not captured text (a spool line of an earlier release, a caller of the writer's own): its JSON's length. */
function plainDataBytes(value: object): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0; // it cannot be stored either: the store sets it aside
  }
}

/**
 * Lines carry `"v":2`: their data fields hold the data's JSON as a string, the text the logger
 * captured, so that spooling never parses it back and the store writes it as it is. Lines
 * without `v` were written by earlier releases, with data fields as JSON values: they are read
 * as they are, and the store encodes those values as it always did.
 */
const LINE_VERSION = 2;

/** The line of a segment file that holds `record`, without its newline. */
export function encodeSpoolLine(record: SpoolRecord): string {
  const head = `{"v":${LINE_VERSION},"q":${record.q},"t":"${record.t}"`;
  const fields = DATA_FIELDS[record.t];
  switch (record.t) {
    case 'E':
    case 'S':
    case 'D':
      return `${head},"r":${JSON.stringify(withDataAsText(record.r, fields))}}`;
    case 'e':
    case 's':
      return `${head},"id":${JSON.stringify(record.id)},"p":${JSON.stringify(withDataAsText(record.p, fields))}}`;
  }
}

/** The record a line holds, or null when it is not one (torn by a crash, damaged, or of an unknown version). */
export function parseSpoolLine(line: string): SpoolRecord | null {
  let record: (SpoolRecord & { v?: unknown }) | null;
  try {
    record = JSON.parse(line) as (SpoolRecord & { v?: unknown }) | null;
  } catch {
    return null;
  }
  if (typeof record !== 'object' || record === null || typeof record.q !== 'number') return null;
  let body: Record<string, unknown>;
  switch (record.t) {
    case 'E':
    case 'S':
      if (!isObject(record.r) || typeof record.r.id !== 'string') return null;
      body = record.r as unknown as Record<string, unknown>;
      break;
    case 'D':
      if (!isObject(record.r) || typeof record.r.hash !== 'string') return null;
      body = record.r as unknown as Record<string, unknown>;
      break;
    case 'e':
    case 's':
      if (typeof record.id !== 'string' || !isObject(record.p)) return null;
      body = record.p as Record<string, unknown>;
      break;
    default:
      return null;
  }
  if (record.v === undefined) return record;
  return record.v === LINE_VERSION && reviveData(body, DATA_FIELDS[record.t]) ? record : null;
}

/** `record` with its data fields as JSON text: a shallow copy when it has any, else the record itself. */
function withDataAsText<T extends object>(record: T, fields: readonly string[]): T {
  let copy: Record<string, unknown> | null = null;
  for (const field of fields) {
    const value = (record as Record<string, unknown>)[field];
    if (value === undefined || value === null) continue;
    copy ??= { ...(record as Record<string, unknown>) };
    // Captured data is JSON text already; a plain value (a caller of the writer's own) is encoded here, once.
    copy[field] = value instanceof CapturedJson ? value.json : JSON.stringify(value);
  }
  return (copy ?? record) as T;
}

/** In place, on a record fresh from `JSON.parse`: each data field's text becomes a CapturedJson. False if one is not text. */
function reviveData(body: Record<string, unknown>, fields: readonly string[]): boolean {
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return false;
    body[field] = new CapturedJson(value);
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
