import { CapturedJson } from '../capture/CapturedJson';
import type { ExecutionPatch, NewExecution, NewStep, StepPatch, WriteBatch } from '../store/types';

/**
 * A WriteBatch as it crosses to the writer thread. Structured clone keeps plain data but not
 * classes, so every data column travels as its JSON text (a string, or null / absent) and is
 * wrapped back into CapturedJson on the other side. Data that arrives as a plain value (records
 * read back from the spool) is encoded here too, so on the wire a string is always JSON text.
 */
export type WireBatch = WriteBatch;

const EXECUTION_DATA = ['triggerData', 'metadata'] as const;
const STEP_DATA = ['inputData', 'outputData'] as const;

export function toWire(batch: WriteBatch): WireBatch {
  return {
    executions: batch.executions?.map((row) => encodeFields(row, EXECUTION_DATA)),
    steps: batch.steps?.map((row) => encodeFields(row, STEP_DATA)),
    executionUpdates: batch.executionUpdates?.map(({ id, patch }) => ({ id, patch: encodeFields(patch, ['metadata'] as const) })),
    stepUpdates: batch.stepUpdates?.map(({ id, patch }) => ({ id, patch: encodeFields(patch, STEP_DATA) })),
  };
}

export function fromWire(batch: WireBatch): WriteBatch {
  return {
    executions: batch.executions?.map((row) => decodeFields<NewExecution & { id: string }>(row, EXECUTION_DATA)),
    steps: batch.steps?.map((row) => decodeFields<NewStep & { id: string }>(row, STEP_DATA)),
    executionUpdates: batch.executionUpdates?.map(({ id, patch }) => ({ id, patch: decodeFields<ExecutionPatch>(patch, ['metadata'] as const) })),
    stepUpdates: batch.stepUpdates?.map(({ id, patch }) => ({ id, patch: decodeFields<StepPatch>(patch, STEP_DATA) })),
  };
}

function encodeFields<T extends object>(record: T, fields: readonly string[]): T {
  const copy = { ...record } as Record<string, unknown>;
  for (const field of fields) {
    const value = copy[field];
    if (value === undefined || value === null) continue;
    copy[field] = value instanceof CapturedJson ? value.json : JSON.stringify(value);
  }
  return copy as T;
}

function decodeFields<T>(record: object, fields: readonly string[]): T {
  const copy: Record<string, unknown> = record as Record<string, unknown>;
  for (const field of fields) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = new CapturedJson(value);
  }
  return copy as T;
}
