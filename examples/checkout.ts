/**
 * The production code the replay example records and replays: a checkout workflow on the runner,
 * whose pricing node is a class of its own (its VAT rate is a setting, as such settings are).
 */
import { defineWorkflow, FunctionNode, LoggedNode, WorkflowNode, workflowNodeStep, type NodeInputs } from '../src';

export interface Cart {
  customer: string;
  items: { sku: string; qty: number; unitPrice: number }[];
}

/** Prices a cart: net, VAT and total, rounded to cents. */
export class PriceNode extends WorkflowNode {
  readonly type = 'pricing';

  constructor(private readonly vatRate: number) {
    super('price', 'Price the cart', { requiredInputs: ['cart'] });
  }

  @LoggedNode(workflowNodeStep) // the step's input is the node's inputs, as for every runner node
  execute({ cart }: NodeInputs) {
    const { items } = cart as Cart;
    if (items.length === 0) throw new RangeError('an empty cart has no price');
    const net = items.reduce((sum, item) => sum + item.qty * item.unitPrice, 0);
    const vat = Math.round(net * this.vatRate * 100) / 100;
    return { price: { net, vat, total: Math.round((net + vat) * 100) / 100 } };
  }
}

/** validate → price. */
export const checkout = defineWorkflow({
  id: 'checkout',
  name: 'Checkout',
  nodes: [new FunctionNode('validate', 'Validate the cart', ({ trigger }) => ({ cart: trigger })), new PriceNode(0.2)],
  connections: [{ from: { node: 'validate', output: 'cart' }, to: { node: 'price', input: 'cart' } }],
});
