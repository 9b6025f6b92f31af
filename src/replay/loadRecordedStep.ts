import { ExecutionStep, type WorkflowExecution } from '../entities';
import { ReplayError } from '../errors';
import type { ExecutionStore } from '../store/ExecutionStore';

/** A recorded step as replay reads it. */
export interface RecordedStep {
  step: ExecutionStep;
  /** Its execution; null only if it was removed between the two reads. */
  execution: WorkflowExecution | null;
  /**
   * Whether an input was stored. The entity reads SQL NULL (nothing captured: `captureInputs:
   * false`, or a call with no arguments) and a captured `null` alike; the column tells them apart.
   */
  inputStored: boolean;
  /** The same for the output: SQL NULL when the call returned undefined or outputs were not captured. */
  outputStored: boolean;
}

/** The step with this id and its execution. @throws ReplayError `not-found` */
export async function loadRecordedStep(store: ExecutionStore, stepId: string): Promise<RecordedStep> {
  // A NUL names no step, and PostgreSQL would refuse the query rather than find none.
  if (typeof stepId !== 'string' || stepId === '' || stepId.includes('\u0000')) {
    throw new ReplayError('not-found', String(stepId), 'no step has this id');
  }
  const step = await store.getStep(stepId);
  if (step === null) throw new ReplayError('not-found', stepId, 'no step has this id');
  const flags = await store.dataSource
    .getRepository(ExecutionStep)
    .createQueryBuilder('s')
    .select('CASE WHEN s.input_data IS NULL THEN 0 ELSE 1 END', 'input_stored')
    .addSelect('CASE WHEN s.output_data IS NULL THEN 0 ELSE 1 END', 'output_stored')
    .where('s.id = :id', { id: step.id })
    .getRawOne<{ input_stored: unknown; output_stored: unknown }>();
  return {
    step,
    execution: await store.getExecution(step.executionId),
    // Drivers return the flags as numbers, strings or bigints.
    inputStored: Number(flags?.input_stored) === 1,
    outputStored: Number(flags?.output_stored) === 1,
  };
}
