import type { ErrorContext } from '../config/LoggerConfig';
import type { BatchSink } from './BatchSink';
import type { ExecutionPatch, StepPatch } from '../store/types';
import { RecordBuffer } from './RecordBuffer';
import type { ExecutionRow, SpoolRecord, StepRow } from './records';
import type { Spool, SpoolChunk } from './Spool';

export interface BatchWriterOptions {
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/** Counters of `logger.stats()`; records are rows to insert or updates to apply. */
export interface WriterStats {
  /** Held in memory now, waiting to be written (including a batch being written). */
  queued: number;
  /** Committed to the database. */
  written: number;
  /** Committed after at least one failed attempt. */
  retried: number;
  /** Failed write attempts (each a transaction that rolled back and will be retried). */
  failedWrites: number;
  /**
   * Given up: the database was down, memory full and the spool unwritable (or disabled); left in
   * memory at shutdown with no spool to keep them; or found unreadable in a spool.
   */
  dropped: number;
  /** Refused by the database for their content (a constraint, a type), so set aside and reported. */
  rejected: number;
  /** Transactions committed. */
  flushes: number;
  /** Written to the local spool: past the in-memory bound, or left in memory at shutdown. */
  spooled: number;
  /** Spooled records (this logger's, or those of a dead logger it adopted) since committed to the database. */
  replayed: number;
  /** This logger's spooled records not committed yet. */
  spoolBacklog: number;
  /** The most records held in memory at once: never above `maxQueueSize` while the spool takes the rest. */
  peakQueued: number;
  /** Whether the last write attempt succeeded. */
  healthy: boolean;
  lastError: string | null;
}

type Report = (error: unknown, context: ErrorContext) => void;

/** Records to write in one transaction: from memory, or a chunk read back from the spool. */
interface Batch {
  records: RecordBuffer;
  chunk: SpoolChunk | null;
  /** Every record admitted up to this sequence number is in this batch or committed before it. */
  sequence: number;
  /** A memory batch copied to the spool while it was being written: if the write fails, the spool has it. */
  spooled?: boolean;
}

/**
 * The write-behind queue between the logger and the store. Records are coalesced in memory and
 * written in one transaction per flush, by an unref()'d timer or as soon as a batch is full.
 * When the database is slow, async callers wait for room (backpressure); when it fails, records
 * stay queued and are retried with exponential backoff, and the failure is reported once.
 *
 * Memory never holds more than `maxQueueSize` records when there is a spool: a record that finds
 * it full goes to the spool instead, and from then on every new record follows it there ("spill
 * mode") until the spool is replayed to its end. The writer always writes what memory holds
 * first, then the spool in order, so records reach the database in the order they were made: a
 * step never before its execution, a completion never before its start.
 */
export class BatchWriter {
  private buffer = new RecordBuffer();
  private inflight: Batch | null = null;
  /** Room kept for a chunk being read back from the spool, so that memory cannot fill up meanwhile. */
  private reserved = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  /** Records admitted so far (each gets the next number). */
  private sequence = 0;
  /** Every record admitted up to this number is committed (or set aside). */
  private committedThrough = 0;
  /** While spilling: the records up to this number are ahead of the spool (in memory or written). */
  private spillBase = 0;
  /** The backlog (memory and spool) at which callers that can wait must wait, while the database answers. */
  private ceiling: number;
  private flushWaiters: { target: number; resolve: (written: boolean) => void }[] = [];
  private roomWaiters: (() => void)[] = [];
  private consecutiveFailures = 0;
  private retryAt = 0;
  private stopped = false;
  private outageReported = false;
  private dropsReported = false;
  private readonly counters = { written: 0, retried: 0, failedWrites: 0, dropped: 0, rejected: 0, flushes: 0, spooled: 0, replayed: 0 };
  private peakQueued = 0;
  private lastError: string | null = null;
  private readonly chunkSize: number;

  constructor(
    private readonly store: BatchSink,
    private readonly options: BatchWriterOptions,
    private readonly report: Report,
    private readonly spool: Spool | null = null,
  ) {
    this.ceiling = options.maxQueueSize;
    this.chunkSize = Math.max(1, Math.min(options.maxBatchSize, options.maxQueueSize));
    if (spool !== null) {
      spool.adoptOrphans();
      this.kick();
    }
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
      this.buffer.executions.has(id),
      (buffer) => buffer.updateExecution(id, patch),
      (q) => ({ q, t: 'e', id, p: patch }),
    );
  }

