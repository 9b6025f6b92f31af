import type { TriggerType } from '../../entities';
import { WorkflowGraphError } from '../../errors';
import { LoggedNode } from '../../decorators';
import type { NodeContext, NodeInputs, NodeOutputs, Workflow } from '../types';
import { WorkflowNode, workflowNodeStep } from '../WorkflowNode';
import { WorkflowRunner } from '../WorkflowRunner';

/** Optional settings of a SubWorkflowNode. */
export interface SubWorkflowNodeOptions {
  /**
   * The child node whose outputs become this node's outputs. Without it, this node has one
   * output, `outputs`: the child's outputs by node id.
   */
  output?: string;
  /** The child's trigger type. @default 'internal_event' */
  triggerType?: TriggerType;
}

/**
 * Runs another workflow, with this node's inputs as its trigger data, on the runner running this
 * node. The child run is its own execution, linked to this step (`parent_execution_id`,
 * `parent_step_id`) by the execution context; aborting the parent aborts it.
 */
export class SubWorkflowNode extends WorkflowNode {
  readonly type = 'sub-workflow';
  readonly workflow: Workflow;
  private readonly output: string | undefined;
  private readonly triggerType: TriggerType;

  constructor(id: string, label: string, workflow: Workflow, options: SubWorkflowNodeOptions = {}) {
    super(id, label, options.output === undefined ? { outputNames: ['outputs'] } : {});
    if (options.output !== undefined && !workflow.nodes.some((node) => node.id === options.output)) {
      throw new WorkflowGraphError(id, `SubWorkflowNode "${id}": workflow "${workflow.id}" has no node "${options.output}"`);
    }
    this.workflow = workflow;
    this.output = options.output;
    this.triggerType = options.triggerType ?? 'internal_event';
  }

  @LoggedNode(workflowNodeStep)
  async execute(inputs: NodeInputs, ctx?: NodeContext): Promise<NodeOutputs> {
    // Called outside a run (a unit test of the node), there is no runner to share: use a fresh one.
    const runner = ctx?.runner ?? new WorkflowRunner();
    const result = await runner.run(this.workflow, { type: this.triggerType, data: inputs }, { signal: ctx?.signal });
    if (this.output === undefined) return { outputs: result.outputs };
    // A skipped output node produced nothing: nothing fires downstream either.
    return result.outputs[this.output] ?? {};
  }
}
