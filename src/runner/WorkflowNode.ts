import type { LoggedNodeOptions } from '../decorators';
import type { NodeContext, NodeInputs, NodeOutputs } from './types';

/**
 * A node of a workflow graph. Subclasses implement `execute` and decorate it with
 * `@LoggedNode(workflowNodeStep)`, which makes each call one recorded step; the runner itself
 * records nothing.
 *
 * Nodes are shared by every run of their workflow, possibly at the same time: keep per-run
 * state in `execute`'s locals, never in fields.
 */
export abstract class WorkflowNode {
  /** Stored as the step's `node_type`. */
  abstract readonly type: string;
  /**
   * Inputs this node cannot run without. Each must be fed by a connection (a root node may
   * require `trigger`), else the workflow fails validation; at run time, a required input that
   * its upstream did not produce (an untaken branch) makes the node skipped.
   */
  readonly requiredInputs: readonly string[];
  /**
   * The outputs this node can produce, when it knows them: a connection from any other output
   * then fails validation. Undefined: any name is accepted.
   */
  readonly outputNames: readonly string[] | undefined;

  constructor(
    /** Unique within its workflow; stored as the step's `node_id`. */
    readonly id: string,
    /** Human name, stored as the step's `node_name`. */
    readonly label: string,
    declared: { requiredInputs?: readonly string[]; outputNames?: readonly string[] } = {},
  ) {
    this.requiredInputs = declared.requiredInputs ?? [];
    this.outputNames = declared.outputNames;
  }

  /**
   * Runs the node once. Each key of the returned object is a named output; an output it does
   * not return does not fire, so nodes connected only to it are skipped (that is how a branch
   * is not taken). Reject with `ctx.signal.reason` when the signal fires.
   */
  abstract execute(inputs: NodeInputs, ctx?: NodeContext): NodeOutputs | Promise<NodeOutputs>;
}

/**
 * `@LoggedNode` options for `WorkflowNode.execute`: record the inputs object as the step's input,
 * not the `[inputs, ctx]` argument list (the context holds a signal and the runner, not data).
 */
export const workflowNodeStep: LoggedNodeOptions = {
  inputs: (_self, args: unknown[]) => args[0],
};
