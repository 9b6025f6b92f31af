import type { TriggerType } from '../entities';
import type { StartExecutionParams } from './recordParams';

/** What `@LoggedWorkflow`'s `origin` gives: the execution's definition and what it re-runs. */
export type ExecutionOrigin = Pick<StartExecutionParams, 'definition' | 'forkedFromExecutionId' | 'forkedFromStepId'>;

// What a decorator knows about the method it wraps, resolved once when the class is decorated;
// the recorder reads it on every call.

/** Static description of a decorated workflow method, resolved once per method. @internal */
export interface WorkflowSite {
  workflowId(self: unknown, args: unknown[]): string;
  workflowName(self: unknown, args: unknown[]): string;
  triggerType(self: unknown, args: unknown[]): TriggerType;
  triggerData(self: unknown, args: unknown[]): unknown;
  metadata(self: unknown, args: unknown[]): unknown;
  /** Tags at the start; null when the decorator gives none (nothing to evaluate per call). */
  tags: ((self: unknown, args: unknown[]) => unknown) | null;
  /** Where the execution comes from (its definition, the run it re-runs); null when the decorator says nothing. */
  origin: ((self: unknown, args: unknown[]) => ExecutionOrigin | undefined) | null;
  /**
   * Whether calls return promises: known up front for an `async` function, else learned from the
   * first result. Lets strict mode persist the start, and backpressure wait, before the body runs.
   */
  returnsPromise: boolean;
  /** The class of the promises calls returned (learned), for the promises the wrapper makes itself. */
  promiseClass?: PromiseConstructor;
}

/** Static description of a decorated node method. @internal */
export interface NodeSite {
  nodeId(self: unknown): string;
  nodeType(self: unknown): string;
  nodeName(self: unknown): string | null;
  inputs(self: unknown, args: unknown[]): unknown;
  outputs(result: unknown, self: unknown): unknown;
  returnsPromise: boolean;
  promiseClass?: PromiseConstructor;
}
