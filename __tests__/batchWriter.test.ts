import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorContext } from '../src';
import { CapturedJson } from '../src/capture/CapturedJson';
import type { WriteBatch } from '../src/store/types';
import type { BatchSink } from '../src/writer/BatchSink';
import { BatchWriter, type BatchWriterOptions } from '../src/writer/BatchWriter';
import { MAX_BATCH_BYTES, parseSpoolLine } from '../src/writer/records';
import { Spool } from '../src/writer/Spool';
import { tempDir } from './support/databases';

// BatchWriter's spill, ceiling, ordering and retry logic, driven directly. The sink is a fake
// because these tests need faults on demand (down, slow, refusing one record) at exact moments;
// the spool is the real one, on disk. The real databases are in writer.test.ts and spool.test.ts.

/** The database refusing a record for its content, as the store classifies it. */
class RefusedError extends Error {}

/**
 * A database that applies batches all or nothing, as the store does (an insert of an id it holds
 * is skipped), and notes what a real one would silently get wrong: an update or a step that
 * arrives before the row it needs.
 */
class FakeSink implements BatchSink {
  /** What the database holds, in the order it was applied: `E:id`, `S:id` inserts, `e:id`, `s:id` updates. */
  readonly stored: string[] = [];
  readonly violations: string[] = [];
  /** Fake time of each write attempt. */
  readonly attempts: number[] = [];
  /** Ids whose records the database refuses. */
  readonly refuse = new Set<string>();
  down = false;
  /** Goes down after this many more successful writes. */
  downAfter = Infinity;
  /** Writes wait for `release()`: a slow database. */
  gated = false;
  private readonly gates: (() => void)[] = [];
  private readonly rows = new Set<string>();

  async writeBatch(batch: WriteBatch): Promise<void> {
    this.attempts.push(Date.now());
    if (this.gated) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.down) throw new Error('connect ECONNREFUSED (fake)');
    const ids = [
      ...(batch.executions ?? []).map((row) => row.id),
      ...(batch.steps ?? []).map((row) => row.id),
      ...(batch.executionUpdates ?? []).map((update) => update.id),
      ...(batch.stepUpdates ?? []).map((update) => update.id),
    ];
    const refused = ids.find((id) => this.refuse.has(id));
    if (refused !== undefined) throw new RefusedError(`refused ${refused}`);
    for (const row of batch.executions ?? []) this.insert('E', row.id);
    for (const row of batch.steps ?? []) {
      if (!this.rows.has(row.executionId)) this.violations.push(`step ${row.id} before execution ${row.executionId}`);
      this.insert('S', row.id);
    }
    for (const { id } of batch.executionUpdates ?? []) this.update('e', id);
    for (const { id } of batch.stepUpdates ?? []) this.update('s', id);
    if (--this.downAfter <= 0) this.down = true;
  }

  isDataError(error: unknown): boolean {
    return error instanceof RefusedError;
  }

  /** Writes waiting for release. */
  get waiting(): number {
    return this.gates.length;
  }

  release(): void {
    this.gates.shift()?.();
  }

  open(): void {
    this.gated = false;
    this.down = false;
    this.downAfter = Infinity;
    for (const release of this.gates.splice(0)) release();
  }

  private insert(kind: 'E' | 'S', id: string): void {
    if (this.rows.has(id)) return;
    this.rows.add(id);
    this.stored.push(`${kind}:${id}`);
  }

  private update(kind: 'e' | 's', id: string): void {
    if (!this.rows.has(id)) this.violations.push(`update of ${id} before its insert`);
    this.stored.push(`${kind}:${id}`);
  }
}

const execution = (id: string) => ({
  id,
  workflowId: 'w',
  workflowName: 'W',
  triggerType: 'manual',
  status: 'running' as const,
  startedAt: 0,
});
const step = (id: string, executionId: string) => ({
  id,
  executionId,
  nodeId: 'n',
  nodeType: 't',
  stepIndex: 0,
  startedAt: 0,
  status: 'running' as const,
});
/** A step whose input is `size` characters of captured JSON. */
const bigStep = (id: string, executionId: string, size: number) => ({ ...step(id, executionId), inputData: bigData(size) });
const bigData = (size: number) => new CapturedJson(`"${'x'.repeat(size - 2)}"`);

