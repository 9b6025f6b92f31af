/**
 * `npm run demo:rerun`: a payment run fails in `charge`; once the cause is fixed, it is re-run
 * from `charge`: `authorize` is not called again (its recorded output is reused), `charge` and
 * `receipt` run. Prints both executions and the CLI commands that show them.
 */
import { relative } from 'node:path';
import { defineWorkflow, ExecutionLogger, ExecutionStore, FunctionNode, RerunError, WorkflowRunner } from '../src';

const edge = (from: string, output: string, to: string, input = output) => ({ from: { node: from, output }, to: { node: to, input } });

let issuerUp = false;
let authorizations = 0;

const payment = defineWorkflow({
  id: 'payment-capture',
  name: 'Payment capture',
  nodes: [
    new FunctionNode('authorize', 'Authorize amount', ({ trigger }) => (authorizations++, { payment: trigger }), { type: 'payment' }),
    new FunctionNode(
      'charge',
      'Charge card',
      ({ payment: authorized }) => {
        if (!issuerUp) throw new Error('Card issuer unavailable (503)');
        return { charged: { ...(authorized as object), chargeId: 'ch_1' } };
      },
      { type: 'payment' },
    ),
    new FunctionNode('receipt', 'Send receipt', ({ charged }) => ({ sent: (charged as { chargeId: string }).chargeId }), { type: 'email' }),
  ],
  connections: [edge('authorize', 'payment', 'charge'), edge('charge', 'charged', 'receipt')],
});

async function main(): Promise<void> {
  const store = await ExecutionStore.open();
  const logger = new ExecutionLogger(store);
  await logger.ready;
  const runner = new WorkflowRunner({ logger });

  const failed = await runner.run(payment, { type: 'webhook', data: { amount: 59.9, card: '**** 4242' } }).catch((error: Error) => error);
  await logger.flush();
  const [original] = (await store.listExecutions({ workflowId: payment.id, limit: 1 })).items;
  console.log(`run      ${original!.id}  ${original!.status}: ${(failed as Error).message}`);

  issuerUp = true;
  const result = await runner.rerun(payment, original!.id, { from: 'charge' });
  await logger.flush();
  const [rerun] = (await store.listExecutions({ forkedFromExecutionId: original!.id, limit: 1 })).items;
  console.log(
    `re-run   ${rerun!.id}  ${rerun!.status}: receipt ${String(result.outputs.receipt?.sent)}, authorize called ${authorizations} time(s) in all`,
  );

  // A workflow whose upstream changed is refused, unless forced.
  const changed = defineWorkflow({
    ...payment,
    nodes: payment.nodes.filter((node) => node.id !== 'authorize'),
    connections: [edge('charge', 'charged', 'receipt')],
  });
  const refusal = await runner.rerun(changed, original!.id, { from: 'charge' }).catch((error: unknown) => error);
  if (refusal instanceof RerunError) console.log(`refused  ${refusal.reason}: ${refusal.message}`);

  await logger.shutdown();
  const where = relative(process.cwd(), store.target) || store.target;
  const dbFlag = store.dialect === 'sqlite' ? `--db ${where}` : '--url <your FLOWTRAIL_DB url>';
  console.log('\nLook at both with the CLI:');
  console.log(`  npx flowtrail show ${original!.id} --graph ${dbFlag}`);
  console.log(`  npx flowtrail show ${rerun!.id} --graph ${dbFlag}`);
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
