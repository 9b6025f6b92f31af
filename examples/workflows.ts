/**
 * Example workflows for the demo: small, realistic graphs built from the runner's node types.
 * Each node's work is simulated by a short pause (5 to 30 ms), so the history has real durations.
 */
import {
  ConditionNode,
  currentExecution,
  DelayNode,
  FunctionNode,
  RetryNode,
  SubWorkflowNode,
  defineWorkflow,
  type Connection,
} from '../src';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const edge = (from: string, output: string, to: string, input = output): Connection => ({
  from: { node: from, output },
  to: { node: to, input },
});

/** What the order workflows are triggered with. */
export interface Order {
  orderId: string;
  customer: string;
  items: { sku: string; qty: number; unitPrice: number }[];
}

export function sampleOrder(n: number): Order {
  return {
    orderId: `ord-${1000 + n}`,
    customer: `customer-${n % 7}`,
    items: [
      { sku: 'KB-01', qty: 1 + (n % 3), unitPrice: 49.5 },
      { sku: 'MS-02', qty: 1, unitPrice: 19 },
    ],
  };
}

/** validate → [price, stock check] in parallel → merge. */
export const orderProcessing = defineWorkflow({
  id: 'order-processing',
  name: 'Order processing',
  nodes: [
    new FunctionNode(
      'validate',
      'Validate order',
      async ({ trigger }) => {
        await pause(5);
        const order = trigger as Order;
        if (!order?.items?.length) throw new Error('Order has no items');
        currentExecution()?.tag('orderId', order.orderId); // find the run by its order: list --tag orderId=…
        return { order };
      },
      { type: 'validate', requiredInputs: ['trigger'] },
    ),
    new FunctionNode(
      'price',
      'Compute price',
      async ({ order }) => {
        await pause(20);
        const total = (order as Order).items.reduce((sum, item) => sum + item.qty * item.unitPrice, 0);
        return { total: Math.round(total * 100) / 100 };
      },
      { type: 'pricing', requiredInputs: ['order'] },
    ),
    new FunctionNode(
      'stock',
      'Check stock',
      async ({ order }) => {
        await pause(25);
        return { reservation: { warehouse: 'AMS-1', lines: (order as Order).items.length } };
      },
      { type: 'inventory', requiredInputs: ['order'] },
    ),
    new FunctionNode(
      'merge',
      'Confirm order',
      async ({ total, reservation }) => {
        await pause(5);
        return { confirmation: { total, reservation, status: 'confirmed' } };
      },
      { type: 'merge', requiredInputs: ['total', 'reservation'] },
    ),
  ],
  connections: [
    edge('validate', 'order', 'price'),
    edge('validate', 'order', 'stock'),
    edge('price', 'total', 'merge'),
    edge('stock', 'reservation', 'merge'),
  ],
});

/** A payment that the (simulated) card issuer declines: the run fails in `charge`, `receipt` never runs. */
export const paymentCapture = defineWorkflow({
  id: 'payment-capture',
  name: 'Payment capture',
  nodes: [
    new FunctionNode('authorize', 'Authorize amount', async ({ trigger }) => (await pause(10), { payment: trigger }), { type: 'payment' }),
    new FunctionNode(
      'charge',
      'Charge card',
      async () => {
        await pause(15);
        throw new Error('Card declined by issuer (code 05)');
      },
      { type: 'payment' },
    ),
    new FunctionNode('receipt', 'Send receipt', () => ({ sent: true }), { type: 'email' }),
  ],
  connections: [edge('authorize', 'payment', 'charge'), edge('charge', 'charged', 'receipt')],
});

/** Refunds over 100 go to a manual review, others are approved at once; the other branch is skipped. */
export const refundApproval = defineWorkflow({
  id: 'refund-approval',
  name: 'Refund approval',
  nodes: [
    new ConditionNode('large', 'Over 100?', ({ trigger }) => (trigger as { amount: number }).amount > 100),
    new DelayNode('review', 'Manual review', 30),
    new FunctionNode(
      'auto',
      'Auto-approve',
      async ({ refund }) => (await pause(5), { decision: { ...(refund as object), approvedBy: 'policy' } }),
      { type: 'approve' },
    ),
    new FunctionNode('notify', 'Notify customer', async (inputs) => (await pause(5), { notified: Object.keys(inputs) }), { type: 'email' }),
  ],
  connections: [
    edge('large', 'true', 'review', 'refund'),
    edge('large', 'false', 'auto', 'refund'),
    edge('review', 'refund', 'notify', 'reviewed'),
    edge('auto', 'decision', 'notify', 'approved'),
  ],
});

/** Child of `invoiceRun`: the tax lookup runs as its own execution, linked to the parent's step. */
export const taxCalculation = defineWorkflow({
  id: 'tax-calculation',
  name: 'Tax calculation',
  nodes: [
    new FunctionNode('rate', 'Look up VAT rate', async ({ trigger }) => (await pause(10), { rate: 0.21, invoice: trigger }), {
      type: 'lookup',
    }),
    new FunctionNode(
      'apply',
      'Apply tax',
      ({ rate, invoice }) => {
        const net = (invoice as { net: number }).net;
        return { gross: Math.round(net * (1 + (rate as number)) * 100) / 100 };
      },
      { type: 'compute', requiredInputs: ['rate', 'invoice'] },
    ),
  ],
  connections: [edge('rate', 'rate', 'apply'), edge('rate', 'invoice', 'apply')],
});

/** load customer → tax (a sub-workflow) → send invoice. */
export const invoiceRun = defineWorkflow({
  id: 'invoice-run',
  name: 'Monthly invoice',
  nodes: [
    new FunctionNode('load', 'Load customer', async ({ trigger }) => (await pause(5), { net: (trigger as { net: number }).net }), {
      type: 'database',
    }),
    new SubWorkflowNode('tax', 'Compute tax', taxCalculation, { output: 'apply' }),
    new FunctionNode('send', 'Send invoice', async ({ gross }) => (await pause(5), { sent: true, gross }), { type: 'email' }),
  ],
  connections: [edge('load', 'net', 'tax', 'net'), edge('tax', 'gross', 'send')],
});

/**
 * The CRM answers 503 twice, then accepts. Decided by the attempt number, not by a counter kept
 * in the node: nodes are shared by concurrent runs.
 */
export const crmSync = defineWorkflow({
  id: 'crm-sync',
  name: 'CRM sync',
  nodes: [
    new RetryNode(
      'push',
      'Push contact to CRM',
      async ({ trigger }, _ctx, attempt) => {
        await pause(5);
        if (attempt < 3) throw new Error(`CRM answered 503 Service Unavailable (attempt ${attempt})`);
        return { crmId: `crm-${(trigger as { contact: string }).contact}` };
      },
      { attempts: 4, backoffMs: 5 },
    ),
    new FunctionNode('mark', 'Mark synced', ({ crmId }) => ({ synced: crmId }), { type: 'database' }),
  ],
  connections: [edge('push', 'crmId', 'mark')],
});
