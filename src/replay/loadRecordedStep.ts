import type { ExecutionStep, WorkflowExecution } from '../entities';
import { ReplayError } from '../errors';
import type { ExecutionStore } from '../store/ExecutionStore';

/** A recorded step as replay reads it. */
export interface RecordedStep {
  step: ExecutionStep;
  /** Its execution; null only if it was removed between the two reads. */
  execution: WorkflowExecution | null;
  /**
   * Whether the step holds an input. Null reads the same whether nothing was captured
   * (`captureInputs: false`, a call with no arguments) or the argument was null: replay takes it
   * for the first, and `args` says otherwise.
   */
  inputStored: boolean;
}

/** The step with this id and its execution. @throws ReplayError `not-found` */
export async function loadRecordedStep(store: ExecutionStore, stepId: string): Promise<RecordedStep> {
  // A NUL names no step, and PostgreSQL would refuse the query rather than find none.
  if (typeof stepId !== 'string' || stepId === '' || stepId.includes('\u0000')) {
    throw new ReplayError('not-found', String(stepId), 'no step has this id');
  }
  const step = await store.getStep(stepId);
  if (step === null) throw new ReplayError('not-found', stepId, 'no step has this id');
  return {
    step,
    execution: await store.getExecution(step.executionId),
    inputStored: step.inputData !== null && step.inputData !== undefined,
  };
}