  updateStep(id: string, patch: StepPatch): void {
    this.admit(
      this.buffer.steps.has(id),
      (buffer) => buffer.updateStep(id, patch),
      (q) => ({ q, t: 's', id, p: patch }),
    );
  }

  /** Whether this execution's insert is still in memory, so that its completion folds into it. */
  queuesExecution(id: string): boolean {
    return this.buffer.executions.has(id);
  }

  /** Whether this step's insert is still in memory, so that its completion folds into it. */
  queuesStep(id: string): boolean {
    return this.buffer.steps.has(id);
  }

  /**
   * True when the database is answering but the backlog (memory and spool) is at its ceiling: the
   * caller should wait. The ceiling is `maxQueueSize`, or, after an outage, the backlog it left,
   * until that has drained below `maxQueueSize`: workflows then go on at the pace the database
   * replays, instead of all stopping until the outage's backlog is written.
   */
  get mustWait(): boolean {
    return !this.stopped && this.healthy && this.backlog >= this.ceiling;
  }

  /** Resolves when the queue has room again, or when waiting is pointless (database down, stopped). */
  waitForRoom(): Promise<void> {
    // The write in flight may be done: then its room comes in a microtask, not after the event loop.
    if (this.inflight !== null) this.store.settleFinished?.();
    if (!this.mustWait) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Writes what is queued now, in memory and in this logger's spool. Resolves true once it is
   * committed, false if an attempt failed (the records stay queued for retry). Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.committedThrough >= this.sequence) return Promise.resolve(this.healthy);
    const done = new Promise<boolean>((resolve) => this.flushWaiters.push({ target: this.sequence, resolve }));
    this.retryAt = 0; // an explicit flush is a retry now, not after the backoff
    this.kick();
    return done;
  }

  /**
   * Writes everything queued, retrying failures until `timeoutMs` has passed. What is still in
   * memory then goes to the spool, where the next logger on this database finds it; without a
   * spool it is counted as dropped, and that number is returned. Further records are refused.
   */
  async close(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.flush())) {
      const wait = Math.min(this.backoffMs(), deadline - Date.now());
      if (wait <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.stopped = true;
    this.clearTimer();
    await this.writing;
    let left = this.buffer.size;
    const spool = this.spool;
    let kept = spool?.backlog ?? 0;
    if (left > 0 && spool !== null && spool.appendFront(this.buffer.toSpoolRecords(0))) {
      this.counters.spooled += left;
      kept += left;
      this.buffer.take();
      left = 0;
    }
    if (kept > 0) {
      this.report(
        new Error(
          `${kept} history records not written before shutdown are kept in the spool ${spool!.folder}; the next logger on this database replays them`,
        ),
        {
          operation: 'shutdown',
          records: kept,
        },
      );
    }
    if (left > 0) {
      this.counters.dropped += left;
      this.buffer.take();
      this.report(new Error(`${left} history records could not be written before shutdown`), { operation: 'shutdown', records: left });
    }
    spool?.close();
    this.wakeRoomWaiters();
    return left;
  }

  get healthy(): boolean {
    return this.consecutiveFailures === 0;
  }

  /** Records in memory: queued plus the batch being written (or room kept for it). What the queue bound limits. */
  private get held(): number {
    return this.buffer.size + (this.inflight?.records.size ?? 0) + this.reserved;
  }

  /** Records not written yet, in memory and in this logger's spool. */
  private get backlog(): number {
    return this.held + (this.spool?.backlog ?? 0);
  }

  stats(): WriterStats {
    return {
      queued: this.held - this.reserved,
      ...this.counters,
      spoolBacklog: this.spool?.backlog ?? 0,
      peakQueued: this.peakQueued,
      healthy: this.healthy,
      lastError: this.lastError,
    };
  }

  /**
   * Where a new record goes: memory while it has room (or the record folds into one it holds),
   * else the spool; while the spool holds records of this logger, the spool, so nothing
   * overtakes them. Without a usable spool, a full memory still takes what cannot wait while the
   * database answers (records are never dropped for speed) and drops it while it does not.
   */
  private admit(folds: boolean, toMemory: (buffer: RecordBuffer) => void, toSpool: (q: number) => SpoolRecord): void {
    if (this.inflight !== null) this.store.settleFinished?.();
    if (this.stopped) {
      this.drop();
      return;
    }
    const spool = this.spool;
    if (spool !== null && spool.backlog > 0) {
      if (spool.append([toSpool(this.sequence + 1)])) this.spooled(1);
      else this.counters.dropped++; // the spool reports its own failure, once
      return;
    }
    if (folds || this.held < this.options.maxQueueSize) {
      toMemory(this.buffer);
      this.enqueued();
      return;
    }
    if (spool !== null && this.startSpill(spool, toSpool)) return;
    if (this.healthy) {
      toMemory(this.buffer);
      this.enqueued();
      return;
    }
    if (spool !== null) this.counters.dropped++;
    else this.drop();
  }

  /**
   * Memory is full: the record goes to the spool. While the database is failing, what memory
   * holds goes there first, ahead of it, the batch being written included: an outage may last,
   * and a crash from here on then loses nothing. If that batch commits after all, its records are
   * replayed once more, which the store makes harmless. (While the database answers, memory is
   * about to drain, and moving it would only cost.)
   */
  private startSpill(spool: Spool, toSpool: (q: number) => SpoolRecord): boolean {
    const flying = this.inflight !== null && this.inflight.chunk === null ? this.inflight : null;
    const moving = !this.healthy && (flying !== null || !this.buffer.isEmpty);
    const records: SpoolRecord[] = [];
    if (moving) {
      // A chunk read back commits through its highest `q`: only a group's last record stands for all before it.
      if (flying !== null) records.push(...withLastSequence(flying.records.toSpoolRecords(this.committedThrough), flying.sequence));
      records.push(...withLastSequence(this.buffer.toSpoolRecords(flying?.sequence ?? this.committedThrough), this.sequence));
    }
    records.push(toSpool(this.sequence + 1));
    if (!spool.append(records)) return false;
    if (moving) {
      this.buffer.take();
      if (flying !== null) flying.spooled = true;
    }
    this.spillBase = moving ? this.committedThrough : this.sequence;
    this.spooled(records.length);
    return true;
  }

  private spooled(records: number): void {
    this.sequence++;
    this.counters.spooled += records;
    if ((this.spool?.backlog ?? 0) >= this.options.maxBatchSize) this.kick();
    else this.schedule(this.options.flushIntervalMs);
  }

  private drop(): void {
    this.counters.dropped++;
    if (!this.dropsReported) {
      this.dropsReported = true;
      this.report(new Error('History records are being dropped: the database is unavailable and the in-memory queue is full'), {
        operation: 'drop',
        records: 1,
      });
    }
  }

  private enqueued(): void {
    this.sequence++;
    this.notePeak();
    if (this.buffer.size >= this.options.maxBatchSize) this.kick();
    else this.schedule(this.options.flushIntervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    if (this.timer !== null && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delayMs);
    // The history must never keep a finished program alive; shutdown() is how to write the tail.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private get hasWork(): boolean {
    return !this.buffer.isEmpty || (this.spool?.hasPending ?? false);
  }

  private kick(): void {
    if (this.writing !== null || !this.hasWork) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    // `writing` is cleared in the same tick as the loop's last look for work, so a record queued
    // after it finds no writer running and starts one, rather than waiting on one leaving.
    try {
      while (this.hasWork) {
        const next = this.nextBatch();
        const batch = next instanceof Promise ? await next : next;
        if (batch === null) {
          if (this.buffer.isEmpty) break;
          continue; // records came into memory while the spool was looked at
        }
        const retrying = !this.healthy;
        this.inflight = batch;
        this.notePeak();
        let written = batch.records.size;
        try {
          await this.store.writeBatch(batch.records.toWriteBatch());
        } catch (error) {
          if (!this.store.isDataError(error)) {
            this.inflight = null;
            this.failed(batch, error);
            return;
          }
          // The database is up but refuses something in this batch: retried whole, it would fail
          // forever and stall all history. Write it record by record and set the bad ones aside.
          const outcome = await this.writeSeparately(batch.records);
          if (outcome.unwritten) {
            this.inflight = null;
            this.failed({ ...batch, records: outcome.unwritten }, outcome.error);
            return;
          }
          written = outcome.written;
        }
        this.inflight = null;
        this.committed(batch, written, retrying);
      }
      this.clearTimer();
    } finally {
      this.writing = null;
    }
  }

  /**
   * What memory holds first (it is older than anything spooled), then the spool in order. A
   * memory batch is taken in the caller's tick: between taking it and marking it in flight, the
   * queue would look empty to new records.
   */
  private nextBatch(): Batch | Promise<Batch | null> {
    if (!this.buffer.isEmpty) return { records: this.buffer.take(), chunk: null, sequence: this.sequence };
    return this.readSpool();
  }

  private async readSpool(): Promise<Batch | null> {
    this.reserved = this.chunkSize;
    try {
      const chunk = await this.spool!.read(this.chunkSize);
      if (chunk === null) return null;
      const records = new RecordBuffer();
      for (const record of chunk.records) records.addReplayed(record);
      return { records, chunk, sequence: chunk.lastSequence };
    } finally {
      this.reserved = 0;
    }
  }

  private notePeak(): void {
    const held = this.held - this.reserved;
    if (held > this.peakQueued) this.peakQueued = held;
  }

  private committed(batch: Batch, written: number, retrying: boolean): void {
    // A batch the spool also holds is counted once, when its copy is replayed.
    if (batch.spooled !== true) {
      this.counters.written += written;
      if (retrying) this.counters.retried += written;
    }
    this.counters.flushes++;
    const spool = this.spool;
    const { chunk } = batch;
    if (chunk !== null) {
      spool!.commit(chunk);
      this.counters.replayed += chunk.records.length;
      this.counters.dropped += chunk.lines - chunk.records.length; // unreadable lines (reported by the spool)
      if (chunk.own) this.committedThrough = Math.max(this.committedThrough, chunk.lastSequence);
    } else {
      const spilling = spool !== null && spool.backlog > 0;
      this.committedThrough = Math.max(this.committedThrough, spilling ? Math.min(batch.sequence, this.spillBase) : batch.sequence);
    }
    if (this.buffer.isEmpty && (spool?.backlog ?? 0) === 0) this.committedThrough = this.sequence;
    this.consecutiveFailures = 0;
    this.outageReported = false;
    this.dropsReported = false;
    // After an outage, its backlog is not by itself a reason for workflows to wait; growing it is.
    if (retrying) this.ceiling = Math.max(this.options.maxQueueSize, this.backlog);
    if (this.backlog <= this.options.maxQueueSize) this.ceiling = this.options.maxQueueSize;
    this.resolveFlushWaiters((waiter) => waiter.target <= this.committedThrough, true);
    this.wakeRoomWaiters();
  }

  /**
   * Writes each record of a rejected batch in its own transaction, rejecting those the database
   * refuses. Stops if the database becomes unreachable, handing back what is left, in order.
   */
  private async writeSeparately(batch: RecordBuffer): Promise<{ written: number; unwritten?: RecordBuffer; error?: unknown }> {
    const singles = batch.split();
    let written = 0;
    for (let i = 0; i < singles.length; i++) {
      const single = singles[i]!;
      try {
        await this.store.writeBatch(single.toWriteBatch());
        written++;
      } catch (error) {
        if (this.store.isDataError(error)) {
          this.reject(single, error);
          continue;
        }
        const unwritten = new RecordBuffer();
        for (const rest of singles.slice(i)) unwritten.append(rest);
        return { written, unwritten, error };
      }
    }
    return { written };
  }

  /** Records the database refuses for their content can never be written: count and report them. */
  private reject(records: RecordBuffer, error: unknown): void {
    this.counters.rejected += records.size;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.report(error, { operation: 'reject', records: records.size });
  }

  private failed(batch: Batch, error: unknown): void {
    // A spool chunk stays on disk and is read again from the same line.
    if (batch.chunk === null && batch.spooled !== true) this.buffer.prepend(batch.records);
    this.counters.failedWrites++;
    this.consecutiveFailures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (!this.outageReported) {
      this.outageReported = true;
      this.report(error, { operation: 'write', records: batch.records.size });
    }
    const delay = this.backoffMs();
    this.retryAt = Date.now() + delay;
    this.resolveFlushWaiters(() => true, false);
    // Producers waiting for room must not wait on a database that is down.
    this.wakeRoomWaiters();
    this.schedule(delay);
  }

  private backoffMs(): number {
    const exponent = Math.min(Math.max(this.consecutiveFailures - 1, 0), 20);
    return Math.min(this.options.maxRetryDelayMs, this.options.retryDelayMs * 2 ** exponent);
  }

  private resolveFlushWaiters(matches: (waiter: { target: number }) => boolean, written: boolean): void {
    const remaining: typeof this.flushWaiters = [];
    for (const waiter of this.flushWaiters) {
      if (matches(waiter)) waiter.resolve(written);
      else remaining.push(waiter);
    }
    this.flushWaiters = remaining;
  }

  private wakeRoomWaiters(): void {
    if (this.mustWait || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function withLastSequence(records: SpoolRecord[], q: number): SpoolRecord[] {
  const last = records[records.length - 1];
  if (last !== undefined) last.q = q;
  return records;
}
