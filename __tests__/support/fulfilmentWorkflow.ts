import { ConditionNode, defineWorkflow, FunctionNode, RetryNode, SubWorkflowNode, type Connection } from '../../src';
import { sleep } from './sleep';

const edge = (from: string, output: string, to: string, input = output): Connection => ({
  from: { node: from, output },
  to: { node: to, input },
});

/** The child run of `invoice`: two nodes one after the other. */
export const taxWorkflow = defineWorkflow({
  id: 'tax',
  name: 'Tax',
  nodes: [
    new FunctionNode('rate', 'Look up rate', async () => ({ rate: 0.2 }), { requiredInputs: ['trigger'] }),
    new FunctionNode('apply', 'Apply rate', async ({ rate }) => ({ tax: (rate as number) * 100 }), { requiredInputs: ['rate'] }),
  ],
  connections: [edge('rate', 'rate', 'apply')],
});

/**
 * Every shape the timeline draws apart, run by the real runner: `validate`, then `price` and
 * `stock` in parallel (each waits, so they overlap), a retry `crm` whose first try fails, a
 * condition `large` that takes `false` (so `review` is skipped), and `invoice`, a sub-workflow.
 */
export const fulfilmentWorkflow = defineWorkflow({
  id: 'fulfilment',
  name: 'Fulfilment',
  nodes: [
    new FunctionNode('validate', 'Validate', async ({ trigger }) => ({ order: trigger }), { requiredInputs: ['trigger'] }),
    new FunctionNode('price', 'Price', async () => (await sleep(60), { total: 100 }), { requiredInputs: ['order'] }),
    new FunctionNode('stock', 'Stock', async () => (await sleep(60), { reservation: 'AMS-1' }), { requiredInputs: ['order'] }),
    new RetryNode(
      'crm',
      'CRM sync',
      (_inputs, _ctx, attempt) => {
        if (attempt === 1) throw new Error('CRM busy');
        return { account: 'acc-7' };
      },
      { attempts: 3, backoffMs: 5, requiredInputs: ['total'] },
    ),
    new ConditionNode('large', 'Large order?', () => false),
    new FunctionNode('review', 'Manual review', async () => ({ approved: true }), { requiredInputs: ['true'] }),
    new FunctionNode('auto', 'Auto-approve', async () => ({ approved: true }), { requiredInputs: ['false'] }),
    new SubWorkflowNode('invoice', 'Invoice', taxWorkflow, { output: 'apply' }),
  ],
  connections: [
    edge('validate', 'order', 'price'),
    edge('validate', 'order', 'stock'),
    edge('price', 'total', 'crm'),
    edge('stock', 'reservation', 'large'),
    edge('large', 'true', 'review'),
    edge('large', 'false', 'auto'),
    edge('crm', 'account', 'invoice'),
  ],
});

/** `charge` fails, so `notify` after it never runs: no step at all, `not run` in the graph. */
export const brokenWorkflow = defineWorkflow({
  id: 'broken',
  name: 'Broken',
  nodes: [
    new FunctionNode(
      'charge',
      'Charge',
      async () => {
        throw new Error('card declined');
      },
      { requiredInputs: ['trigger'] },
    ),
    new FunctionNode('notify', 'Notify', async () => ({ sent: true }), { requiredInputs: ['receipt'] }),
  ],
  connections: [edge('charge', 'receipt', 'notify')],
});

/**
 * A run followed live: `hold` waits for `started`, then `invoice` starts its child (taxWorkflow),
 * then `close` waits for `finished`. Between the two, the run is `running` with a new child.
 */
export function heldInvoicingWorkflow(started: Promise<void>, finished: Promise<void>) {
  return defineWorkflow({
    id: 'held-invoicing',
    name: 'Held invoicing',
    nodes: [
      new FunctionNode('hold', 'Hold', async ({ trigger }) => (await started, { order: trigger }), { requiredInputs: ['trigger'] }),
      new SubWorkflowNode('invoice', 'Invoice', taxWorkflow, { output: 'apply' }),
      new FunctionNode('close', 'Close', async ({ tax }) => (await finished, { closed: tax }), { requiredInputs: ['tax'] }),
    ],
    connections: [edge('hold', 'order', 'invoice'), edge('invoice', 'tax', 'close')],
  });
}
