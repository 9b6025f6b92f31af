import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { uuidv7 } from '../src';
import { createPipeline, type PipelineSettings } from '../src/logger/createPipeline';
import type { ErrorContext } from '../src/logger/ErrorReporter';
import type { HistorySink, InstanceInfo } from '../src/store/ports';
import { databaseKinds, tempDir, useStorePerTest } from './support/databases';

/** Polls a condition; throws (failing the test) if it never holds. Asserts nothing about time. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

const settings = (overrides: Partial<PipelineSettings> = {}): PipelineSettings => ({
  flushIntervalMs: 10,
  maxBatchSize: 100,
  maxQueueSize: 1000,
  maxQueueBytes: 32 * 1024 * 1024,
  retryDelayMs: 5,
  maxRetryDelayMs: 10,
  spoolDir: false,
  writerThread: false,
  enabled: true,
  maxDataSize: 100_000,
  maxErrorMessageSize: 4096,
  maxErrorStackSize: 16_384,
  ...overrides,
});

const running = (instanceId: string, workflowId = 'w') => ({
  id: uuidv7(),
  workflowId,
  workflowName: 'W',
  triggerType: 'manual' as const,
  status: 'running' as const,
  startedAt: Date.now(),
  instanceId,
});

describe.each(databaseKinds)('createPipeline on %s', (kind) => {
  const current = useStorePerTest(kind);
  let reports: ErrorContext[];
  const report = (_error: unknown, context: ErrorContext) => reports.push(context);
  let spoolDir: string;

  beforeEach(() => {
    reports = [];
    spoolDir = tempDir('flowtrail-pipeline-');
  });

  afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

  test('records queued on its writer reach the database, and close() writes what is still queued', async () => {
    const pipeline = createPipeline(current.store.sink, settings({ flushIntervalMs: 60_000 }), uuidv7(), report, () => undefined);
    await pipeline.ready;
    const row = running('i');
    pipeline.writer.insertExecution(row);
    pipeline.writer.updateExecution(row.id, { status: 'success', completedAt: row.startedAt + 5, durationMs: 5 });
    expect(await current.store.getExecution(row.id)).toBeNull();
    await pipeline.close(1000);
    expect(await current.store.getExecution(row.id)).toMatchObject({ status: 'success', durationMs: 5 });
    expect(pipeline.threadActive).toBe(false);
    expect(reports).toEqual([]);
  });

  test('the spool of a logger that closed while the database was down is replayed by the next, which is told whose it was', async () => {
    // Fault injection: the first logger's database refuses every write, as one that is down.
    const down: HistorySink = {
      ...current.store.sink,
      writeBatch: () => Promise.reject(new Error('connection refused (injected)')),
    };
    const deadId = uuidv7();
    const before = Date.now();
    const dead = createPipeline(down, settings({ spoolDir }), deadId, report, () => undefined);
    const left = running(deadId, 'left behind');
    dead.writer.insertExecution(left);
    await dead.close(30); // the record goes to the spool, not the database
    expect(reports.map((context) => context.operation)).toContain('shutdown');
    expect(await current.store.getExecution(left.id)).toBeNull();

    const replayed: InstanceInfo[] = [];
    const next = createPipeline(current.store.sink, settings({ spoolDir }), uuidv7(), report, (instance) => replayed.push(instance));
    await until(() => replayed.length > 0, 'the dead logger’s spool to be replayed');
    expect(replayed).toEqual([{ id: deadId, hostname: hostname(), pid: process.pid, startedAt: expect.any(Number) }]);
    expect(replayed[0]!.startedAt).toBeGreaterThanOrEqual(before);
    expect(replayed[0]!.startedAt).toBeLessThanOrEqual(Date.now());
    expect(await current.store.getExecution(left.id)).toMatchObject({ workflowId: 'left behind', status: 'running' });
    await next.close(1000);
  });
});

// The writer thread runs compiled code: the built package (globalSetup builds it), as an application would.
describe('createPipeline: the writer thread', () => {
  const current = useStorePerTest('sqlite');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dist = require('../dist/logger/createPipeline') as typeof import('../src/logger/createPipeline');

  test.each([
    [{ writerThread: true, enabled: true }, true],
    [{ writerThread: false, enabled: true }, false],
    [{ writerThread: true, enabled: false }, false],
  ])('with %o, batches are written on a thread: %s', async (switches, threaded) => {
    const pipeline = dist.createPipeline(
      current.store.sink,
      settings(switches),
      uuidv7(),
      () => undefined,
      () => undefined,
    );
    await pipeline.ready;
    expect(pipeline.thread !== null).toBe(threaded);
    expect(pipeline.threadActive).toBe(threaded);
    const row = running('i');
    pipeline.writer.insertExecution(row);
    await pipeline.close(1000);
    expect(pipeline.threadActive).toBe(false);
    expect(await current.store.getExecution(row.id)).toMatchObject({ status: 'running' });
  });
});
