import { LoggedNode } from '../../decorators';
import { sleep } from '../abort';
import type { NodeContext, NodeInputs, NodeOutputs } from '../types';
import { WorkflowNode, workflowNodeStep } from '../WorkflowNode';

/** Waits `ms`, then passes its inputs on unchanged as its outputs. Stops at once when the run is aborted. */
export class DelayNode extends WorkflowNode {
  readonly type = 'delay';
  readonly ms: number;

  constructor(id: string, label: string, ms: number) {
    super(id, label);
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`DelayNode "${id}": ms must be a finite number >= 0, got ${ms}`);
    this.ms = ms;
  }

  @LoggedNode(workflowNodeStep)
  async execute(inputs: NodeInputs, ctx?: NodeContext): Promise<NodeOutputs> {
    await sleep(this.ms, ctx?.signal);
    return inputs;
  }
}
