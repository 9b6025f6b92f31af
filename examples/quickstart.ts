/**
 * The README's example, runnable: `npx tsc -p tsconfig.run.json && node build/examples/quickstart.js`.
 * Below this comment the file is the README's code line for line, except that the README imports
 * from 'flowtrail' where this file, inside the repository, imports from '../src'. What it prints
 * is the README's "what it records".
 */
import 'reflect-metadata';
import { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } from '../src';

class HttpNode {
  readonly type = 'http';
  constructor(
    readonly id: string,
    readonly label: string,
  ) {}

  @LoggedNode() // one ExecutionStep per call
  async execute(input: { url: string; token: string }) {
    return { status: 200, body: `fetched ${input.url}` };
  }
}

class OrderSync {
  readonly id = 'order-sync';
  readonly name = 'Order sync';

  // One WorkflowExecution per call, tagged to be found by tenant and order (list --tag tenant=acme)
  @LoggedWorkflow({ triggerType: 'webhook', tags: (_self, [trigger]) => ({ tenant: 'acme', orderId: trigger.orderId }) })
  async run(trigger: { orderId: number }) {
    const fetch = new HttpNode('fetch', 'Fetch order');
    return fetch.execute({ url: `/orders/${trigger.orderId}`, token: 'secret' });
  }
}

async function main() {
  const store = await ExecutionStore.open(); // ./.flowtrail/history.sqlite
  const logger = new ExecutionLogger(store);
  ExecutionLogger.setDefault(logger); // the logger the decorators use

  await new OrderSync().run({ orderId: 7 });
  await logger.shutdown(); // writes what is queued

  // Read it back: the newest run of this workflow, with its steps.
  const { items } = await store.listExecutions({ workflowId: 'order-sync', limit: 1 });
  console.dir(await store.getExecution(items[0]!.id, { steps: true }), { depth: null });
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
