import type { ReportError } from '../errors';
import type { ExecutionPatch, StepPatch } from '../store/types';
import type { BatchSink } from './BatchSink';
import { FlushSchedule } from './FlushSchedule';
import type { RecordBuffer } from './RecordBuffer';
import { RecordQueue, type Batch } from './RecordQueue';
import { MAX_BATCH_BYTES, spoolChunkBytes, type DefinitionRow, type ExecutionRow, type SpoolRecord, type StepRow } from './records';
import type { Spool } from './Spool';
import { WriterCounters, type WriterStats } from './WriterStats';
import { writeInParts } from './writeInParts';

export type { WriterStats } from './WriterStats';

export interface BatchWriterOptions {
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  /** Estimated bytes of records memory holds at most, beside `maxQueueSize` records. */
  maxQueueBytes: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/**
 * The write-behind writer between the logger and the store. Records wait in a {@link RecordQueue}
 * (memory, then the spool) and are written in one transaction per flush (a batch larger than
 * {@link MAX_BATCH_BYTES} in several), by an unref()'d timer or as soon as a batch is full. When
 * the database is slow, async callers wait for room (backpressure); when it fails, records stay
 * queued and are retried with exponential backoff, and the failure is reported once; when it
 * refuses a record for its content, that record is set aside and the rest written.
 *
 * Long because it is where the queue, the schedule and the sink meet, and their rules
 * (backpressure, spilling, strict waits, retries, shutdown) act on the same state; each part that
 * can stand alone does (RecordQueue, WriteOrder, FlushSchedule, WriterStats, writeInParts).
 */
export class BatchWriter {
  private readonly queue: RecordQueue;
  private readonly schedule: FlushSchedule;
  /** Estimated bytes of a batch written in one part, and of a chunk read back from the spool. */
  private readonly batchBytes: number;
  private writing: Promise<void> | null = null;
  /** The spool's next fsync, shared by the strict callers of one turn of the event loop. */
  private syncing: Promise<boolean> | null = null;
  /** The backlog (memory and spool) at which callers that can wait must wait, while the database answers. */
  private ceiling: number;
  private roomWaiters: (() => void)[] = [];
  private stopped = false;
  /** What has been reported once (an outage, drops, late records); outage and drops again after a commit. */
  private readonly reported = new Set<'write' | 'drop' | 'late'>();
  private readonly counters = new WriterCounters();

  constructor(
    private readonly store: BatchSink,
    private readonly options: BatchWriterOptions,
    private readonly report: ReportError,
    spool: Spool | null = null,
  ) {
    this.batchBytes = Math.min(MAX_BATCH_BYTES, options.maxQueueBytes);
    this.queue = new RecordQueue(spool, {
      maxRecords: options.maxQueueSize,
      maxBytes: options.maxQueueBytes,
      chunkRecords: Math.max(1, Math.min(options.maxBatchSize, options.maxQueueSize)),
      chunkBytes: spoolChunkBytes(options.maxQueueBytes),
    });
    this.schedule = new FlushSchedule(() => this.kick(), options);
    this.ceiling = options.maxQueueSize;
    if (spool !== null) {
      spool.onUnstorable = (records) => (this.counters.rejected += records);
      spool.adoptOrphans();
      this.kick();
    }
  }

  /** A workflow definition, stored once per hash (the store skips one it has). */
  insertDefinition(row: DefinitionRow): void {
    this.admit(
      false,
      (buffer) => buffer.insertDefinition(row),
      (q) => ({ q, t: 'D', r: row }),
    );
  }

  insertExecution(row: ExecutionRow): void {
    this.admit(
      false,
      (buffer) => buffer.insertExecution(row),
      (q) => ({ q, t: 'E', r: row }),
    );
  }

  insertStep(row: StepRow): void {
    this.admit(
      false,
      (buffer) => buffer.insertStep(row),
      (q) => ({ q, t: 'S', r: row }),
    );
  }

