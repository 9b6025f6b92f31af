import { CapturedJson } from '../capture/CapturedJson';
import type { ExecutionPatch, NewExecution, NewStep, StepPatch } from './types';

/**
 * Column lists for the raw multi-row writes. Property → column names come only from here, never
 * from the caller, so nothing user-supplied is ever spliced into SQL.
 */
type Encoder<T> = readonly [column: string, read: (row: T) => unknown][];

const json = (value: unknown): string | null => {
  if (value === undefined || value === null) return null;
  return value instanceof CapturedJson ? value.json : JSON.stringify(value);
};
const orNull = (value: unknown): unknown => (value === undefined ? null : value);

export const executionColumns: Encoder<NewExecution & { id: string }> = [
  ['id', (r) => r.id],
  ['workflow_id', (r) => r.workflowId],
  ['workflow_name', (r) => r.workflowName],
  ['trigger_type', (r) => r.triggerType],
  ['trigger_data', (r) => json(r.triggerData)],
  ['status', (r) => r.status],
  ['started_at', (r) => r.startedAt],
  ['completed_at', (r) => orNull(r.completedAt)],
  ['duration_ms', (r) => orNull(r.durationMs)],
  ['error_message', (r) => orNull(r.errorMessage)],
  ['error_stack', (r) => orNull(r.errorStack)],
  ['metadata', (r) => json(r.metadata)],
  ['parent_execution_id', (r) => orNull(r.parentExecutionId)],
  ['parent_step_id', (r) => orNull(r.parentStepId)],
  ['instance_id', (r) => orNull(r.instanceId)],
];

export const stepColumns: Encoder<NewStep & { id: string }> = [
  ['id', (r) => r.id],
  ['execution_id', (r) => r.executionId],
  ['node_id', (r) => r.nodeId],
  ['node_type', (r) => r.nodeType],
  ['node_name', (r) => orNull(r.nodeName)],
  ['step_index', (r) => r.stepIndex],
  ['started_at', (r) => r.startedAt],
  ['completed_at', (r) => orNull(r.completedAt)],
  ['duration_ms', (r) => orNull(r.durationMs)],
  ['status', (r) => r.status],
  ['input_data', (r) => json(r.inputData)],
  ['output_data', (r) => json(r.outputData)],
  ['error_message', (r) => orNull(r.errorMessage)],
  ['error_stack', (r) => orNull(r.errorStack)],
  ['instance_id', (r) => orNull(r.instanceId)],
];

const executionPatchColumns: Record<keyof ExecutionPatch, [string, (value: unknown) => unknown]> = {
  status: ['status', orNull],
  completedAt: ['completed_at', orNull],
  durationMs: ['duration_ms', orNull],
  errorMessage: ['error_message', orNull],
  errorStack: ['error_stack', orNull],
  metadata: ['metadata', json],
};

const stepPatchColumns: Record<keyof StepPatch, [string, (value: unknown) => unknown]> = {
  status: ['status', orNull],
  completedAt: ['completed_at', orNull],
  durationMs: ['duration_ms', orNull],
  inputData: ['input_data', json],
  outputData: ['output_data', json],
  errorMessage: ['error_message', orNull],
  errorStack: ['error_stack', orNull],
};

export interface PatchSql {
  columns: string[];
  values: unknown[];
}

/** The SET list of a patch: keys whose value is `undefined` are left unchanged. */
export function executionPatchSql(patch: ExecutionPatch): PatchSql {
  return patchSql(patch, executionPatchColumns);
}

export function stepPatchSql(patch: StepPatch): PatchSql {
  return patchSql(patch, stepPatchColumns);
}

function patchSql<P extends object>(patch: P, map: Record<keyof P, [string, (value: unknown) => unknown]>): PatchSql {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(map) as (keyof P)[]) {
    const value = patch[key];
    if (value === undefined) continue;
    const [column, encode] = map[key];
    columns.push(column);
    values.push(encode(value));
  }
  return { columns, values };
}
