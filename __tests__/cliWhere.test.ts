import { uuidv7, type ExecutionStore } from '../src';
import { UsageError } from '../src/cli/args';
import { parseWhere } from '../src/cli/wherePredicate';
import { cli } from './support/cli';
import { cliArgs, databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

describe('--where syntax', () => {
  test.each<[string, object]>([
    ['output.code=05', { path: 'output.code', equals: '05' }],
    ['output.code=5', { path: 'output.code', equals: 5 }],
    ['output.code="5"', { path: 'output.code', equals: '5' }],
    ['output.amount=-1.5e3', { path: 'output.amount', equals: -1500 }],
    ['output.ok=true', { path: 'output.ok', equals: true }],
    ['output.gone=null', { path: 'output.gone', equals: null }],
    ['output.code=', { path: 'output.code', equals: '' }],
    ['input.customer.id=c-17', { path: 'input.customer.id', equals: 'c-17' }],
    ['output.note=a=b', { path: 'output.note', equals: 'a=b' }],
    ['output.items[0].sku=A 1', { path: 'output.items[0].sku', equals: 'A 1' }],
    ['output["order.id"]=o-1', { path: 'output["order.id"]', equals: 'o-1' }],
    ['output.note~card declined', { path: 'output.note', contains: 'card declined' }],
    ['output.note~"  padded  "', { path: 'output.note', contains: '  padded  ' }],
    ['output.amount>100', { path: 'output.amount', gt: 100 }],
    ['output.amount<0.5', { path: 'output.amount', lt: 0.5 }],
    ['output.code', { path: 'output.code', exists: true }],
    ['!output.code', { path: 'output.code', exists: false }],
    ["output.note=x' OR '1'='1", { path: 'output.note', equals: "x' OR '1'='1" }],
    ['output.é=ü', { path: 'output.é', equals: 'ü' }],
  ])('%s', (text, predicate) => {
    expect(parseWhere(text)).toEqual(predicate);
  });

  test.each<[string, RegExp]>([
    ['code=05', /a path starts with "input" or "output"/],
    ['output.=05', /a key is expected after "."/],
    ['output.items[x]=1', /a bracket holds an index/],
    ['output.items[0=1', /a bracket holds an index/],
    ['output.code!=05', /unknown operator "!"/],
    ['output.amount>ten', /> compares with a finite number, not "ten"/],
    ['output.amount<', /< compares with a finite number/],
    ['output.amount>1e999', /> compares with a finite number, not "1e999"/],
    ['output.note~', /~ needs text/],
    ['output.note="unclosed', /not one JSON string/],
    ['!output.code=1', /takes no operator/],
    ['output["a\\"b"]=1', /cannot be searched/],
    ['', /a path starts with/],
    [`output${'.k'.repeat(40)}`, /at most 32 steps/],
  ])('%s is a usage error', (text, message) => {
    let error: unknown;
    try {
      parseWhere(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('--where');
  });
});

describe.each(databaseKinds)('flowtrail list --where on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let dbArgs: string[];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    dbArgs = cliArgs(db);
    let at = Date.now() - 3_600_000;
    for (const [name, code, amount, status] of [
      ['declined', '05', 120, 'error'],
      ['paid', '00', 99, 'success'],
      ['declinedAgain', '05', 30, 'error'],
    ] as const) {
      const executionId = uuidv7((at += 60_000));
      ids[name] = executionId;
      await store.writeBatch({
        executions: [{ id: executionId, workflowId: 'checkout', workflowName: 'Checkout', triggerType: 'webhook', status, startedAt: at }],
        steps: [
          {
            id: uuidv7(at),
            executionId,
            nodeId: 'fetch',
            nodeType: 'http',
            stepIndex: 0,
            startedAt: at,
            status: 'success',
            outputData: { code },
          },
          {
            id: uuidv7(at + 1),
            executionId,
            nodeId: 'charge',
            nodeType: 'http',
            stepIndex: 1,
            startedAt: at + 1,
            status,
            inputData: { customer: name === 'paid' ? 'c-17' : 'c-18' },
            outputData: { code, amount, note: `\u001b[31m<b>${name}</b>` },
          },
        ],
      });
    }
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const run = (args: string[]) => cli([...args, ...dbArgs]);

  test('lists the runs with a matching step, names the steps, and pages with the same tests', async () => {
    const { code, stdout, stderr } = await run(['list', '--where', 'output.code=05', '--node', 'charge', '--limit', '1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/MATCHED STEPS/);
    expect(stdout).toContain(ids.declinedAgain);
    expect(stdout).toMatch(/charge #1/);
    expect(stdout).not.toContain(ids.paid);
    const next = /^Next page: +(.*)$/m.exec(stdout)?.[1] ?? '';
    expect(next).toContain('--where output.code=05 --node charge');
    const cursor = /--cursor (\S+)/.exec(next)?.[1] ?? '';
    const second = await run(['list', '--where', 'output.code=05', '--node', 'charge', '--limit', '1', '--cursor', cursor]);
    expect(second.stdout).toContain(ids.declined);
    expect(second.stdout).not.toContain('Next page');
  });

  test('tests on one step together; --json gives the matching steps', async () => {
    const { code, stdout } = await run(['list', '--where', 'output.code=05', '--where', 'output.amount>100', '--json']);
    expect(code).toBe(0);
    const page = JSON.parse(stdout) as { items: { id: string }[]; matchingSteps: Record<string, { nodeId: string }[]> };
    expect(page.items.map((e) => e.id)).toEqual([ids.declined]);
    expect(page.matchingSteps[ids.declined!]?.map((s) => s.nodeId)).toEqual(['charge']);
    const fetchOnly = await run(['list', '--where', 'output.code=05', '--where', '!output.amount', '--json']);
    expect((JSON.parse(fetchOnly.stdout) as typeof page).items.map((e) => e.id)).toEqual([ids.declinedAgain, ids.declined]);
    const typed = await run(['list', '--where', 'input.customer=c-17', '--step-status', 'success', '--node-type', 'http', '--json']);
    expect((JSON.parse(typed.stdout) as typeof page).items.map((e) => e.id)).toEqual([ids.paid]);
  });

  test('markup in stored text is found as text; export takes the same tests', async () => {
    const { stdout } = await run(['list', '--where', 'output.note~<b>paid', '--json']);
    expect((JSON.parse(stdout) as { items: { id: string }[] }).items.map((e) => e.id)).toEqual([ids.paid]);
    const exported = await run(['export', '--where', 'output.code=00', '--format', 'ndjson']);
    expect(exported.code).toBe(0);
    expect(
      exported.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id),
    ).toEqual([ids.paid]);
  });

  test('bad syntax is exit 2 naming the problem; nothing is queried', async () => {
    const bad = await run(['list', '--where', "output.code'; DROP TABLE workflow_executions; --=1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --where .*unknown operator "'"/);
    const status = await run(['list', '--step-status', 'exploded']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/--step-status/);
    expect((await run(['list', '--where', 'output.code=05', '--json'])).code).toBe(0); // the table is still there
  });
});
