import { AsyncLocalStorage } from 'node:async_hooks';
import type { FlowSpan } from '../otel/FlowSpan';
import type { ExecutionLogger } from './ExecutionLogger';
import type { TagSet } from './TagSet';

/** What the logger knows about a running execution; shared by all its (possibly parallel) steps. */
export interface ExecutionState {
  readonly id: string;
  readonly startedAt: number;
  /** Next step_index to hand out; taken synchronously at step start, so indexes follow start order. */
  nextStepIndex: number;
  /** Its tags so far; null until it has one. */
  tags: TagSet | null;
  /** The span flowtrail started for it (`otel.spans`), else null. */
  readonly span: FlowSpan | null;
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

/** What {@link currentExecution} returns: where the call runs, and a way to tag its execution. */
export interface CurrentExecution {
  readonly executionId: string;
  /** The step whose body is running, or null in the workflow's own body. */
  readonly stepId: string | null;
  /**
   * Tags the execution (`listExecutions({ tags })` finds it by them), written at once as an
   * update of the execution carrying all its tags so far; a key tagged again takes the new value.
   * Never throws: a tag that does not fit the limits (see the docs: 32 keys, keys 1–64 and values
   * up to 256 characters, values strings, numbers, booleans or bigints) is dropped and counted in
   * `logger.stats().tagsDropped`. A key the logger redacts stores `[REDACTED]`.
   * @returns whether the tag was kept.
   */
  tag(key: string, value: string | number | boolean | bigint): boolean;
}

/** The execution the current async call belongs to, if any. */
export function currentExecution(): CurrentExecution | undefined {
  const context = executionContext.getStore();
  if (context === undefined) return undefined;
  const { logger, execution } = context;
  return { executionId: execution.id, stepId: context.stepId, tag: (key, value) => logger.tagExecution(execution, key, value) };
}
