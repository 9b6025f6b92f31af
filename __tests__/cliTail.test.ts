import { spawn } from 'node:child_process';
import { uuidv7, type ExecutionStore, type FollowEvent } from '../src';
import { cli, CLI_MAIN } from './support/cli';
import { cliArgs, databaseKinds, makeDatabase, type TestDatabase } from './support/databases';
import { until } from './support/until';

const ESC = '\u001b';

/** Every tail started, so that one a failed test left running is stopped. */
const tails = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of tails) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  tails.clear();
});

/** `flowtrail tail …` running in the background: what it printed so far, and how it ended. */
function startTail(args: readonly string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', NO_COLOR: '1' };
  for (const name of ['FORCE_COLOR', 'FLOWTRAIL_DB', 'FLOWTRAIL_DEBUG']) delete env[name];
  const child = spawn(process.execPath, [CLI_MAIN, 'tail', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  tails.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output,
    exited,
    lines: () => output.stdout.split('\n').filter(Boolean),
    /** Resolves once it has started following: rows written after this are reported. */
    ready: () => until(() => output.stderr.includes('following'), 'tail to start following'),
  };
}

describe.each(databaseKinds)('flowtrail tail on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let dbArgs: string[];

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    dbArgs = cliArgs(db);
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const started = (workflowId: string, startedAt = Date.now()) => ({
    id: uuidv7(startedAt),
    workflowId,
    workflowName: workflowId,
    triggerType: 'test' as const,
    status: 'running' as const,
    startedAt,
  });

  test('--json: one event per line as rows are written; Ctrl-C ends it with exit 0 and no stack', async () => {
    const tail = startTail(['--json', '--workflow', 'orders', '--interval', '20ms', ...dbArgs]);
    await tail.ready();
    const run = started('orders');
    const step = {
      id: uuidv7(),
      executionId: run.id,
      nodeId: 'charge',
      nodeType: 'http',
      stepIndex: 0,
      startedAt: Date.now(),
      status: 'running' as const,
    };
    await store.writeBatch({ executions: [run, started('other')], steps: [step] });
    await until(() => tail.lines().length === 2, 'the execution and its step');
    await store.writeBatch({
      stepUpdates: [{ id: step.id, patch: { status: 'error', errorMessage: 'card declined', completedAt: Date.now(), durationMs: 5 } }],
      executionUpdates: [{ id: run.id, patch: { status: 'error', completedAt: Date.now(), durationMs: 9 } }],
    });
    await until(() => tail.lines().length === 4, 'their changes');
    tail.child.kill('SIGINT');
    expect(await tail.exited).toEqual({ code: 0, signal: null });
    expect(tail.output.stderr).toMatch(/^flowtrail: following .* \(Ctrl-C to stop\)\n$/);
    const events = tail.lines().map((line) => JSON.parse(line) as FollowEvent);
    expect(
      events.map((event) => `${event.type} ${event.change} ${event.type === 'execution' ? event.execution.id : event.step.id}`),
    ).toEqual([`execution new ${run.id}`, `step new ${step.id}`, `step updated ${step.id}`, `execution updated ${run.id}`]);
    expect(events[2]).toMatchObject({ step: { status: 'error', errorMessage: 'card declined', nodeId: 'charge' } });
  });

  test('one readable line per event, stored text made safe; --status filters; SIGTERM ends it too', async () => {
    const tail = startTail(['--status', 'error', '--interval', '20ms', ...dbArgs]);
    await tail.ready();
    const base = started(`evil${ESC}[2J\u202e-flow`);
    const hostile = {
      ...base,
      status: 'error' as const,
      completedAt: base.startedAt + 1500,
      durationMs: 1500,
      errorMessage: `bad\n${ESC}[31mthing`,
    };
    await store.writeBatch({ executions: [hostile, { ...started('fine'), status: 'success' as const }] });
    await until(() => tail.lines().length === 1, 'the failure');
    tail.child.kill('SIGTERM');
    expect(await tail.exited).toEqual({ code: 0, signal: null });
    const [line] = tail.lines();
    expect(line).toBe(
      `${new Date(hostile.startedAt).toISOString().replace('T', ' ').replace('Z', '')}  error        execution ${hostile.id}  evil\\u001b[2J\\u202e-flow  1.50s  bad`,
    );
  });

  test('a reader that goes away (EPIPE) ends it with exit 0', async () => {
    const tail = startTail(['--interval', '20ms', ...dbArgs]);
    await tail.ready();
    await store.writeBatch({ executions: [started('pipe')] });
    await until(() => tail.lines().length === 1, 'the first line');
    tail.child.stdout.destroy();
    // Writes keep coming: the next line meets the closed pipe.
    for (let i = 0; i < 5; i++) await store.writeBatch({ executions: [started('pipe')] });
    expect(await tail.exited).toEqual({ code: 0, signal: null });
    expect(tail.output.stderr).toMatch(/^flowtrail: following .*\n$/);
  });

  test.each([
    [['--status', 'done'], /invalid --status "done"/],
    [['--interval', '1ms'], /--interval 1ms is out of range/],
    [['--since', 'yesterday'], /invalid time "yesterday" for --since/],
    [['orders'], /unexpected argument "orders"/],
  ])('%p is a usage error (exit 2)', async (args, message) => {
    const { code, stdout, stderr } = await cli(['tail', ...args, ...dbArgs]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(message);
  });
});
