import type { TriggerType } from '../entities';

// The parameters of the imperative API (`ExecutionLogger.startExecution`, `startNode`, `skipNode`,
// `reuseNode`): types only, so the decorators and sites can name them without the recorder.

export interface StartExecutionParams {
  workflowId: string;
  workflowName: string;
  /** @default 'manual' */
  triggerType?: TriggerType;
  triggerData?: unknown;
  metadata?: unknown;
  /** Tags to find the run by (see `TagSet` for the limits); more can be added while it runs. */
  tags?: Record<string, string | number | boolean | bigint>;
  parentExecutionId?: string | null;
  parentStepId?: string | null;
  /** The step this execution replays (`replayStep(…, { record: true })` sets it). */
  replayOfStepId?: string | null;
  /**
   * The execution this one re-runs, and its step of the node the re-run started from (see
   * `WorkflowRunner.rerun`); an engine of its own that re-runs part of a run may set them too.
   */
  forkedFromExecutionId?: string | null;
  forkedFromStepId?: string | null;
  /**
   * The workflow's definition: stored once per hash (the first execution of it in this logger
   * queues it with its own insert), and its hash recorded as the execution's `definitionHash`.
   * `json` is the canonical JSON `hash` is the sha256 of, in the runner's `WorkflowShape` format
   * (what `flowtrail show --graph` draws).
   */
  definition?: WorkflowDefinitionParams;
}

/** A workflow definition as `StartExecutionParams.definition` takes it. */
export interface WorkflowDefinitionParams {
  hash: string;
  workflowId: string;
  json: string;
}

export interface StartNodeParams {
  /** The execution the step belongs to; defaults to the one the current async call runs in. */
  executionId?: string;
  nodeId: string;
  nodeType: string;
  nodeName?: string | null;
  inputData?: unknown;
}

export interface SkipNodeParams extends Omit<StartNodeParams, 'inputData'> {
  /** Why the node did not run; stored as the step's message. */
  reason?: string;
}

/** A step of a re-run whose node did not run: its result is another step's, copied. */
export interface ReuseNodeParams extends StartNodeParams {
  /** The step whose result is reused. */
  reusedFromStepId: string;
  /** Its recorded output (already captured data: stored as it is, not captured again). */
  outputData?: unknown;
}
