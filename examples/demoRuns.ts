/**
 * What the demo runs, apart from how it prints it: `npm run demo`, the mounting examples and the
 * README's screenshots (`__tests__/ui/browserScreenshots.test.ts`) all record this same history.
 */
import type { RunResult, WorkflowRunner } from '../src';
import { crmSync, invoiceRun, orderProcessing, paymentCapture, refundApproval, sampleOrder } from './workflows';

/** How many order-processing runs the demo starts at once. */
export const BURST = 50;

/** One example run: what the demo calls it, and the line it prints about a success. */
export interface DemoRun {
  title: string;
  run: (runner: WorkflowRunner) => Promise<RunResult>;
  describe?: (result: RunResult) => string;
}

/** The burst: order-processing runs started together, tagged by tenant. */
export function runBurst(runner: WorkflowRunner): Promise<PromiseSettledResult<RunResult>[]> {
  return Promise.allSettled(
    Array.from({ length: BURST }, (_, n) =>
      runner.run(orderProcessing, { type: 'webhook', data: sampleOrder(n) }, { tags: { tenant: n % 3 === 0 ? 'acme' : 'globex' } }),
    ),
  );
}

/** One run of each example workflow, in order; payment-capture fails on purpose. */
export const DEMO_RUNS: DemoRun[] = [
  {
    title: 'order-processing (parallel branches)',
    run: (runner) => runner.run(orderProcessing, { type: 'manual', data: sampleOrder(99) }),
    describe: (result) => {
      const confirmation = result.outputs.merge?.confirmation as { total: number } | undefined;
      return `total ${confirmation?.total}`;
    },
  },
  {
    title: 'payment-capture (a node fails)',
    run: (runner) => runner.run(paymentCapture, { type: 'webhook', data: { amount: 59.9, card: '**** 4242' } }),
  },
  {
    title: 'refund-approval (condition)',
    run: (runner) => runner.run(refundApproval, { type: 'manual', data: { amount: 40 } }),
    describe: (result) => `skipped: ${result.skipped.join(', ')}`,
  },
  {
    title: 'invoice-run (sub-workflow)',
    run: (runner) => runner.run(invoiceRun, { type: 'schedule', data: { net: 1200 } }),
    describe: (result) => `gross ${String(result.outputs.send?.gross)}`,
  },
  {
    title: 'crm-sync (retry)',
    run: (runner) => runner.run(crmSync, { type: 'db_change', data: { contact: 'c-17' } }),
    describe: (result) => `${String(result.outputs.mark?.synced)} on attempt 3`,
  },
];

/** Each of {@link DEMO_RUNS} once, silently: a run that fails (as one does on purpose) is recorded, not thrown. */
export async function recordDemoRuns(runner: WorkflowRunner): Promise<void> {
  for (const demo of DEMO_RUNS) await demo.run(runner).catch(() => undefined);
}
