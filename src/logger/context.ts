import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExecutionLogger } from './ExecutionLogger';

/** What the logger knows about a running execution; shared by all its (possibly parallel) steps. */
export interface ExecutionState {
  readonly id: string;
  readonly startedAt: number;
  /** Next step_index to hand out; taken synchronously at step start, so indexes follow start order. */
  nextStepIndex: number;
}

/**
 * The execution context that travels with the async call. Each workflow call runs its body
 * inside its own context, so concurrent workflows never see each other's state.
 */
export interface ExecutionContext {
  readonly logger: ExecutionLogger;
  readonly execution: ExecutionState;
  /** The step whose body is running now: the parent step of a workflow started inside it. */
  readonly stepId: string | null;
}

export const executionContext = new AsyncLocalStorage<ExecutionContext>();

/** The execution the current async call belongs to, if any. */
export function currentExecution(): { executionId: string; stepId: string | null } | undefined {
  const context = executionContext.getStore();
  return context && { executionId: context.execution.id, stepId: context.stepId };
}
