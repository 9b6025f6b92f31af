import { LoggedNode } from '../../decorators';
import type { NodeContext, NodeInputs, NodeOutputs } from '../types';
import { WorkflowNode, workflowNodeStep } from '../WorkflowNode';

/** The body of a FunctionNode: named inputs in, named outputs out. */
export type NodeFunction = (inputs: NodeInputs, ctx: NodeContext | undefined) => NodeOutputs | Promise<NodeOutputs>;

/** Optional settings of a FunctionNode; see WorkflowNode for the declarations. */
export interface FunctionNodeOptions {
  /** Stored as `node_type`, to tell function nodes apart in the history. @default 'function' */
  type?: string;
  requiredInputs?: readonly string[];
  outputNames?: readonly string[];
}

/** A node whose work is a function. A sync function keeps the step sync. */
export class FunctionNode extends WorkflowNode {
  readonly type: string;
  private readonly fn: NodeFunction;

  constructor(id: string, label: string, fn: NodeFunction, options: FunctionNodeOptions = {}) {
    super(id, label, options);
    this.type = options.type ?? 'function';
    this.fn = fn;
  }

  @LoggedNode(workflowNodeStep)
  execute(inputs: NodeInputs, ctx?: NodeContext): NodeOutputs | Promise<NodeOutputs> {
    return this.fn(inputs, ctx);
  }
}
