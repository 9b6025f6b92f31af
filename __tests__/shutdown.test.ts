import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ExecutionLogger, LoggedNode, LoggedWorkflow, type ErrorContext, type ExecutionStore, type LoggerConfig } from '../src';
import { databaseKinds, tempDir, useStorePerTest, type TestDatabase } from './support/databases';
import { sleep } from './support/sleep';
import { until } from './support/until';

/** Nothing recorded is lost at shutdown, or when the process ends in any of the ways it can. */

class Slow {
  constructor(readonly id: string) {}

  @LoggedNode()
  async execute(input: { n: number; ms: number }): Promise<number> {
    await sleep(input.ms);
    return input.n;
  }
}

class Flow {
  readonly id = 'flow';

  @LoggedWorkflow()
  async run(n: number, ms: number): Promise<number> {
    const a = await new Slow('a').execute({ n, ms });
    const [b] = await Promise.all([new Slow('b').execute({ n: a, ms }), new Slow('c').execute({ n: a, ms })]);
    return b * 2;
  }
}

async function statuses(store: ExecutionStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const page = await store.listExecutions({ limit: 1000, cursor });
    for (const execution of page.items) counts[execution.status] = (counts[execution.status] ?? 0) + 1;
    cursor = page.nextCursor;
  } while (cursor);
  return counts;
}

describe.each(databaseKinds)('shutdown on %s', (kind) => {
  const current = useStorePerTest(kind);
  let reports: { error: unknown; context: ErrorContext }[];

  function start(config: LoggerConfig = {}): ExecutionLogger {
    reports = [];
    const logger = new ExecutionLogger(current.store, {
      configFile: false,
      spoolDir: false,
      onError: (error, context) => reports.push({ error, context }),
      ...config,
    });
    ExecutionLogger.setDefault(logger);
    return logger;
  }

  test.each(['batched', 'strict'] as const)(
    '%s: shutdown() while 200 workflows run waits for them; every one is complete in the database',
    async (durability) => {
      const logger = start({ durability });
      await logger.ready;
      const runs = Array.from({ length: 200 }, (_, n) => new Flow().run(n, 50 + (n % 3) * 50));
      await sleep(5);
      await logger.shutdown();
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 200 }, (_, n) => n * 2));
      expect(logger.stats()).toMatchObject({ dropped: 0, rejected: 0, queued: 0 });
      expect(reports).toEqual([]);
      expect(await statuses(current.store)).toEqual({ success: 200 });
      const { items } = await current.store.listExecutions({ limit: 5 });
      for (const execution of items) expect(await current.store.getSteps(execution.id)).toHaveLength(3);
      // The next logger on this database finds nothing to recover.
      expect(await current.store.recoverInterrupted({ leaseMs: 1 })).toEqual({ executions: 0, steps: 0 });
    },
  );

  test('a workflow started after shutdown() began runs unrecorded; one started inside a recorded one is its child', async () => {
    const logger = start();
    await logger.ready;
    const first = new Flow().run(1, 100);
    await sleep(5);
    const stopping = logger.shutdown();
    expect(await new Flow().run(2, 1)).toBe(4);
    expect(await first).toBe(2);
    await stopping;
    expect(await statuses(current.store)).toEqual({ success: 1 });
  });

  test('past the grace period, what a workflow records later goes to the spool, and the next logger writes it', async () => {
    const spoolDir = tempDir('flowtrail-spool-');
    const logger = start({ spoolDir, shutdownGraceMs: 100 });
    await logger.ready;
    const long = new Flow().run(7, 600);
    await sleep(5);
    await logger.shutdown();
    expect(await statuses(current.store)).toEqual({ running: 1 });
    expect(await long).toBe(14);
    expect(logger.stats().spooled).toBeGreaterThan(0);
    expect(logger.stats().dropped).toBe(0);

    const next = start({ spoolDir });
    await until(async () => (await statuses(current.store)).success === 1, 'the late records to be replayed');
    await next.shutdown();
    const [execution] = (await current.store.listExecutions()).items;
    expect(await current.store.getSteps(execution!.id)).toMatchObject([
      { status: 'success' },
      { status: 'success' },
      { status: 'success' },
    ]);
  });

  test('past the grace period with no spool, late records are dropped, counted and reported as such', async () => {
    const logger = start({ shutdownGraceMs: 50 });
    await logger.ready;
    const long = new Flow().run(7, 300);
    await sleep(5);
    await logger.shutdown();
    expect(await long).toBe(14);
    expect(logger.stats().dropped).toBeGreaterThan(0);
    expect(reports.map(({ context }) => context.operation)).toEqual(['shutdown']);
    expect(String((reports[0]!.error as Error).message)).toContain('after shutdown');
  });
});

describe.each(databaseKinds)('the process ends without shutdown() on %s', (kind) => {
  const current = useStorePerTest(kind);

  function run(
    db: TestDatabase,
    args: Record<string, unknown>,
    onLine: (line: string, kill: (signal: NodeJS.Signals) => void) => void = () => undefined,
  ) {
    const options = db.options;
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'support', 'exitWorker.js'),
        JSON.stringify({
          target: 'database' in options ? options.database : options.url,
          schema: 'schema' in options ? options.schema : undefined,
          ...args,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...db.describe } },
    );
    const lines: string[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        onLine(line, (signal) => child.kill(signal));
      }
    });
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, lines })),
    );
  }

  test('a script that ends by itself: the tail is written on beforeExit', async () => {
    const ended = await run(current.db, { mode: 'natural', workflows: 5 });
    expect(ended).toMatchObject({ code: 0, lines: ['DONE [0,1,2,3,4]'] });
    expect(await statuses(current.store)).toEqual({ success: 5 });
  });

  test('with flushOnExit: false the tail is lost, as documented', async () => {
    const ended = await run(current.db, { mode: 'natural', workflows: 5, flushOnExit: false });
    expect(ended.code).toBe(0);
    expect(await statuses(current.store)).toEqual({});
  });

  test('process.exit(): what memory held is in the spool, and the next logger writes it', async () => {
    const spoolDir = tempDir('flowtrail-spool-');
    const ended = await run(current.db, { mode: 'exit', workflows: 5, spoolDir });
    expect(ended).toMatchObject({ code: 0, lines: ['DONE [0,1,2,3,4]'] });
    const next = new ExecutionLogger(current.store, { configFile: false, spoolDir });
    await until(async () => (await statuses(current.store)).success === 5, 'the spooled records to be replayed');
    await next.shutdown();
    expect(await statuses(current.store)).toEqual({ success: 5 });
  });

  test('SIGTERM with no listener of the application: the workflows being recorded finish, then the process ends by the signal', async () => {
    const ended = await run(current.db, { mode: 'signal', workflows: 20 }, (line, kill) => {
      if (line === 'READY') setTimeout(() => kill('SIGTERM'), 50);
    });
    expect(ended).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(ended.lines).toContain('ALL DONE');
    expect(await statuses(current.store)).toEqual({ success: 20 });
  });

  test("SIGTERM with the application's own listener: flowtrail leaves the ending to it", async () => {
    const ended = await run(current.db, { mode: 'own-handler', workflows: 5 }, (line, kill) => {
      if (line === 'READY') setTimeout(() => kill('SIGTERM'), 50);
    });
    expect(ended).toMatchObject({ code: 3, signal: null });
    expect(ended.lines).toContain('APP HANDLER');
    expect(await statuses(current.store)).toEqual({ success: 5 });
  });
});