  updateExecution(id: string, patch: ExecutionPatch): void {
    // A completion folded into a queued insert does not grow the queue: memory always takes it.
    this.admit(
      this.queue.holdsExecution(id),
      (buffer) => buffer.updateExecution(id, patch),
      (q) => ({ q, t: 'e', id, p: patch }),
    );
  }

  updateStep(id: string, patch: StepPatch): void {
    this.admit(
      this.queue.holdsStep(id),
      (buffer) => buffer.updateStep(id, patch),
      (q) => ({ q, t: 's', id, p: patch }),
    );
  }

  /** Whether this execution's insert is still in memory, so that its completion folds into it. */
  queuesExecution(id: string): boolean {
    return this.queue.holdsExecution(id);
  }

  /** Whether this step's insert is still in memory, so that its completion folds into it. */
  queuesStep(id: string): boolean {
    return this.queue.holdsStep(id);
  }

  /**
   * True when the database is answering but the backlog (memory and spool) is at its ceiling, or
   * memory holds `maxQueueBytes`: the caller should wait. The ceiling is `maxQueueSize`, or, after
   * an outage, the backlog it left, until that has drained below `maxQueueSize`: workflows then go
   * on at the pace the database replays, instead of all stopping until the outage's backlog is
   * written.
   */
  get mustWait(): boolean {
    return this.mustWaitFor(false);
  }

  /**
   * {@link mustWait} for a completion that folds into its insert in memory (`folds`): it adds no
   * record, only bytes, so it waits only while memory is full of bytes.
   */
  mustWaitFor(folds: boolean): boolean {
    if (this.stopped || !this.healthy) return false;
    return this.queue.bytesFull || (!folds && this.queue.backlog >= this.ceiling);
  }

  /** Resolves when the queue has room again, or when waiting is pointless (database down, stopped). */
  waitForRoom(): Promise<void> {
    // The write in flight may be done: then its room comes in a microtask, not after the event loop.
    if (this.queue.inflight !== null) this.store.settleFinished?.();
    if (!this.mustWait) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Writes what is queued now, in memory and in this logger's spool. Resolves true once it is
   * committed, false if an attempt failed (the records stay queued for retry). Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.queue.order.allCommitted) return Promise.resolve(this.healthy);
    const done = this.queue.order.waitForAll();
    this.schedule.retryNow();
    this.kick();
    return done;
  }

  /**
   * Strict mode's wait: resolves true once every record admitted is durable — committed, or, while
   * the database is known to be down (or the spool holds records ahead of it), appended to the
   * spool and fsync'ed, from where it is written in order later. Waits for the database only while
   * it answers: never for a lock or an outage. False when durability cannot be had (the database
   * is down and there is no spool, or the disk refuses).
   */
  persist(): Promise<boolean> {
    if (this.queue.order.allCommitted) return Promise.resolve(true);
    const { spool } = this.queue;
    if (spool !== null && (!this.healthy || this.queue.spilling)) {
      const moved = this.queue.moveToSpool();
      if (moved > 0) this.spooled(moved);
      if (this.queue.spilling) return this.syncSpool(spool);
    }
    if (!this.healthy) return Promise.resolve(false);
    // A write that fails makes the database known to be down: what it held goes to the spool now.
    return this.flush().then((committed) => committed || (spool !== null && this.persist()));
  }

  /** One fsync for every record made durable in this turn of the event loop, not one each (group commit). */
  private syncSpool(spool: Spool): Promise<boolean> {
    this.syncing ??= new Promise((resolve) =>
      setImmediate(() => {
        this.syncing = null;
        resolve(spool.sync());
      }),
    );
    return this.syncing;
  }

