import { LoggedNode } from '../../decorators';
import type { NodeContext, NodeInputs, NodeOutputs } from '../types';
import { WorkflowNode, workflowNodeStep } from '../WorkflowNode';

/** Decides a ConditionNode's branch from its inputs. */
export type Predicate = (inputs: NodeInputs, ctx: NodeContext | undefined) => boolean | Promise<boolean>;

/**
 * Routes its inputs to output `true` or `false`. The other output does not fire, so the nodes
 * that depend only on it are skipped (recorded as `skipped` steps).
 */
export class ConditionNode extends WorkflowNode {
  readonly type = 'condition';
  private readonly predicate: Predicate;

  constructor(id: string, label: string, predicate: Predicate) {
    super(id, label, { outputNames: ['true', 'false'] });
    this.predicate = predicate;
  }

  @LoggedNode(workflowNodeStep)
  async execute(inputs: NodeInputs, ctx?: NodeContext): Promise<NodeOutputs> {
    const verdict = await this.predicate(inputs, ctx);
    return { [verdict ? 'true' : 'false']: inputs };
  }
}
