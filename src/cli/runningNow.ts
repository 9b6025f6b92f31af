import type { ExecutionStep, WorkflowExecution } from '../entities';

/** Where a running execution is now: the step it is in, and how long it has been running. */
export interface RunningNow {
  elapsedMs: number;
  /** The most recently started step still running; null between steps. */
  currentStep: { id: string; nodeId: string; nodeType: string; stepIndex: number; elapsedMs: number } | null;
  /** The last step started, running or not; null before the first. */
  lastNodeId: string | null;
}

/** Each running execution's current step and elapsed time, from its steps (any order). */
export function runningNow(
  executions: readonly WorkflowExecution[],
  stepsOf: ReadonlyMap<string, readonly ExecutionStep[]>,
  now: number,
): Record<string, RunningNow> {
  const result: Record<string, RunningNow> = {};
  for (const execution of executions) {
    if (execution.status !== 'running') continue;
    const steps = [...(stepsOf.get(execution.id) ?? [])].sort((a, b) => a.stepIndex - b.stepIndex);
    const current = steps.filter((step) => step.status === 'running').at(-1);
    result[execution.id] = {
      elapsedMs: Math.max(0, now - execution.startedAt),
      currentStep: current
        ? {
            id: current.id,
            nodeId: current.nodeId,
            nodeType: current.nodeType,
            stepIndex: current.stepIndex,
            elapsedMs: Math.max(0, now - current.startedAt),
          }
        : null,
      lastNodeId: steps.at(-1)?.nodeId ?? null,
    };
  }
  return result;
}
