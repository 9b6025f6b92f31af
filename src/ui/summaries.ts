import type { ExecutionStep, WorkflowExecution } from '../entities';
import type { StepOutline } from '../store';

/** An execution as the viewer lists it: every column but its payloads (trigger data, metadata, stack). */
export type ExecutionSummary = Omit<WorkflowExecution, 'triggerData' | 'metadata' | 'errorStack' | 'steps'> & {
  hasTriggerData: boolean;
  hasMetadata: boolean;
};

export function summarizeExecution(execution: WorkflowExecution): ExecutionSummary {
  const { triggerData, metadata, errorStack: _stack, steps: _steps, ...rest } = execution;
  return { ...rest, hasTriggerData: triggerData != null, hasMetadata: metadata != null };
}

/** A step read whole (a live event, a matching step) as `getStepOutlines` reads one. */
export function summarizeStep(step: ExecutionStep): StepOutline {
  const { inputData, outputData, errorStack, execution: _execution, ...rest } = step;
  return { ...rest, hasInput: inputData != null, hasOutput: outputData != null, hasErrorStack: errorStack != null };
}
