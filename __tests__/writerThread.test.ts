import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as src from '../src';
import { databaseKinds, isSqlite, makeDatabase, type TestDatabase } from './support/databases';

// The writer thread runs compiled code (dist/writer/writerThreadMain.js, built by globalSetup):
// these tests use the built package, as an application would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dist = require('../dist') as typeof import('../src');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WriterThread } = require('../dist/writer/WriterThread') as typeof import('../src/writer/WriterThread');
type ExecutionStore = import('../src').ExecutionStore;

const run = promisify(execFile);

describe.each(databaseKinds)('writer thread on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = (await dist.ExecutionStore.open(db.options)) as ExecutionStore;
  });

  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  test('batches are written on the thread, with captured data, redaction and completions intact', async () => {
    const errors: unknown[] = [];
    const logger = new dist.ExecutionLogger(store, { configFile: false, spoolDir: false, onError: (error) => errors.push(error) });
    await logger.ready;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = await logger.startExecution({ workflowId: 'threaded', workflowName: 'Threaded', triggerData: { i } });
      const ok = await logger.startNode({
        executionId: id,
        nodeId: 'ok',
        nodeType: 't',
        inputData: { i, token: 'secret', text: 'ü "q" \\' },
      });
      await logger.completeNode(ok, true, { out: i });
      const bad = await logger.startNode({ executionId: id, nodeId: 'bad', nodeType: 't' });
      await logger.completeNode(bad, false, undefined, new Error(`boom ${i}`));
      await logger.completeExecution(id, i % 2 === 0, i % 2 === 0 ? undefined : new Error('odd'));
      ids.push(id);
      // Some completions arrive after their start was flushed: updates cross the thread too.
      if (i % 10 === 0) await logger.flush();
    }
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ writerThread: true, written: expect.any(Number), failedWrites: 0, rejected: 0, dropped: 0 });
    await logger.shutdown();

    for (const [i, id] of ids.entries()) {
      const execution = await store.getExecution(id, { steps: true });
      expect(execution).toMatchObject({ status: i % 2 === 0 ? 'success' : 'error', triggerData: { i } });
      expect(execution?.steps?.map((step) => [step.nodeId, step.status, step.inputData, step.outputData, step.errorMessage])).toEqual([
        ['ok', 'success', { i, token: '[REDACTED]', text: 'ü "q" \\' }, { out: i }, null],
        ['bad', 'error', null, null, `boom ${i}`],
      ]);
    }
    expect(errors).toEqual([]);
  });

  test('a batch the thread committed is settled while the workflow thread never returns to its event loop', async () => {
    const logger = new dist.ExecutionLogger(store, { configFile: false, spoolDir: false, maxBatchSize: 50, maxQueueSize: 1_000_000 });
    await logger.ready;
    let turned = false;
    setImmediate(() => (turned = true));
    // Only microtasks from here: the thread's reply message cannot be read until the loop ends.
    let records = 0;
    while (logger.stats().written === 0 && records < 400_000) {
      const id = await logger.startExecution({ workflowId: 'busy', workflowName: 'Busy' });
      await logger.completeExecution(id, true);
      records++;
    }
    expect(turned).toBe(false);
    expect(logger.stats().written).toBeGreaterThanOrEqual(50);
    await logger.shutdown();
    expect(await store.dataSource.getRepository(dist.WorkflowExecution).count()).toBe(records);
  });

  test('a refused record crosses the thread with the codes that mark it as refused data', async () => {
    const thread = WriterThread.start(store.sink);
    expect(thread).not.toBeNull();
    const startedAt = Date.now();
    const execution = {
      id: dist.uuidv7(),
      workflowId: 'w',
      workflowName: 'W',
      triggerType: 'manual',
      status: 'running' as const,
      startedAt,
    };
    const step = (index: number) => ({
      id: dist.uuidv7(),
      executionId: execution.id,
      nodeId: 'n',
      nodeType: 't',
      stepIndex: index,
      startedAt,
      status: 'running' as const,
    });
    try {
      await thread!.writeBatch({ executions: [execution], steps: [step(0)] });
      const refused = await thread!.writeBatch({ steps: [step(0)] }).catch((error: unknown) => error);
      // What BatchWriter reads to tell a refused record from a database that is away.
      const code = (refused as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (refused as { code?: string }).code;
      if (kind === 'mysql') {
        // The taken step index makes the insert set the id to NULL (see mysqlDialect): refused as data, class 23.
        expect(refused).toMatchObject({ code: 'ER_BAD_NULL_ERROR', sqlState: '23000' });
      } else {
        expect(code).toMatch(isSqlite(kind) ? /^SQLITE_CONSTRAINT/ : /^23505$/);
        expect((refused as Error).message).toMatch(/unique|UNIQUE/);
      }
    } finally {
      await thread!.close();
    }
    expect(await store.getSteps(execution.id)).toHaveLength(1);
  });

  test('plain data values (records read back from the spool) cross the thread as their JSON', async () => {
    const thread = WriterThread.start(store.sink)!;
    const startedAt = Date.now();
    const execution = {
      id: dist.uuidv7(),
      workflowId: 'w',
      workflowName: 'W',
      triggerType: 'manual',
      status: 'running' as const,
      startedAt,
      triggerData: { json: 'not a wrapper' },
      metadata: null,
    };
    const step = {
      id: dist.uuidv7(),
      executionId: execution.id,
      nodeId: 'n',
      nodeType: 't',
      stepIndex: 0,
      startedAt,
      status: 'running' as const,
      inputData: ['a', 1, { b: null }],
    };
    try {
      await thread.writeBatch({ executions: [execution], steps: [step] });
      await thread.writeBatch({
        stepUpdates: [{ id: step.id, patch: { status: 'success', outputData: 'text', completedAt: startedAt + 1 } }],
        executionUpdates: [{ id: execution.id, patch: { status: 'success', metadata: { m: [1] } } }],
      });
    } finally {
      await thread.close();
    }
    expect(await store.getExecution(execution.id, { steps: true })).toMatchObject({
      status: 'success',
      triggerData: { json: 'not a wrapper' },
      metadata: { m: [1] },
      steps: [{ status: 'success', inputData: ['a', 1, { b: null }], outputData: 'text' }],
    });
  });

  test('a thread that dies fails its write in flight (the writer retries it) and later batches use the store', async () => {
    const logger = new dist.ExecutionLogger(store, { configFile: false, spoolDir: false, retryDelayMs: 5, onError: () => undefined });
    await logger.ready;
    expect(logger.stats().writerThread).toBe(true);
    // Fault injection: nothing real makes a worker thread die on demand.
    const thread = (logger as unknown as { pipeline: { thread: { worker: { terminate(): Promise<number> } } } }).pipeline.thread;
    await thread.worker.terminate();
    const id = await logger.startExecution({ workflowId: 'after-death', workflowName: 'After death' });
    await logger.completeExecution(id, true);
    expect(await logger.flush()).toBe(true);
    expect(logger.stats().writerThread).toBe(false);
    await logger.shutdown();
    expect(await store.getExecution(id)).toMatchObject({ status: 'success' });
  });
});

