import { ExecutionLogger, QueryError, uuidv7, type DataPredicate, type ExecutionStore, type NewExecution, type NewStep } from '../src';
import { HOSTILE } from './support/compareFixture';
import { databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

type Row = NewExecution & { id: string };
type StepRow = NewStep & { id: string };

/** Text that trips JSON, SQL and terminals, and the characters some databases' JSON cannot hold. */
const NASTY = `${HOSTILE} \\u0000 \\" ' %_ \u0000 nul \ud800 lone`;

let clock = Date.UTC(2026, 5, 1, 12, 0, 0);

function run(workflowId: string, steps: Omit<StepRow, 'id' | 'executionId' | 'stepIndex' | 'startedAt'>[], fields: Partial<Row> = {}) {
  const startedAt = (clock += 60_000);
  const execution: Row = {
    id: uuidv7(startedAt),
    workflowId,
    workflowName: workflowId,
    triggerType: 'manual',
    status: 'success',
    startedAt,
    ...fields,
  };
  const rows: StepRow[] = steps.map((step, stepIndex) => ({
    id: uuidv7(startedAt + stepIndex),
    executionId: execution.id,
    stepIndex,
    startedAt: startedAt + stepIndex,
    ...step,
  }));
  return { execution, steps: rows };
}

const charge = (output: unknown, status: 'success' | 'error' = 'success', input: unknown = { customer: 'c-1' }) => ({
  nodeId: 'charge',
  nodeType: 'http',
  status,
  inputData: input,
  outputData: output,
});
const fetchStep = (output: unknown) => ({
  nodeId: 'fetch',
  nodeType: 'http',
  status: 'success' as const,
  inputData: null,
  outputData: output,
});

describe.each(databaseKinds)('listExecutions with step predicates on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  const runs: Record<string, ReturnType<typeof run>> = {};

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    runs.declined = run('orders', [fetchStep({ items: [{ sku: 'A', qty: 2 }] }), charge({ code: '05', amount: 120.5 }, 'error')]);
    runs.paid = run('orders', [
      fetchStep({ items: [{ sku: 'B', qty: 1 }] }),
      charge({ code: '00', amount: 99 }, 'success', { customer: 'c-17' }),
    ]);
    runs.numeric = run('orders', [charge({ code: 5, amount: 5 })]);
    runs.typed = run('billing', [
      charge({
        code: true,
        amount: null,
        note: 'Card ending 4242 was declined',
        nested: { 'order.id': 'o-1', '': 'empty key', 'é k': 'ü' },
      }),
    ]);
    runs.nasty = run('billing', [charge({ code: NASTY, note: NASTY, list: [NASTY] }, 'success', { customer: NASTY })]);
    runs.notCaptured = run('orders', [{ nodeId: 'charge', nodeType: 'http', status: 'success', inputData: null, outputData: null }]);
    runs.indexOrKey = run('shapes', [
      { nodeId: 'shape', nodeType: 'shape', status: 'success', outputData: { arr: ['first'], obj: { '0': 'zero' } } },
    ]);
    runs.redacted = run('auth', [
      { nodeId: 'login', nodeType: 'http', status: 'success', inputData: { password: '[REDACTED]', user: 'ann' } },
    ]);
    runs.truncated = run('orders', [charge({ _truncated: true, _originalSize: 250_000, _preview: '{"code":"05","big":"xxxxxxxx' })]);
    // Two steps, each meeting one predicate: predicates hold on one step together, so this run never matches both.
    runs.split = run('orders', [
      { nodeId: 'a', nodeType: 'code', status: 'success', outputData: { code: '05' } },
      { nodeId: 'b', nodeType: 'code', status: 'success', outputData: { amount: 500 } },
    ]);
    for (const r of Object.values(runs)) await store.writeBatch({ executions: [r.execution], steps: r.steps });
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const ids = async (query: Parameters<ExecutionStore['listExecutions']>[0]) =>
    (await store.listExecutions(query)).items.map((e) => nameOf(e.id));
  const nameOf = (id: string) => Object.entries(runs).find(([, r]) => r.execution.id === id)?.[0] ?? id;
  const where = (...predicates: DataPredicate[]) => ({ where: predicates });

  test('equals: a string, a number, a boolean, null; "5" is not 5; newest first', async () => {
    expect(await ids(where({ path: 'output.code', equals: '05' }))).toEqual(['split', 'declined']);
    expect(await ids(where({ path: 'output.code', equals: 5 }))).toEqual(['numeric']);
    expect(await ids(where({ path: 'output.code', equals: '5' }))).toEqual([]);
    expect(await ids(where({ path: 'output.amount', equals: 120.5 }))).toEqual(['declined']);
    expect(await ids(where({ path: 'output.code', equals: true }))).toEqual(['typed']);
    expect(await ids(where({ path: 'output.code', equals: false }))).toEqual([]);
    expect(await ids(where({ path: 'output.amount', equals: null }))).toEqual(['typed']);
    expect(await ids(where({ path: 'input.customer', equals: 'c-17' }))).toEqual(['paid']);
    expect(await ids(where({ path: 'input.customer', equals: 'C-17' }))).toEqual([]); // case-sensitive
  });

  test('paths into arrays and odd keys; exists and its negation', async () => {
    expect(await ids(where({ path: 'output.items[0].sku', equals: 'B' }))).toEqual(['paid']);
    expect(await ids(where({ path: 'output.items[1].sku', exists: true }))).toEqual([]);
    expect(await ids(where({ path: 'output.nested["order.id"]', equals: 'o-1' }))).toEqual(['typed']);
    expect(await ids(where({ path: 'output.nested[""]', equals: 'empty key' }))).toEqual(['typed']);
    expect(await ids(where({ path: 'output.nested["é k"]', equals: 'ü' }))).toEqual(['typed']);
    expect(await ids(where({ path: 'output.amount', exists: true }))).toEqual(['split', 'typed', 'numeric', 'paid', 'declined']);
    const without = await ids({ ...where({ path: 'output.amount', exists: false }), node: 'charge' });
    expect(without).toEqual(['truncated', 'notCaptured', 'nasty']);
  });

  test('an index reads only arrays and a key only objects, the same on every database', async () => {
    expect(await ids(where({ path: 'output.arr[0]', equals: 'first' }))).toEqual(['indexOrKey']);
    expect(await ids(where({ path: 'output.arr.0', equals: 'first' }))).toEqual([]);
    expect(await ids(where({ path: 'output.obj.0', equals: 'zero' }))).toEqual(['indexOrKey']);
    expect(await ids(where({ path: 'output.obj[0]', equals: 'zero' }))).toEqual([]);
  });

  test('contains is case-sensitive text inside strings; gt and lt compare numbers only', async () => {
    expect(await ids(where({ path: 'output.note', contains: 'ending 4242' }))).toEqual(['typed']);
    expect(await ids(where({ path: 'output.note', contains: 'ENDING' }))).toEqual([]);
    expect(await ids(where({ path: 'output.code', contains: '5' }))).toEqual(['split', 'declined']); // 5 the number is not text
    expect(await ids(where({ path: 'output.amount', gt: 99 }))).toEqual(['split', 'declined']);
    expect(await ids(where({ path: 'output.amount', gt: 98.5, lt: 100 }))).toEqual(['paid']);
    expect(await ids(where({ path: 'output.code', lt: 10 }))).toEqual(['numeric']); // "05" and "00" are strings
  });

  test('all predicates and the node, type and status conditions hold on the same step; the page lists the steps that matched', async () => {
    expect(await ids(where({ path: 'output.code', equals: '05' }, { path: 'output.amount', gt: 100 }))).toEqual(['declined']);
    expect(await ids({ ...where({ path: 'output.code', equals: '05' }), node: 'charge' })).toEqual(['declined']);
    expect(await ids({ ...where({ path: 'output.code', equals: '05' }), node: 'fetch' })).toEqual([]);
    expect(await ids({ node: 'charge', stepStatus: 'error' })).toEqual(['declined']);
    expect(await ids({ nodeType: 'code' })).toEqual(['split']);
    expect(await ids({ ...where({ path: 'output.code', equals: '05' }), workflowId: 'billing' })).toEqual([]);

    const page = await store.listExecutions({ ...where({ path: 'output.code', equals: '05' }) });
    expect(page.matchingSteps?.[runs.declined!.execution.id]?.map((s) => s.nodeId)).toEqual(['charge']);
    expect(page.matchingSteps?.[runs.split!.execution.id]?.map((s) => s.nodeId)).toEqual(['a']);
    expect(page.matchingSteps?.[runs.declined!.execution.id]?.[0]?.outputData).toEqual({ code: '05', amount: 120.5 });
    expect((await store.listExecutions({ workflowId: 'orders' })).matchingSteps).toBeUndefined();
  });

  test('keyset pages of matches: no row twice, none missed', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ExecutionStore['listExecutions']>> = await store.listExecutions({
        ...where({ path: 'output.amount', exists: true }),
        limit: 2,
        cursor,
      });
      expect(Object.keys(page.matchingSteps ?? {})).toEqual(page.items.map((e) => e.id));
      seen.push(...page.items.map((e) => nameOf(e.id)));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['split', 'typed', 'numeric', 'paid', 'declined']);
  });

  test('hostile text is found exactly as it was stored, and never read as SQL or as a pattern', async () => {
    expect(await ids(where({ path: 'output.code', equals: NASTY }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'input.customer', equals: NASTY }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.list[0]', equals: NASTY }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: 'DROP TABLE workflow_executions; --' }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: '%_' }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: '%' }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: '\\u0000 \\"' }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: '🚀👩‍👩‍👧 cafe\u0301' }))).toEqual(['nasty']);
    expect(await ids(where({ path: 'output.note', contains: "x' OR '1'='1" }))).toEqual([]);
    expect(await ids(where({ path: 'output.code', equals: `${NASTY}x` }))).toEqual([]);
    // A document holding NUL or a lone surrogate does not stop the others from being searched.
    expect(await ids(where({ path: 'output.note', exists: true }))).toEqual(['nasty', 'typed']);
  });

  test('redacted values match only as stored; a truncated payload matches only on its marker', async () => {
    expect(await ids(where({ path: 'input.password', equals: '[REDACTED]' }))).toEqual(['redacted']);
    expect(await ids(where({ path: 'input.user', equals: 'ann' }))).toEqual(['redacted']);
    // The cut payload's "05" is inside the preview string, not at output.code.
    expect(await ids(where({ path: 'output._truncated', equals: true }))).toEqual(['truncated']);
    expect(await ids(where({ path: 'output._preview', contains: '"code":"05"' }))).toEqual(['truncated']);
  });

  test.each<[string, unknown, string]>([
    ['no array', { path: 'output.code', equals: '05' }, 'where'],
    ['a bad root', [{ path: 'result.code', equals: '05' }], 'where[0].path'],
    ['no path', [{ equals: '05' }], 'where[0].path'],
    ['an open bracket', [{ path: 'output.items[0', exists: true }], 'where[0].path'],
    ['a key with a quote', [{ path: 'output["a\\"b"]', exists: true }], 'where[0].path'],
    ['SQL in a path', [{ path: "output.code'); DROP TABLE x; --", exists: true }], 'where[0].path'],
    ['two tests', [{ path: 'output.code', equals: '05', contains: '0' }], 'where[0]'],
    ['no test', [{ path: 'output.code' }], 'where[0]'],
    ['an unknown field', [{ path: 'output.code', equal: '05' }], 'where[0].equal'],
    ['an object to equal', [{ path: 'output.code', equals: { a: 1 } }], 'where[0].equals'],
    ['NaN', [{ path: 'output.amount', gt: NaN }], 'where[0].gt'],
    ['a string bound', [{ path: 'output.amount', lt: '5' }], 'where[0].lt'],
    ['empty contains', [{ path: 'output.note', contains: '' }], 'where[0].contains'],
    ['huge text', [{ path: 'output.note', contains: 'x'.repeat(10_001) }], 'where[0].contains'],
    ['too many', Array.from({ length: 17 }, () => ({ path: 'output.code', exists: true })), 'where'],
    ['a deep path', [{ path: `output${'.a'.repeat(33)}`, exists: true }], 'where[0].path'],
    ['a node that is no string', { node: 5 }, 'node'],
  ])('%s is a QueryError naming %s', async (_, value, field) => {
    const query = Array.isArray(value) || (value as { path?: unknown }).path ? { where: value } : value;
    const error = await store.listExecutions(query as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe(field);
  });
});

describe.each(databaseKinds)('search through a logger on %s', (kind) => {
  test('what a logger captured, redacted and cut, is searched as stored', async () => {
    const db = makeDatabase(kind);
    const store = await db.open();
    const logger = new ExecutionLogger(store, { configFile: false, writerThread: false, maxDataSize: 2_000 });
    try {
      await logger.ready;
      const executionId = await logger.startExecution({ workflowId: 'pay', workflowName: 'Pay' });
      const stepId = await logger.startNode({
        executionId,
        nodeId: 'charge',
        nodeType: 'http',
        inputData: { apiKey: 'sk-live-1', customer: 'c-17' },
      });
      await logger.completeNode(stepId, true, { code: '05', blob: 'x'.repeat(5_000) });
      const other = await logger.startExecution({ workflowId: 'pay', workflowName: 'Pay' });
      const otherStep = await logger.startNode({ executionId: other, nodeId: 'charge', nodeType: 'http', inputData: { customer: 'c-18' } });
      await logger.completeNode(otherStep, true, { code: '05' });
      await logger.completeExecution(executionId, true);
      await logger.completeExecution(other, true);
      expect(await logger.flush()).toBe(true);
      const found = async (predicate: DataPredicate) => (await store.listExecutions({ where: [predicate] })).items.map((e) => e.id);
      expect(await found({ path: 'input.customer', equals: 'c-17' })).toEqual([executionId]);
      expect(await found({ path: 'input.apiKey', equals: 'sk-live-1' })).toEqual([]); // stored redacted
      expect(await found({ path: 'input.apiKey', equals: '[REDACTED]' })).toEqual([executionId]);
      expect(await found({ path: 'output.code', equals: '05' })).toEqual([other]); // the first output was cut
      expect(await found({ path: 'output._truncated', equals: true })).toEqual([executionId]);
    } finally {
      await logger.shutdown();
      await store.close();
      await db.drop();
    }
  });
});
