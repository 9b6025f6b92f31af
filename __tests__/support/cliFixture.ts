import { uuidv7, type ExecutionStore, type NewExecution, type NewStep } from '../../src';

/** Quotes, commas, CRLF and LF, a tab, a ZWJ emoji sequence, a combining accent, an ESC: everything CSV and terminals trip on. */
export const TRICKY = 'He said "hi", then left\r\nnew line, comma; 🚀👩‍👩‍👧 tab\tcafe\u0301 \u001b[31mred?';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

type Row = NewExecution & { id: string };
type StepRow = NewStep & { id: string };

/** The executions of the CLI fixture by role, newest-first order known to the tests. */
export interface CliFixture {
  now: number;
  /** orders, success, 3 steps with data; parent of `child`. */
  ordersOk: Row;
  ordersOkSteps: StepRow[];
  /** orders, error, step 1 failed with a stack. */
  ordersFailed: Row;
  ordersRunning: Row;
  ordersInterrupted: Row;
  /** billing, 40 and 35 days old (retention fodder) and one error a day old. */
  billingOld: Row;
  billingOlder: Row;
  billingRecentError: Row;
  /** started from step 1 of `ordersOk`. */
  child: Row;
  /** A workflow id and name full of CSV and terminal hazards. */
  tricky: Row;
  all: Row[];
}

function execution(fields: Omit<Row, 'id'>): Row {
  return { id: uuidv7(fields.startedAt), ...fields };
}

function step(executionId: string, stepIndex: number, fields: Omit<StepRow, 'id' | 'executionId' | 'stepIndex'>): StepRow {
  return { id: uuidv7(fields.startedAt), executionId, stepIndex, ...fields };
}

/** Writes the fixture through the store's batch API. Times are relative to `now`, as the CLI's `--since 1d` is. */
export async function seedCliFixture(store: ExecutionStore, now = Date.now()): Promise<CliFixture> {
  const okStart = now - 2 * HOUR;
  const ordersOk = execution({
    workflowId: 'orders',
    workflowName: 'Order pipeline',
    triggerType: 'webhook',
    triggerData: { body: TRICKY, n: 1 },
    metadata: { tags: ['a', 'b'] },
    status: 'success',
    startedAt: okStart,
    completedAt: okStart + 1500,
    durationMs: 1500,
  });
  const ordersOkSteps = [
    step(ordersOk.id, 0, {
      nodeId: 'fetch',
      nodeType: 'http',
      nodeName: 'Fetch order',
      status: 'success',
      startedAt: okStart,
      completedAt: okStart + 300,
      durationMs: 300,
      inputData: { url: 'https://shop.example/orders/42', headers: { accept: 'application/json' } },
      outputData: { id: 42, note: TRICKY, items: [1, 2, 3] },
    }),
    step(ordersOk.id, 1, {
      nodeId: 'transform',
      nodeType: 'code',
      nodeName: null,
      status: 'success',
      startedAt: okStart + 300,
      completedAt: okStart + 310,
      durationMs: 10,
      inputData: [1, 'two', null],
      outputData: 'plain "string", with comma',
    }),
    step(ordersOk.id, 2, {
      nodeId: 'save',
      nodeType: 'db',
      nodeName: 'Save "it", now\nplease',
      status: 'success',
      startedAt: okStart + 310,
      completedAt: okStart + 1500,
      durationMs: 1190,
      outputData: { saved: true },
    }),
  ];
  const failStart = now - HOUR;
  const ordersFailed = execution({
    workflowId: 'orders',
    workflowName: 'Order pipeline',
    triggerType: 'webhook',
    status: 'error',
    startedAt: failStart,
    completedAt: failStart + 800,
    durationMs: 800,
    errorMessage: 'Payment declined: "card", expired\nretry later',
    errorStack: 'PaymentError: Payment declined\n    at charge (pay.ts:10:5)',
  });
  const failedSteps = [
    step(ordersFailed.id, 0, {
      nodeId: 'fetch',
      nodeType: 'http',
      status: 'success',
      startedAt: failStart,
      completedAt: failStart + 100,
      durationMs: 100,
    }),
    step(ordersFailed.id, 1, {
      nodeId: 'charge',
      nodeType: 'http',
      nodeName: 'Charge card',
      status: 'error',
      startedAt: failStart + 100,
      completedAt: failStart + 800,
      durationMs: 700,
      inputData: { amount: 12.5, currency: 'EUR' },
      errorMessage: 'Payment declined',
      errorStack: 'PaymentError: Payment declined\n    at charge (pay.ts:10:5)\n    at run (runner.ts:3:1)',
    }),
  ];
  const runStart = now - 10 * 60_000;
  const ordersRunning = execution({
    workflowId: 'orders',
    workflowName: 'Order pipeline',
    triggerType: 'manual',
    status: 'running',
    startedAt: runStart,
  });
  const runningSteps = [step(ordersRunning.id, 0, { nodeId: 'fetch', nodeType: 'http', status: 'running', startedAt: runStart })];
  const ordersInterrupted = execution({
    workflowId: 'orders',
    workflowName: 'Order pipeline',
    triggerType: 'schedule',
    status: 'interrupted',
    startedAt: now - 3 * HOUR,
    completedAt: now - 3 * HOUR + 5000,
    durationMs: 5000,
    errorMessage: 'Interrupted: the process running this workflow stopped before it finished',
  });
  const billing = (startedAt: number, status: 'success' | 'error', durationMs: number) =>
    execution({
      workflowId: 'billing',
      workflowName: 'Billing',
      triggerType: 'schedule',
      status,
      startedAt,
      completedAt: startedAt + durationMs,
      durationMs,
    });
  const billingOld = billing(now - 35 * DAY, 'success', 400);
  const billingOlder = billing(now - 40 * DAY, 'success', 200);
  const billingRecentError = billing(now - DAY - HOUR, 'error', 100);
  const oldSteps = [
    step(billingOlder.id, 0, { nodeId: 'invoice', nodeType: 'pdf', status: 'success', startedAt: billingOlder.startedAt, durationMs: 200 }),
  ];
  const child = execution({
    workflowId: 'sub-flow',
    workflowName: TRICKY,
    triggerType: 'internal_event',
    status: 'success',
    startedAt: okStart + 305,
    completedAt: okStart + 308,
    durationMs: 3,
    parentExecutionId: ordersOk.id,
    parentStepId: ordersOkSteps[1]?.id ?? null,
  });
  const tricky = execution({
    workflowId: `tricky,"wf"\nline 🚀`,
    workflowName: TRICKY,
    triggerType: 'test',
    triggerData: TRICKY,
    status: 'success',
    startedAt: now - 5 * HOUR,
    completedAt: now - 5 * HOUR + 20,
    durationMs: 20,
    metadata: { quote: '"', comma: ',', crlf: '\r\n', emoji: '🚀', nested: { deeper: [TRICKY] } },
  });
  const all = [ordersOk, ordersFailed, ordersRunning, ordersInterrupted, billingOld, billingOlder, billingRecentError, child, tricky];
  await store.writeBatch({ executions: all, steps: [...ordersOkSteps, ...failedSteps, ...runningSteps, ...oldSteps] });
  return {
    now,
    ordersOk,
    ordersOkSteps,
    ordersFailed,
    ordersRunning,
    ordersInterrupted,
    billingOld,
    billingOlder,
    billingRecentError,
    child,
    tricky,
    all: [...all].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1)),
  };
}