test('a logger loaded from the TypeScript sources (as every in-process suite loads it) writes on the thread', async () => {
  const db = makeDatabase('sqlite');
  const store = await src.ExecutionStore.open(db.options);
  try {
    const logger = new src.ExecutionLogger(store, { configFile: false, spoolDir: false });
    await logger.ready;
    const id = await logger.startExecution({ workflowId: 'from-src', workflowName: 'From src', triggerData: { a: 1 } });
    await logger.completeExecution(id, true);
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ writerThread: true, written: 1, failedWrites: 0 });
    await logger.shutdown();
    expect(await store.getExecution(id)).toMatchObject({ status: 'success', triggerData: { a: 1 } });
  } finally {
    await store.close();
    await db.drop();
  }
});

test('an idle writer thread does not keep a finished program alive', async () => {
  const db = makeDatabase('sqlite');
  const script = `
    const { ExecutionStore, ExecutionLogger } = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
    (async () => {
      const store = await ExecutionStore.open({ database: ${JSON.stringify((db.options as { database: string }).database)} });
      const logger = new ExecutionLogger(store, { configFile: false, spoolDir: false });
      await logger.ready;
      const id = await logger.startExecution({ workflowId: 'w', workflowName: 'W' });
      await logger.completeExecution(id, true);
      await logger.flush();
      process.stdout.write(JSON.stringify(logger.stats()));
      // No shutdown, no store.close(): the program simply ends.
    })();`;
  try {
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toMatchObject({ writerThread: true, written: 1 });
  } finally {
    await db.drop();
  }
});
