import { CapturedJson } from '../capture/CapturedJson';
import type { WriteBatch } from '../store/types';
import { DEFINITION_DATA, EXECUTION_DATA, EXECUTION_PATCH_DATA, STEP_DATA, STEP_PATCH_DATA } from './records';

/*
 * A WriteBatch as it crosses to the writer thread. Structured clone keeps plain data but not
 * classes: a CapturedJson arrives as a plain `{ json }` object. So every data value is made a
 * CapturedJson before it leaves (plain values come from spool lines of earlier releases and from
 * callers of the writer's own), and every data value that arrives is one, wrapped back. Rows
 * already in that form, the usual case (spooled ones included), cross as they are, without a copy.
 */

/** Before the batch is posted to the thread. */
export function toWire(batch: WriteBatch): WriteBatch {
  return {
    definitions: batch.definitions?.map((row) => captured(row, DEFINITION_DATA)),
    executions: batch.executions?.map((row) => captured(row, EXECUTION_DATA)),
    steps: batch.steps?.map((row) => captured(row, STEP_DATA)),
    executionUpdates: batch.executionUpdates?.map((update) => withPatch(update, EXECUTION_PATCH_DATA)),
    stepUpdates: batch.stepUpdates?.map((update) => withPatch(update, STEP_PATCH_DATA)),
  };
}

/** On the thread, once the batch has arrived. */
export function fromWire(batch: WriteBatch): WriteBatch {
  for (const row of batch.definitions ?? []) revive(row, DEFINITION_DATA);
  for (const row of batch.executions ?? []) revive(row, EXECUTION_DATA);
  for (const row of batch.steps ?? []) revive(row, STEP_DATA);
  for (const { patch } of batch.executionUpdates ?? []) revive(patch, EXECUTION_PATCH_DATA);
  for (const { patch } of batch.stepUpdates ?? []) revive(patch, STEP_PATCH_DATA);
  return batch;
}

function withPatch<P extends object>(update: { id: string; patch: P }, fields: readonly string[]): { id: string; patch: P } {
  const patch = captured(update.patch, fields);
  return patch === update.patch ? update : { id: update.id, patch };
}

/** The record itself when its data values are all CapturedJson already, else a copy where they are. */
function captured<T extends object>(record: T, fields: readonly string[]): T {
  let copy: Record<string, unknown> | null = null;
  for (const field of fields) {
    const value = (record as Record<string, unknown>)[field];
    if (value === undefined || value === null || value instanceof CapturedJson) continue;
    const json = JSON.stringify(value);
    copy ??= { ...record } as Record<string, unknown>;
    copy[field] = json === undefined ? undefined : new CapturedJson(json);
  }
  return (copy ?? record) as T;
}

/** In place: the batch is the thread's own, fresh from the clone. */
function revive(record: object, fields: readonly string[]): void {
  const target = record as Record<string, unknown>;
  for (const field of fields) {
    const value = target[field] as { json?: unknown } | null | undefined;
    if (value !== null && typeof value === 'object' && typeof value.json === 'string') target[field] = new CapturedJson(value.json);
  }
}