  /**
   * Writes everything queued, retrying failures until `timeoutMs` has passed. What is still in
   * memory then goes to the spool, where the next logger on this database finds it; without a
   * spool it is counted as dropped, and that number is returned. Further records are refused.
   */
  async close(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.flush())) {
      const wait = Math.min(this.schedule.backoffMs(), deadline - Date.now());
      if (wait <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.stopped = true;
    this.schedule.stop();
    await this.writing;
    const { spool } = this.queue;
    const spooled = this.queue.spoolMemory();
    this.counters.spooled += spooled;
    const kept = this.queue.spoolBacklog + spooled;
    if (kept > 0) {
      const message = `${kept} history records not written before shutdown are kept in the spool ${spool!.folder}; the next logger on this database replays them`;
      this.report(new Error(message), { operation: 'shutdown', records: kept });
    }
    const left = this.queue.dropMemory();
    if (left > 0) {
      this.counters.dropped += left;
      this.report(new Error(`${left} history records could not be written before shutdown`), { operation: 'shutdown', records: left });
    }
    spool?.close();
    this.wakeRoomWaiters();
    return left;
  }

  /**
   * Synchronously, as the process exits without a shutdown: what memory holds goes to the spool
   * (front segment, fsync'ed) for the next logger on this database. Without a spool it is lost.
   */
  spoolOnExit(): number {
    if (this.stopped) return 0;
    this.stopped = true;
    const spooled = this.queue.spoolOnExit();
    this.counters.spooled += spooled;
    return spooled;
  }

  /** Records admitted so far: tells whether anything arrived since a given moment. */
  get admitted(): number {
    return this.queue.order.sequence;
  }

  get healthy(): boolean {
    return this.schedule.healthy;
  }

  stats(): WriterStats {
    return this.counters.snapshot(this.queue.queued, this.queue.queuedBytes, this.queue.spoolBacklog, this.healthy);
  }

  /**
   * Where a new record goes: memory while it has room (or the record folds into one it holds),
   * else the spool; while the spool holds records of this logger, the spool, so nothing
   * overtakes them. Without a usable spool, a full memory still takes what cannot wait while the
   * database answers (records are never dropped for speed) and drops it while it does not.
   */
  private admit(folds: boolean, toMemory: (buffer: RecordBuffer) => void, toSpool: (q: number) => SpoolRecord): void {
    const queue = this.queue;
    if (queue.inflight !== null) this.store.settleFinished?.();
    if (this.stopped) {
      this.late(toSpool);
      return;
    }
    if (queue.spilling) {
      if (queue.toSpool(toSpool)) this.spooled(1);
      else this.counters.dropped++; // the spool reports its own failure, once
      return;
    }
    if (queue.hasRoom(folds)) {
      queue.toMemory(toMemory);
      this.enqueued();
      return;
    }
    const spilled = queue.spool === null ? 0 : queue.spill(toSpool, !this.healthy);
    if (spilled > 0) {
      this.spooled(spilled);
      return;
    }
    if (this.healthy) {
      queue.toMemory(toMemory);
      this.enqueued();
      return;
    }
    if (queue.spool !== null) this.counters.dropped++;
    else this.drop();
  }

  private spooled(records: number): void {
    this.counters.spooled += records;
    if (this.queue.spoolBacklog >= this.options.maxBatchSize) this.kick();
    else this.schedule.after(this.options.flushIntervalMs);
  }

  /**
   * A record after `close()`: a workflow outlived shutdown's grace period. It goes to the spool,
   * for the next logger on this database, or, with no spool, is counted as dropped.
   */
  private late(toSpool: (q: number) => SpoolRecord): void {
    const spool = this.queue.spool;
    if (spool !== null && spool.appendLate([toSpool(0)])) {
      this.counters.spooled++;
      return;
    }
    this.counters.dropped++;
    this.reportOnce('late', () => new Error('History records arrived after shutdown with no spool to keep them: they are dropped'), {
      operation: 'shutdown',
      records: 1,
    });
  }

  private drop(): void {
    this.counters.dropped++;
    this.reportOnce(
      'drop',
      () => new Error('History records are being dropped: the database is unavailable and the in-memory queue is full'),
      {
        operation: 'drop',
        records: 1,
      },
    );
  }

  /** `error` is built only when reported: a drop during an outage must cost a count, not an Error. */
  private reportOnce(what: 'write' | 'drop' | 'late', error: () => unknown, context: Parameters<ReportError>[1]): void {
    if (this.reported.has(what)) return;
    this.reported.add(what);
    this.report(error(), context);
  }

  private enqueued(): void {
    this.counters.notePeak(this.queue.queued, this.queue.queuedBytes);
    if (this.queue.memorySize >= this.options.maxBatchSize || this.queue.memoryBytes >= this.batchBytes) this.kick();
    else this.schedule.after(this.options.flushIntervalMs);
  }

  private kick(): void {
    if (this.writing !== null || !this.queue.hasWork) return;
    const wait = this.schedule.retryWaitMs;
    if (wait > 0) {
      this.schedule.after(wait);
      return;
    }
    this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    const queue = this.queue;
    // `writing` is cleared in the same tick as the loop's last look for work, so a record queued
    // after it finds no writer running and starts one, rather than waiting on one leaving.
    try {
      while (queue.hasWork) {
        const next = queue.next();
        const batch = next instanceof Promise ? await next : next;
        if (batch === null) {
          if (queue.memorySize === 0) break;
          continue; // records came into memory while the spool was looked at
        }
        const retrying = !this.healthy;
        queue.inflight = batch;
        this.counters.notePeak(queue.queued, queue.queuedBytes);
        // Records the database refuses for their content are set aside; the rest is written.
        const outcome = await writeInParts(this.store, batch.records, this.batchBytes, (record, refusal) => this.reject(record, refusal));
        queue.inflight = null;
        if (outcome.unwritten) {
          // Parts committed before the failure are not retried from memory; a spool chunk or a
          // batch the spool also holds is read back whole, and counted when it is.
          if (batch.chunk === null && batch.spooled !== true) this.counters.written += outcome.written;
          this.failed({ ...batch, records: outcome.unwritten }, outcome.error);
          return;
        }
        this.committed(batch, outcome.written, retrying);
      }
      this.schedule.clear();
    } finally {
      this.writing = null;
    }
  }

  private committed(batch: Batch, written: number, retrying: boolean): void {
    // A batch the spool also holds is counted once, when its copy is replayed.
    if (batch.spooled !== true) {
      this.counters.written += written;
      if (retrying) this.counters.retried += written;
    }
    this.counters.flushes++;
    const { chunk } = batch;
    if (chunk !== null) {
      this.counters.replayed += chunk.records.length;
      this.counters.dropped += chunk.lines - chunk.records.length; // unreadable lines (reported by the spool)
    }
    this.queue.committed(batch);
    this.schedule.succeeded();
    this.reported.delete('write');
    this.reported.delete('drop');
    // After an outage, its backlog is not by itself a reason for workflows to wait; growing it is.
    const { backlog } = this.queue;
    if (retrying) this.ceiling = Math.max(this.options.maxQueueSize, backlog);
    if (backlog <= this.options.maxQueueSize) this.ceiling = this.options.maxQueueSize;
    this.queue.order.settle();
    this.wakeRoomWaiters();
  }

  /** Records the database refuses for their content can never be written: count and report them. */
  private reject(records: RecordBuffer, error: unknown): void {
    this.counters.rejected += records.size;
    this.counters.noteError(error);
    this.report(error, { operation: 'reject', records: records.size });
  }

  private failed(batch: Batch, error: unknown): void {
    this.queue.putBack(batch);
    this.counters.failedWrites++;
    this.schedule.failed();
    this.counters.noteError(error);
    this.reportOnce('write', () => error, { operation: 'write', records: batch.records.size });
    const delay = this.schedule.holdBack();
    this.queue.order.failed();
    // Producers waiting for room must not wait on a database that is down.
    this.wakeRoomWaiters();
    this.schedule.after(delay);
  }

  private wakeRoomWaiters(): void {
    if (this.mustWait || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
