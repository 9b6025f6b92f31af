/**
 * A production step as a regression test, in Vitest (Jest reads the same, with its own `expect`):
 * `node build/examples/replay.js` first (it records the step), then `npx vitest run examples/replay.test.ts`.
 * A real suite would name the step id it was given (`flowtrail show <execution>` lists them) and
 * keep the history file it comes from beside the test; this one takes the step the example recorded.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ExecutionStore, flowtrailMatchers, replayStep } from '../src';
import { PriceNode } from './checkout';

// Once per project, in a setup file: the matcher, and its type.
expect.extend(flowtrailMatchers);
declare module 'vitest' {
  interface Assertion<T = any> {
    toMatchRecordedOutput(): T;
  }
}

let store: ExecutionStore;
let stepId: string;

beforeAll(async () => {
  store = await ExecutionStore.open({ database: '.flowtrail/replay-example.sqlite' });
  const [run] = (await store.listExecutions({ workflowId: 'checkout', limit: 1 })).items;
  stepId = process.env.STEP_ID ?? (await store.getSteps(run!.id)).find((step) => step.nodeId === 'price')!.id;
});

afterAll(() => store.close());

test('the recorded pricing step prices the same today', async () => {
  expect(await replayStep(store, stepId, new PriceNode(0.2))).toMatchRecordedOutput();
});