/**
 * Lets the writer run until `done()` holds: due fake timers fire, promises settle, and real I/O
 * (the spool's file reads) completes. Fake time does not move.
 */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (done()) return;
    await jest.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

async function settled<T>(promise: Promise<T>): Promise<T> {
  let result: { value: T } | null = null;
  void promise.then((value) => (result = { value }));
  await until(() => result !== null, 'the promise to settle');
  return result!.value;
}

describe('BatchWriter (fake sink, fake timers, real spool)', () => {
  let dir: string;
  let writer: BatchWriter | null;
  let sink: FakeSink;
  let reports: ErrorContext[];

  beforeEach(() => {
    // Timers and Date are fake; setImmediate stays real so that file reads can complete.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask'] });
    dir = tempDir('flowtrail-batchwriter-');
    sink = new FakeSink();
    reports = [];
    writer = null;
  });

  afterEach(async () => {
    sink.open();
    if (writer !== null) await settled(writer.close(0));
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(options: Partial<BatchWriterOptions>, spooled = true): BatchWriter {
    const resolved: BatchWriterOptions = {
      flushIntervalMs: 1000,
      maxBatchSize: 4,
      maxQueueSize: 4,
      maxQueueBytes: 32 * 1024 * 1024,
      retryDelayMs: 100,
      maxRetryDelayMs: 400,
      ...options,
    };
    const report = (_error: unknown, context: ErrorContext) => reports.push(context);
    const segmentLines = Math.min(resolved.maxBatchSize, resolved.maxQueueSize);
    const spool = spooled ? new Spool(dir, 'writer', 'database', report, segmentLines) : null;
    writer = new BatchWriter(sink, resolved, report, spool);
    return writer;
  }

  /** The spool's records on disk, in file order, as `t:id`. */
  function spoolContents(): string[] {
    const folder = join(dir, 'writer');
    return readdirSync(folder)
      .filter((name) => name.endsWith('.jsonl'))
      .sort()
      .flatMap((name) => readFileSync(join(folder, name), 'utf8').split('\n').filter(Boolean))
      .map((line) => {
        const record = parseSpoolLine(line)!;
        return `${record.t}:${record.t === 'E' || record.t === 'S' ? record.r.id : record.t === 'D' ? record.r.hash : record.id}`;
      });
  }

  test('strict persist(): a write that fails makes its records durable in the spool before persist() answers', async () => {
    const writer = start({ maxQueueSize: 100, maxBatchSize: 100 });
    sink.down = true;
    writer.insertExecution(execution('e0'));
    writer.insertStep(step('s0', 'e0'));
    // The database was healthy until this write: persist() learns it is down, and spools rather than answer false.
    expect(await settled(writer.persist())).toBe(true);
    expect(writer.stats()).toMatchObject({ queued: 0, spooled: 2, spoolBacklog: 2, healthy: false });
    expect(spoolContents()).toEqual(['E:e0', 'S:s0']);
    // Every later record follows, durable at once, without a write attempt of its own.
    const attempts = sink.attempts.length;
    writer.updateStep('s0', { status: 'success' });
    expect(await settled(writer.persist())).toBe(true);
    expect(sink.attempts).toHaveLength(attempts);
    expect(spoolContents()).toEqual(['E:e0', 'S:s0', 's:s0']);
    sink.open();
    await settled(writer.flush());
    expect(sink.stored).toEqual(['E:e0', 'S:s0', 's:s0']);
  });

  test('memory full while the database is down: what memory holds and the new record go to the spool, and everything after follows', async () => {
    const writer = start({ maxQueueSize: 4, maxBatchSize: 4 });
    sink.down = true;
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(false);
    for (const id of ['e1', 'e2', 'e3']) writer.insertExecution(execution(id));
    expect(writer.stats()).toMatchObject({ queued: 4, spooled: 0, healthy: false });

    writer.insertExecution(execution('e4'));
    expect(writer.stats()).toMatchObject({ queued: 0, spooled: 5, spoolBacklog: 5 });
    writer.insertStep(step('s4', 'e4'));
    writer.updateExecution('e0', { status: 'success' });
    expect(writer.stats()).toMatchObject({ queued: 0, spooled: 7, spoolBacklog: 7, peakQueued: 4, dropped: 0 });
    expect(spoolContents()).toEqual(['E:e0', 'E:e1', 'E:e2', 'E:e3', 'E:e4', 'S:s4', 'e:e0']);

    sink.down = false;
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e0', 'E:e1', 'E:e2', 'E:e3', 'E:e4', 'S:s4', 'e:e0']);
    expect(sink.violations).toEqual([]);
    expect(writer.stats()).toMatchObject({ queued: 0, spoolBacklog: 0, replayed: 7, written: 7, dropped: 0, rejected: 0, healthy: true });
    expect(reports).toEqual([{ operation: 'write', records: 1 }]);
  });

  test('memory full of bytes while the database is down: the next record, a completion that would fold included, goes to the spool after what memory holds', async () => {
    const maxQueueBytes = 1_000_000;
    const writer = start({ maxQueueSize: 100, maxBatchSize: 100, maxQueueBytes });
    sink.down = true;
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(false);
    for (const id of ['s1', 's2', 's3', 's4']) writer.insertStep(bigStep(id, 'e0', 300_000));
    // The fourth step found memory below the bound: it may go past it, by one record.
    expect(writer.stats()).toMatchObject({ queued: 5, spooled: 0 });
    expect(writer.stats().queuedBytes).toBeGreaterThan(maxQueueBytes);

    // Folded into its start, this output would hold as much again as a record of its own.
    writer.updateStep('s1', { status: 'success', outputData: bigData(300_000) });
    expect(writer.stats()).toMatchObject({ queued: 0, queuedBytes: 0, spooled: 6, spoolBacklog: 6 });
    expect(writer.stats().peakQueuedBytes).toBeLessThan(maxQueueBytes + 300_000 + 1024);
    expect(spoolContents()).toEqual(['E:e0', 'S:s1', 'S:s2', 'S:s3', 'S:s4', 's:s1']);

    sink.down = false;
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e0', 'S:s1', 'S:s2', 'S:s3', 'S:s4', 's:s1']);
    expect(sink.violations).toEqual([]);
    // Read back in chunks memory can hold.
    expect(sink.attempts.length).toBeGreaterThan(2);
    expect(writer.stats().peakQueuedBytes).toBeLessThan(maxQueueBytes + 300_000 + 1024);
  });

  test('without a spool, memory full while the database is down drops what does not fit, counted and reported once', async () => {
    const writer = start({ maxQueueSize: 2, maxBatchSize: 2 }, false);
    sink.down = true;
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(false);
    for (const id of ['e1', 'e2', 'e3']) writer.insertExecution(execution(id));
    expect(writer.stats()).toMatchObject({ queued: 2, dropped: 2, spooled: 0 });
    expect(reports).toEqual([
      { operation: 'write', records: 1 },
      { operation: 'drop', records: 1 },
    ]);
    sink.down = false;
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e0', 'E:e1']);
  });

  test('after an outage, callers wait for the backlog to stop growing, not for it to drain', async () => {
    const writer = start({ maxQueueSize: 4, maxBatchSize: 2 }); // replayed two records per write
    sink.down = true;
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(false);
    for (let i = 1; i < 12; i++) writer.insertExecution(execution(`e${i}`));
    expect(writer.stats()).toMatchObject({ queued: 0, spoolBacklog: 12 });
    expect(writer.mustWait).toBe(false); // nobody waits on a database that is down

    sink.down = false;
    sink.gated = true;
    await jest.advanceTimersByTimeAsync(100); // the retry
    await until(() => sink.waiting === 1, 'the retry');
    sink.release();
    await until(() => writer.stats().replayed === 2, 'the first replayed write');
    expect(writer.stats()).toMatchObject({ healthy: true, spoolBacklog: 10 });
    // The outage's backlog is the ceiling now: it may drain, not grow.
    expect(writer.mustWait).toBe(true);
    let backlogAtRoom = -1;
    const room = writer.waitForRoom().then(() => (backlogAtRoom = writer.stats().spoolBacklog));
    await until(() => sink.waiting === 1, 'the next replayed write');
    sink.release();
    await settled(room);
    // Room came with the next write, while the backlog was still above maxQueueSize.
    expect(backlogAtRoom).toBe(8);

    sink.open();
    expect(await settled(writer.flush())).toBe(true);
    // Drained: the ceiling is maxQueueSize again.
    sink.gated = true;
    for (const id of ['f0', 'f1', 'f2']) writer.insertExecution(execution(id));
    expect(writer.mustWait).toBe(false);
    writer.insertExecution(execution('f3'));
    expect(writer.mustWait).toBe(true);
    expect(sink.violations).toEqual([]);
  });

  test('write order: memory before the spool, a step never before its execution, a completion never before its start', async () => {
    const writer = start({ maxQueueSize: 4, maxBatchSize: 2 });
    sink.gated = true; // slow, not down
    writer.insertExecution(execution('e0'));
    writer.insertExecution(execution('e1')); // a full batch: written now, and held until the database answers
    writer.insertExecution(execution('e2'));
    writer.insertExecution(execution('e3'));
    expect(writer.stats()).toMatchObject({ queued: 4, spooled: 0 });
    for (const id of ['e4', 'e5', 'e6', 'e7']) writer.insertExecution(execution(id)); // memory full: spilled
    writer.insertStep(step('s5', 'e5'));
    expect(writer.stats()).toMatchObject({ queued: 4, spooled: 5 });

    sink.release(); // e0, e1
    await until(() => sink.waiting === 1 && sink.stored.length === 2, 'the memory batch behind it');
    sink.release(); // e2, e3
    await until(() => sink.waiting === 1 && sink.stored.length === 4, 'the first replayed write');
    // Memory has room again, but e7 is still in the spool, unread: its step and completion must follow it there.
    writer.insertStep(step('s7', 'e7'));
    writer.updateExecution('e7', { status: 'success' });
    writer.updateStep('s5', { status: 'success' });
    expect(writer.stats()).toMatchObject({ spooled: 8 });

    sink.open();
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.violations).toEqual([]);
    expect(sink.stored.slice(0, 4)).toEqual(['E:e0', 'E:e1', 'E:e2', 'E:e3']);
    expect(sink.stored.filter((record) => record.startsWith('E:'))).toEqual([
      'E:e0',
      'E:e1',
      'E:e2',
      'E:e3',
      'E:e4',
      'E:e5',
      'E:e6',
      'E:e7',
    ]);
    expect([...sink.stored].sort()).toEqual([
      'E:e0',
      'E:e1',
      'E:e2',
      'E:e3',
      'E:e4',
      'E:e5',
      'E:e6',
      'E:e7',
      'S:s5',
      'S:s7',
      'e:e7',
      's:s5',
    ]);
    expect(writer.stats()).toMatchObject({ queued: 0, spoolBacklog: 0, replayed: 8, dropped: 0 });
  });

  test('a failing database is retried with exponential backoff up to maxRetryDelayMs, reported once per outage', async () => {
    const writer = start({ flushIntervalMs: 1000, retryDelayMs: 100, maxRetryDelayMs: 400 }, false);
    const t0 = Date.now();
    sink.down = true;
    writer.insertExecution(execution('e0'));
    await jest.advanceTimersByTimeAsync(1000); // the flush timer
    await jest.advanceTimersByTimeAsync(2000);
    expect(sink.attempts.map((at) => at - t0)).toEqual([1000, 1100, 1300, 1700, 2100, 2500, 2900]);
    expect(writer.stats()).toMatchObject({
      healthy: false,
      queued: 1,
      written: 0,
      failedWrites: 7,
      lastError: 'connect ECONNREFUSED (fake)',
    });
    expect(reports).toEqual([{ operation: 'write', records: 1 }]);

    writer.updateExecution('e0', { status: 'success' }); // folds into the insert waiting for its retry
    sink.down = false;
    await jest.advanceTimersByTimeAsync(400);
    expect(sink.attempts.map((at) => at - t0).slice(7)).toEqual([3300]);
    expect(sink.stored).toEqual(['E:e0']);
    expect(writer.stats()).toMatchObject({ healthy: true, queued: 0, written: 1, retried: 1, flushes: 1, failedWrites: 7 });

    // A new outage is reported again; an explicit flush retries at once, not after the backoff.
    sink.down = true;
    writer.insertExecution(execution('e1'));
    expect(await settled(writer.flush())).toBe(false);
    expect(await settled(writer.flush())).toBe(false);
    expect(sink.attempts.slice(8)).toEqual([Date.now(), Date.now()]);
    expect(reports).toEqual([
      { operation: 'write', records: 1 },
      { operation: 'write', records: 1 },
    ]);
  });

  test('a record the database refuses is set aside alone; the rest of its batch is written, in order', async () => {
    const writer = start({ maxQueueSize: 100, maxBatchSize: 100 }, false);
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(true);
    sink.refuse.add('bad');
    writer.insertStep(step('s0', 'e0'));
    writer.insertStep(step('bad', 'e0'));
    writer.insertExecution(execution('e1'));
    writer.updateExecution('e0', { status: 'success' });
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e0', 'E:e1', 'S:s0', 'e:e0']);
    expect(writer.stats()).toMatchObject({ written: 4, rejected: 1, failedWrites: 0, dropped: 0, healthy: true });
    expect(reports).toEqual([{ operation: 'reject', records: 1 }]);
  });

  test('a batch past MAX_BATCH_BYTES is written in parts; when one fails, only the parts not committed are retried', async () => {
    const writer = start({ maxQueueSize: 100, maxBatchSize: 100 }, false);
    const size = Math.floor(MAX_BATCH_BYTES * 0.35); // two steps to a part
    sink.downAfter = 1;
    writer.insertExecution(execution('e1'));
    for (const id of ['s1', 's2', 's3']) writer.insertStep(bigStep(id, 'e1', size));
    expect(await settled(writer.flush())).toBe(false);
    // The first part committed, in its own transaction; the second failed.
    expect(sink.attempts).toHaveLength(2);
    expect(sink.stored).toEqual(['E:e1', 'S:s1', 'S:s2']);
    expect(writer.stats()).toMatchObject({ queued: 1, written: 3, failedWrites: 1 });

    // Its insert is committed: s1's completion must not fold into it (a retried insert is
    // skipped as a conflict, and the completion with it).
    writer.updateStep('s1', { status: 'success' });
    sink.open();
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e1', 'S:s1', 'S:s2', 'S:s3', 's:s1']);
    expect(sink.violations).toEqual([]);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 5 });
  });

  test('a database that fails while refused records are being set aside keeps the rest, in order, for the retry', async () => {
    const writer = start({ maxQueueSize: 100, maxBatchSize: 100 }, false);
    writer.insertExecution(execution('e0'));
    expect(await settled(writer.flush())).toBe(true);
    sink.refuse.add('bad');
    writer.insertExecution(execution('e1'));
    writer.insertExecution(execution('e2'));
    writer.insertStep(step('bad', 'e1'));
    writer.updateExecution('e0', { status: 'success' });
    sink.downAfter = 1; // e1 alone is written, then the database goes away
    expect(await settled(writer.flush())).toBe(false);
    expect(sink.stored).toEqual(['E:e0', 'E:e1']);
    expect(writer.stats()).toMatchObject({ queued: 3, healthy: false, rejected: 0 });

    sink.open();
    expect(await settled(writer.flush())).toBe(true);
    expect(sink.stored).toEqual(['E:e0', 'E:e1', 'E:e2', 'e:e0']);
    expect(writer.stats()).toMatchObject({ queued: 0, rejected: 1, failedWrites: 1, healthy: true });
    expect(reports).toEqual([
      { operation: 'write', records: 3 },
      { operation: 'reject', records: 1 },
    ]);
  });
});
