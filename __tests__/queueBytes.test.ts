import { ExecutionLogger, LoggedNode, LoggedWorkflow, WorkflowExecution, ExecutionStep, type ExecutionStore } from '../src';
import { CapturedJson } from '../src/capture/CapturedJson';
import { RecordBuffer } from '../src/writer/RecordBuffer';
import { recordBytes } from '../src/writer/records';
import { databaseKinds, pgAvailable, sqliteDatabase, tempDir, useStorePerTest, type TestDatabase } from './support/databases';
import { holdWriteLock } from './support/dbFaults';
import { until } from './support/until';

/**
 * Memory is bounded in bytes as well as in records (`maxQueueBytes`), and no batch, however large
 * its records, is too big for the writer thread: real SQLite files and PostgreSQL, the real
 * writer thread, the real spool.
 */

const MiB = 1024 * 1024;
/** Each input and each output: the size of the records. */
const PAYLOAD = 90_000;
/** What one such record may add past the bound: its data plus its names, ids and overhead. */
const ONE_RECORD = PAYLOAD + 4096;

class BigStep {
  constructor(readonly id: string) {}

  @LoggedNode()
  async execute(input: string): Promise<string> {
    await Promise.resolve();
    return input.toUpperCase();
  }
}

class BigWorkflow {
  readonly id = 'big';

  @LoggedWorkflow()
  async run(n: number): Promise<number> {
    let length = 0;
    for (const id of ['a', 'b', 'c']) length += (await new BigStep(id).execute(`${n}:${id}:`.padEnd(PAYLOAD, 'x'))).length;
    return length;
  }
}

describe('while SQLite is locked by another connection', () => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeEach(async () => {
    db = sqliteDatabase();
    store = await db.open({ busyTimeoutMs: 300 });
  });

  afterEach(async () => {
    ExecutionLogger.setDefault(null);
    await store.close();
    await db.drop();
  });

  test('memory holds maxQueueBytes (and one record) of large records, the spool the rest; all are written once after the lock', async () => {
    const maxQueueBytes = 2 * MiB;
    const logger = new ExecutionLogger(store, {
      configFile: false,
      spoolDir: tempDir('flowtrail-spool-'),
      maxQueueBytes,
      retryDelayMs: 50,
      maxRetryDelayMs: 200,
      onError: () => undefined,
    });
    ExecutionLogger.setDefault(logger);
    await logger.ready;
    expect(logger.stats().writerThread).toBe(true);
    const release = await holdWriteLock(db);

    const workflows = 30;
    for (let n = 0; n < workflows; n++) expect(await new BigWorkflow().run(n)).toBe(3 * PAYLOAD);
    const locked = logger.stats();
    // 30 workflows of 3 steps, 90 KB in and 90 KB out each: about 16 MB of records.
    expect(locked.spooled).toBeGreaterThan(0);
    expect(locked.dropped).toBe(0);
    expect(locked.peakQueuedBytes).toBeLessThanOrEqual(maxQueueBytes + ONE_RECORD);
    // Without the byte bound, memory held every record (maxQueueSize is 2 500).
    expect(locked.peakQueued).toBeLessThanOrEqual(Math.ceil(maxQueueBytes / PAYLOAD) + 1);

    await release();
    await until(
      async () => (await store.getStats()).success === workflows && logger.stats().spoolBacklog === 0,
      'the spool to be replayed',
    );
    expect(logger.stats().writerThread).toBe(true);
    await logger.shutdown();

    const after = logger.stats();
    expect(after).toMatchObject({ dropped: 0, rejected: 0, spoolBacklog: 0 });
    // Replayed in chunks that memory holds too.
    expect(after.peakQueuedBytes).toBeLessThanOrEqual(maxQueueBytes + ONE_RECORD);
    expect(await store.dataSource.getRepository(WorkflowExecution).count()).toBe(workflows);
    expect(await store.dataSource.getRepository(ExecutionStep).count()).toBe(3 * workflows);
    for (const execution of (await store.listExecutions({ limit: workflows })).items) {
      const steps = await store.getSteps(execution.id);
      expect(steps.map((step) => [step.nodeId, step.status])).toEqual([
        ['a', 'success'],
        ['b', 'success'],
        ['c', 'success'],
      ]);
      for (const step of steps) expect((step.outputData as string).length).toBe(PAYLOAD);
    }
  });
});

