import type { ExecutionStep, WorkflowExecution } from '../entities';

/** An execution as the viewer lists it: every column but its payloads (trigger data, metadata, stack). */
export type ExecutionSummary = Omit<WorkflowExecution, 'triggerData' | 'metadata' | 'errorStack' | 'steps'> & {
  hasTriggerData: boolean;
  hasMetadata: boolean;
};

/**
 * A step as the timeline needs it: its payloads left out, with whether each exists. The inspector
 * fetches them one step at a time (`/api/executions/:id/steps/:stepId`), so an execution of a
 * thousand steps with large outputs costs one small response, not all of them.
 */
export type StepSummary = Omit<ExecutionStep, 'inputData' | 'outputData' | 'errorStack' | 'execution'> & {
  hasInput: boolean;
  hasOutput: boolean;
  hasErrorStack: boolean;
};

export function summarizeExecution(execution: WorkflowExecution): ExecutionSummary {
  const { triggerData, metadata, errorStack: _stack, steps: _steps, ...rest } = execution;
  return { ...rest, hasTriggerData: triggerData != null, hasMetadata: metadata != null };
}

export function summarizeStep(step: ExecutionStep): StepSummary {
  const { inputData, outputData, errorStack, execution: _execution, ...rest } = step;
  return { ...rest, hasInput: inputData != null, hasOutput: outputData != null, hasErrorStack: errorStack != null };
}
