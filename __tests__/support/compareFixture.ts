import { uuidv7, type ExecutionStore, type NewExecution, type NewStep } from '../../src';

type Row = NewExecution & { id: string };
type StepRow = NewStep & { id: string };

/** Quotes, SQL, an ESC and a right-to-left override, emoji and a combining accent: what data and terminals trip on. */
export const HOSTILE = `it's "quoted"; DROP TABLE workflow_executions; -- \u001b[31m\u202e 🚀👩‍👩‍👧 cafe\u0301`;
/** Far larger than a reported value, within MySQL's 64 KiB TEXT column: 20 000 characters, 2 bytes each in UTF-8. */
export const HUGE = 'é'.repeat(20_000);
export const truncatedMarker = (size: number, preview: string) => ({ _truncated: true, _originalSize: size, _preview: preview });

/** Two runs of `orders` (a, b) that differ in every way a comparison reports, a run of another workflow, and their children. */
export interface CompareFixture {
  a: Row;
  b: Row;
  other: Row;
  /** The child of a's `charge` step, and b's; b's charge also started a second child of `fraud-check`. */
  childA: Row;
  childB: Row;
  childB2: Row;
  /** A grandchild under each child: compared two levels down. */
  grandchildA: Row;
  grandchildB: Row;
}

let clock = Date.UTC(2026, 0, 15, 9, 0, 0);

function execution(fields: Omit<Row, 'id' | 'startedAt' | 'triggerType'> & { startedAt?: number }): Row {
  const startedAt = fields.startedAt ?? (clock += 10_000);
  return { id: uuidv7(startedAt), triggerType: 'manual', startedAt, ...fields };
}

/** Steps in order, each starting when the previous one ended. */
function steps(run: Row, list: Omit<StepRow, 'id' | 'executionId' | 'stepIndex' | 'startedAt' | 'completedAt'>[]): StepRow[] {
  let at = run.startedAt;
  return list.map((fields, stepIndex) => {
    const startedAt = at;
    at += fields.durationMs ?? 0;
    return {
      id: uuidv7(startedAt),
      executionId: run.id,
      stepIndex,
      startedAt,
      completedAt: fields.durationMs === null ? null : at,
      ...fields,
    };
  });
}

export async function seedCompareFixture(store: ExecutionStore): Promise<CompareFixture> {
  const a = execution({ workflowId: 'orders', workflowName: 'Order pipeline', status: 'success', durationMs: 1000, completedAt: null });
  const b = execution({
    workflowId: 'orders',
    workflowName: 'Order pipeline',
    status: 'error',
    durationMs: 1250,
    completedAt: null,
    errorMessage: 'charge failed',
  });
  const other = execution({ workflowId: 'billing', workflowName: 'Billing', status: 'success', durationMs: 10, completedAt: null });
  const node = (nodeId: string, nodeType: string) => ({ nodeId, nodeType, nodeName: null });
  const stepsA = steps(a, [
    {
      ...node('fetch', 'http'),
      status: 'success',
      durationMs: 100,
      inputData: { url: 'https://shop.example/orders/42', auth: { password: '[REDACTED]' } },
      outputData: {
        id: 42,
        note: HOSTILE,
        items: [
          { sku: 'A', price: 12.5 },
          { sku: 'B', price: 3 },
        ],
        blob: HUGE,
      },
    },
    { ...node('item', 'code'), status: 'success', durationMs: 10, inputData: { sku: 'A' }, outputData: { ok: true } },
    { ...node('item', 'code'), status: 'success', durationMs: 10, inputData: { sku: 'B' }, outputData: { ok: true } },
    {
      ...node('charge', 'http'),
      status: 'success',
      durationMs: 300,
      inputData: { amount: 28 },
      outputData: truncatedMarker(90_000, '{"receipt":"r-1...'),
    },
    { ...node('notify', 'email'), status: 'success', durationMs: 50, inputData: null, outputData: null },
  ]);
  const stepsB = steps(b, [
    {
      ...node('fetch', 'http'),
      status: 'success',
      durationMs: 140,
      inputData: { url: 'https://shop.example/orders/42', auth: { password: 'hunter2' } },
      outputData: { id: 42, note: `${HOSTILE}!`, items: [{ sku: 'A', price: 13 }], blob: `${HUGE}?` },
    },
    { ...node('item', 'code'), status: 'success', durationMs: 12, inputData: { sku: 'A' }, outputData: { ok: true } },
    { ...node('audit', 'log'), status: 'success', durationMs: 5, inputData: { "user's": 'Robert"); --' }, outputData: null },
    {
      ...node('charge', 'http'),
      status: 'error',
      durationMs: 700,
      inputData: { amount: 13 },
      outputData: truncatedMarker(91_000, '{"receipt":"r-2...'),
      errorMessage: 'card declined',
    },
  ]);
  const chargeA = stepsA[3] as StepRow;
  const chargeB = stepsB[3] as StepRow;
  const childA = execution({
    workflowId: 'payment',
    workflowName: 'Payment',
    status: 'success',
    durationMs: 200,
    completedAt: null,
    parentExecutionId: a.id,
    parentStepId: chargeA.id,
  });
  const childB = execution({
    workflowId: 'payment',
    workflowName: 'Payment',
    status: 'error',
    durationMs: 600,
    completedAt: null,
    parentExecutionId: b.id,
    parentStepId: chargeB.id,
  });
  const childB2 = execution({
    workflowId: 'fraud-check',
    workflowName: 'Fraud check',
    status: 'success',
    durationMs: 20,
    completedAt: null,
    parentExecutionId: b.id,
    parentStepId: chargeB.id,
  });
  const childStepsA = steps(childA, [
    { ...node('authorize', 'http'), status: 'success', durationMs: 150, inputData: { card: '4242' }, outputData: { code: 'ok' } },
  ]);
  const childStepsB = steps(childB, [
    { ...node('authorize', 'http'), status: 'error', durationMs: 550, inputData: { card: '4000' }, outputData: null },
  ]);
  const grandchildA = execution({
    workflowId: 'ledger',
    workflowName: 'Ledger',
    status: 'success',
    durationMs: 5,
    completedAt: null,
    parentExecutionId: childA.id,
    parentStepId: (childStepsA[0] as StepRow).id,
  });
  const grandchildB = execution({
    workflowId: 'ledger',
    workflowName: 'Ledger',
    status: 'success',
    durationMs: 6,
    completedAt: null,
    parentExecutionId: childB.id,
    parentStepId: (childStepsB[0] as StepRow).id,
  });
  const grandSteps = [
    ...steps(grandchildA, [{ ...node('post', 'db'), status: 'success', durationMs: 5, inputData: { entry: 1 }, outputData: null }]),
    ...steps(grandchildB, [{ ...node('post', 'db'), status: 'success', durationMs: 6, inputData: { entry: 2 }, outputData: null }]),
  ];
  await store.writeBatch({
    executions: [a, b, other, childA, childB, childB2, grandchildA, grandchildB],
    steps: [
      ...stepsA,
      ...stepsB,
      ...steps(other, [{ ...node('fetch', 'http'), status: 'success', durationMs: 10, inputData: null, outputData: null }]),
      ...childStepsA,
      ...childStepsB,
      ...grandSteps,
    ],
  });
  return { a, b, other, childA, childB, childB2, grandchildA, grandchildB };
}
