/**
 * Replay a recorded step as a test, runnable: `npx tsc -p tsconfig.run.json && node build/examples/replay.js`.
 * It runs the checkout workflow once into a SQLite file (what production does), then replays the
 * pricing step from its id: with the node as it is (the same outcome) and with a changed VAT rate
 * (the paths that changed). The README's "Replay a step as a test" shows what it prints.
 * examples/replay.test.ts is the same check as a Vitest test.
 */
import 'reflect-metadata';
import { assertReplayMatches, ExecutionLogger, ExecutionStore, replayStep, WorkflowRunner } from '../src';
import { checkout, PriceNode } from './checkout';

async function main() {
  const store = await ExecutionStore.open({ database: '.flowtrail/replay-example.sqlite' });

  // Production: a run is recorded. Its pricing step's id is what `flowtrail show` lists.
  const logger = new ExecutionLogger(store);
  await new WorkflowRunner({ logger }).run(checkout, {
    type: 'webhook',
    data: { customer: 'c-42', items: [{ sku: 'KB-01', qty: 2, unitPrice: 49.5 }] },
  });
  await logger.shutdown();
  const [run] = (await store.listExecutions({ workflowId: 'checkout', limit: 1 })).items;
  const stepId = (await store.getSteps(run!.id)).find((step) => step.nodeId === 'price')!.id;
  console.log(`recorded step ${stepId}\n`);

  // The regression test, one line: the node as the code builds it now, on the recorded input.
  assertReplayMatches(await replayStep(store, stepId, new PriceNode(0.2)));
  console.log('new PriceNode(0.2): same outcome as recorded\n');

  // Someone changes the rate: the same line fails, saying where and how.
  try {
    assertReplayMatches(await replayStep(store, stepId, new PriceNode(0.21)));
  } catch (error) {
    console.log(`new PriceNode(0.21): ${(error as Error).name}\n${(error as Error).message}`);
  }
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