describe.each(databaseKinds)('the writer thread on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('300 steps of 90 KB in and 90 KB out are all stored, and the thread is still writing afterwards', async () => {
    const errors: unknown[] = [];
    const logger = new ExecutionLogger(current.store, { configFile: false, spoolDir: false, onError: (error) => errors.push(error) });
    await logger.ready;
    const payload = (i: number) => `${i}:`.padEnd(PAYLOAD, 'y');
    const id = await logger.startExecution({ workflowId: 'wide', workflowName: 'Wide' });
    for (let i = 0; i < 300; i++) {
      const step = await logger.startNode({ executionId: id, nodeId: `n${i}`, nodeType: 't', inputData: payload(i) });
      await logger.completeNode(step, true, payload(i).toUpperCase());
    }
    await logger.completeExecution(id, true);
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ writerThread: true, failedWrites: 0, dropped: 0, rejected: 0 });
    await logger.shutdown();

    expect(errors).toEqual([]);
    const steps = await current.store.getSteps(id);
    expect(steps).toHaveLength(300);
    for (const [i, step] of steps.entries()) {
      expect(step).toMatchObject({ nodeId: `n${i}`, status: 'success' });
      if (kind === 'mysql') {
        // A TEXT column holds 65 535 bytes: the logger caps values to fit, as truncation markers.
        expect(step.inputData).toMatchObject({ _truncated: true, _originalSize: PAYLOAD + 2 });
        expect(step.outputData).toMatchObject({ _truncated: true, _originalSize: PAYLOAD + 2 });
      } else {
        expect(step.inputData).toBe(payload(i));
        expect(step.outputData).toBe(payload(i).toUpperCase());
      }
    }
  });
});

// On SQLite a single large value costs the thread little beyond its text; the PostgreSQL driver
// holds copies of it in the thread's heap, and a record of this size killed the thread while its
// heap was fixed whatever maxDataSize allowed.
(pgAvailable ? describe : describe.skip)('the writer thread on postgres, one record larger than a batch part', () => {
  const current = useStorePerTest('postgres');

  test('it is written alone, by a thread whose heap is sized for the largest record maxDataSize allows', async () => {
    const size = 30_000_000;
    const logger = new ExecutionLogger(current.store, { configFile: false, spoolDir: false, maxDataSize: size + 100 });
    await logger.ready;
    const id = await logger.startExecution({ workflowId: 'huge', workflowName: 'Huge' });
    // Completed at once, its output folds into its start: one row of twice the size.
    const step = await logger.startNode({ executionId: id, nodeId: 'huge', nodeType: 't', inputData: 'i'.repeat(size) });
    await logger.completeNode(step, true, 'o'.repeat(size));
    await logger.completeExecution(id, true);
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ writerThread: true, failedWrites: 0 });
    await logger.shutdown();
    const [stored] = await current.store.getSteps(id);
    expect([(stored!.inputData as string).length, (stored!.outputData as string).length]).toEqual([size, size]);
  });
});

describe('RecordBuffer bytes', () => {
  const data = (length: number) => new CapturedJson(JSON.stringify('d'.repeat(length)));
  const execution = (id: string) => ({
    id,
    workflowId: 'w',
    workflowName: 'W',
    triggerType: 'manual',
    status: 'running' as const,
    startedAt: 0,
    triggerData: data(1000),
  });
  const step = (id: string) => ({
    id,
    executionId: 'e',
    nodeId: 'n',
    nodeType: 't',
    stepIndex: 0,
    startedAt: 0,
    status: 'running' as const,
    inputData: data(5000),
  });
  /** What the records held weigh, estimated afresh. */
  const estimate = (buffer: RecordBuffer) =>
    [...buffer.executions.values(), ...buffer.steps.values(), ...buffer.executionUpdates.values(), ...buffer.stepUpdates.values()]
      .map(recordBytes)
      .reduce((sum, bytes) => sum + bytes, 0);

  test('never fall below what the records hold, through folds, take, prepend and split', () => {
    const buffer = new RecordBuffer();
    buffer.insertExecution(execution('e'));
    buffer.insertStep(step('s1'));
    buffer.insertStep(step('s2'));
    expect(buffer.bytes).toBe(estimate(buffer));
    expect(buffer.bytes).toBeGreaterThan(11_000);

    // A completion folded into its insert adds its output.
    buffer.updateStep('s1', { status: 'success', outputData: data(20_000) });
    expect(buffer.bytes).toBeGreaterThanOrEqual(estimate(buffer));
    expect(estimate(buffer)).toBeGreaterThan(31_000);

    const taken = buffer.take();
    expect(buffer.bytes).toBe(0);
    buffer.updateStep('s0', { status: 'error', errorMessage: 'm'.repeat(3000) });
    buffer.prepend(taken);
    expect(buffer.size).toBe(4);
    expect(buffer.bytes).toBeGreaterThanOrEqual(estimate(buffer));

    const parts = buffer.split(12_000);
    expect(parts.map((part) => part.size)).toEqual([1, 1, 2]);
    expect(parts.map((part) => [...part.executions.keys(), ...part.steps.keys(), ...part.stepUpdates.keys()])).toEqual([
      ['e'],
      ['s1'],
      ['s2', 's0'],
    ]);
    for (const part of parts) expect(part.bytes).toBe(estimate(part));
    expect(buffer.split(buffer.bytes)).toEqual([buffer]);
    expect(buffer.split().map((part) => part.size)).toEqual([1, 1, 1, 1]);
  });
});
