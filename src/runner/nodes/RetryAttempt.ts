import { LoggedNode } from '../../decorators';
import type { NodeContext, NodeInputs, NodeOutputs } from '../types';
import { workflowNodeStep } from '../WorkflowNode';

/** One try of a RetryNode's action. */
export type RetryAction = (inputs: NodeInputs, ctx: NodeContext | undefined, attempt: number) => NodeOutputs | Promise<NodeOutputs>;

/**
 * One attempt of a RetryNode, made per call so that each attempt is its own `@LoggedNode` step
 * (nested in the RetryNode's step) with its own success or error: node id `<retry id>#<n>`.
 */
export class RetryAttempt {
  readonly type = 'retry-attempt';
  readonly id: string;
  readonly label: string;

  constructor(
    parent: { id: string; label: string },
    private readonly attempt: number,
    attempts: number,
    private readonly action: RetryAction,
  ) {
    this.id = `${parent.id}#${attempt}`;
    this.label = `${parent.label} (attempt ${attempt}/${attempts})`;
  }

  @LoggedNode(workflowNodeStep)
  execute(inputs: NodeInputs, ctx?: NodeContext): NodeOutputs | Promise<NodeOutputs> {
    return this.action(inputs, ctx, this.attempt);
  }
}
