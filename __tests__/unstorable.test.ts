import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uuidv7, type ErrorContext } from '../src';
import type { BatchSink } from '../src/writer/BatchSink';
import { BatchWriter } from '../src/writer/BatchWriter';
import { Spool } from '../src/writer/Spool';
import { WriterThread } from '../src/writer/WriterThread';
import { databaseKinds, tempDir, useStorePerTest } from './support/databases';

/**
 * One record holding a value that cannot be stored (a function where a name goes, a BigInt in a
 * number column) must be set aside alone: the rest of its batch is written, nothing is retried
 * forever, and nothing keeps the process alive.
 */

const OPTIONS = {
  flushIntervalMs: 60_000,
  maxBatchSize: 1000,
  maxQueueSize: 1000,
  maxQueueBytes: 32 * 1024 * 1024,
  retryDelayMs: 10,
  maxRetryDelayMs: 20,
};

function execution(workflowName: unknown = 'W') {
  return { id: uuidv7(), workflowId: 'w', workflowName, triggerType: 'manual', status: 'running' as const, startedAt: Date.now() } as never;
}

describe.each(databaseKinds)('an unstorable record on %s', (kind) => {
  const current = useStorePerTest(kind);

  async function writeTen(sink: BatchSink, bad: unknown): Promise<{ writer: BatchWriter; reports: ErrorContext[]; ids: string[] }> {
    const reports: ErrorContext[] = [];
    const writer = new BatchWriter(sink, OPTIONS, (_error, context) => reports.push(context));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const row = execution(i === 4 ? bad : `W${i}`) as { id: string };
      ids.push(row.id);
      writer.insertExecution(row as never);
    }
    return { writer, reports, ids };
  }

  test('through the writer thread: a function (structured clone refuses it) is set aside, the nine others are stored', async () => {
    const thread = WriterThread.start(current.store.sink)!;
    expect(thread).not.toBeNull();
    try {
      const { writer, reports, ids } = await writeTen(thread, () => 'forgot the call');
      expect(await writer.flush()).toBe(true);
      expect(writer.stats()).toMatchObject({ written: 9, rejected: 1, dropped: 0, queued: 0, healthy: true });
      expect(reports).toEqual([{ operation: 'reject', records: 1 }]);
      expect(await current.store.getExecution(ids[4]!)).toBeNull();
      expect((await current.store.listExecutions()).items).toHaveLength(9);
      expect(await writer.close(100)).toBe(0);
    } finally {
      await thread.close();
    }
  });

  test("on the store's own connection: a BigInt and an object where text goes are set aside, with the column named", async () => {
    const { writer, reports } = await writeTen(current.store.sink, { label: 'an object' });
    writer.updateExecution(uuidv7(), { durationMs: 5n as never });
    const errors: unknown[] = [];
    const second = new BatchWriter(current.store.sink, OPTIONS, (error) => errors.push(error));
    second.insertExecution(execution({ toString: () => 'x' }) as never);
    expect(await writer.flush()).toBe(true);
    expect(await second.flush()).toBe(true);
    expect(writer.stats()).toMatchObject({ written: 9, rejected: 2, queued: 0, healthy: true });
    expect(reports.map((report) => report.operation)).toEqual(['reject', 'reject']);
    expect(String((errors[0] as Error).message)).toContain('workflow_executions.workflow_name holds an object, not text');
    expect((await current.store.listExecutions()).items).toHaveLength(9);
    await writer.close(100);
    await second.close(100);
  });

  test('into the spool while the database is down: the unstorable record alone is set aside, the others are spooled', async () => {
    const dir = tempDir('flowtrail-spool-');
    const reports: ErrorContext[] = [];
    // Fault injection: a database that is down.
    const down: BatchSink = { writeBatch: () => Promise.reject(new Error('connect ECONNREFUSED (injected)')), isDataError: () => false };
    const spool = Spool.forSink(
      current.store.sink,
      { spoolDir: dir, maxBatchSize: 2, maxQueueSize: 2, maxQueueBytes: 32 * 1024 * 1024 },
      uuidv7(),
      (_e, c) => reports.push(c),
    )!;
    const writer = new BatchWriter(
      down,
      { ...OPTIONS, maxQueueSize: 2, maxBatchSize: 2 },
      (_error, context) => reports.push(context),
      spool,
    );
    for (let i = 0; i < 6; i++) {
      const row = execution(`W${i}`) as { stepIndex?: unknown };
      writer.insertExecution(row as never);
    }
    writer.insertStep({
      id: uuidv7(),
      executionId: uuidv7(),
      nodeId: 'n',
      nodeType: 't',
      stepIndex: 1n as never,
      startedAt: 1,
      status: 'running',
    });
    writer.insertExecution(execution('after') as never);
    await writer.flush();
    expect(await writer.close(50)).toBe(0);
    const lines = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
      .flatMap((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8').split('\n').filter(Boolean));
    expect(lines).toHaveLength(7);
    expect(lines.join('\n')).toContain('"workflowName":"after"');
    expect(writer.stats()).toMatchObject({ rejected: 1, dropped: 0 });
    expect(reports.some((report) => report.operation === 'spool' && report.records === 1)).toBe(true);
  });
});

test('a process whose writer thread was handed an unstorable batch still ends by itself', async () => {
  const dir = tempDir();
  const dist = join(__dirname, '..', 'dist');
  const script = `
    const { ExecutionStore, uuidv7 } = require(${JSON.stringify(dist)});
    const { WriterThread } = require(${JSON.stringify(join(dist, 'writer', 'WriterThread.js'))});
    (async () => {
      const store = await ExecutionStore.open({ database: ${JSON.stringify(join(dir, 'h.sqlite'))} });
      const thread = WriterThread.start(store.sink);
      await thread.ready;
      const row = { id: uuidv7(), workflowId: 'w', workflowName: () => 1, triggerType: 'manual', status: 'running', startedAt: 1 };
      const outcome = await thread.writeBatch({ executions: [row] }).then(() => 'written', (e) => e.code);
      console.log(outcome);
    })();`;
  // No close, no shutdown: an idle thread must not hold the process, even after a batch it could not take.
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 20_000 });
  expect(stdout.trim()).toBe('FLOWTRAIL_UNSTORABLE_RECORD');
});
