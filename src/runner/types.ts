import type { TriggerType } from '../entities';
import type { WorkflowNode } from './WorkflowNode';
import type { WorkflowRunner } from './WorkflowRunner';

/** The named values a node receives: one per connected input, plus `trigger` for root nodes. */
export type NodeInputs = Record<string, unknown>;

/** The named values a node produces; each key is an output that connections can read. */
export type NodeOutputs = Record<string, unknown>;

/** What the runner gives a node besides its inputs. A new one per node call. */
export interface NodeContext {
  /**
   * Fires when the run is timed out, cancelled or failed by another node. Its `reason` is the
   * error to reject with, so the step records why it stopped.
   */
  readonly signal: AbortSignal;
  /** The runner executing this node: sub-workflows run on it, so they join the same history. */
  readonly runner: WorkflowRunner;
  /** The workflow this node runs in. */
  readonly workflowId: string;
}

/** One edge of the graph: the `output` of node `from.node` feeds input `to.input` of `to.node`. */
export interface Connection {
  readonly from: { readonly node: string; readonly output: string };
  readonly to: { readonly node: string; readonly input: string };
}

/** A workflow definition: a DAG of nodes. Plain data, reusable for any number of concurrent runs. */
export interface Workflow {
  readonly id: string;
  readonly name: string;
  readonly nodes: readonly WorkflowNode[];
  readonly connections: readonly Connection[];
}

/** What started a run. `data` reaches every root node as its `trigger` input. */
export interface Trigger {
  readonly type: TriggerType;
  readonly data?: unknown;
}

/** Per-run limits of `WorkflowRunner.run`. */
export interface RunOptions {
  /** Abort the run after this many ms: it rejects with WorkflowTimeoutError. */
  readonly timeoutMs?: number;
  /** Abort the run when this fires: it rejects with WorkflowCancelledError. */
  readonly signal?: AbortSignal;
  /**
   * After an abort, how long to wait for running nodes to settle (they see `ctx.signal`) before
   * rejecting anyway. A node that ignores the signal is recorded when it finally settles.
   * @default 1000
   */
  readonly abortGraceMs?: number;
  /** Tags of the run's execution, to find it by (as `@LoggedWorkflow`'s `tags`). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** `WorkflowRunner.rerun`'s options: where to start, and the run's limits as `run()` takes them. */
export interface RerunOptions extends RunOptions {
  /** The node to run again from: it and everything downstream of it run, the rest is reused. */
  readonly from: string;
  /** The inputs `from` receives instead of those its upstream recorded (a root node's: `{ trigger: … }`). */
  readonly input?: NodeInputs;
  /** Run even though the workflow's definition is not the one stored for the execution, or none is stored. @default false */
  readonly force?: boolean;
}

/** What a successful run returns. */
export interface RunResult {
  /** The outputs of every node that ran, by node id. */
  readonly outputs: Record<string, NodeOutputs>;
  /** Ids of the nodes that did not run because their branch was not taken, in skip order. */
  readonly skipped: readonly string[];
}
