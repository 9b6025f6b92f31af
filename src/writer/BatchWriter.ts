import type { ErrorContext } from '../config/LoggerConfig';
import type { ExecutionStore } from '../store/ExecutionStore';
import type { ExecutionPatch, StepPatch } from '../store/types';
import { RecordBuffer, type ExecutionRow, type StepRow } from './RecordBuffer';

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
  /** Given up: not admitted while the database was down and memory was full, or left at shutdown. */
  dropped: number;
  /** Refused by the database for their content (a constraint, a type), so set aside and reported. */
  rejected: number;
  /** Transactions committed. */
  flushes: number;
  /** Whether the last write attempt succeeded. */
  healthy: boolean;
  lastError: string | null;
}

type Report = (error: unknown, context: ErrorContext) => void;

/**
 * The write-behind queue between the logger and the store. Records are coalesced in memory and
 * written in one transaction per flush, by an unref()'d timer or as soon as a batch is full.
 * When the database is slow, async callers wait for room (backpressure); when it fails, records
 * stay queued and are retried with exponential backoff, and the failure is reported once.
 */
export class BatchWriter {
  private buffer = new RecordBuffer();
  private inflight: RecordBuffer | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private sequence = 0;
  private flushWaiters: { sequence: number; resolve: (written: boolean) => void }[] = [];
  private roomWaiters: (() => void)[] = [];
  private consecutiveFailures = 0;
  private retryAt = 0;
  private stopped = false;
  private outageReported = false;
  private dropsReported = false;
  private readonly counters = { written: 0, retried: 0, failedWrites: 0, dropped: 0, rejected: 0, flushes: 0 };
  private lastError: string | null = null;

  constructor(
    private readonly store: ExecutionStore,
    private readonly options: BatchWriterOptions,
    private readonly report: Report,
  ) {}

  insertExecution(row: ExecutionRow): void {
    if (this.admit()) {
      this.buffer.insertExecution(row);
      this.enqueued();
    }
  }

  insertStep(row: StepRow): void {
    if (this.admit()) {
      this.buffer.insertStep(row);
      this.enqueued();
    }
  }

  updateExecution(id: string, patch: ExecutionPatch): void {
    // A completion folded into a queued insert does not grow the queue: always take it.
    if (this.buffer.executions.has(id) || this.admit()) {
      this.buffer.updateExecution(id, patch);
      this.enqueued();
    }
  }

  updateStep(id: string, patch: StepPatch): void {
    if (this.buffer.steps.has(id) || this.admit()) {
      this.buffer.updateStep(id, patch);
      this.enqueued();
    }
  }

  /** True when the queue is full and the database is answering: the caller should wait for room. */
  get mustWait(): boolean {
    return !this.stopped && this.healthy && this.held >= this.options.maxQueueSize;
  }

  /** Resolves when the queue has room again, or when waiting is pointless (database down, stopped). */
  waitForRoom(): Promise<void> {
    if (!this.mustWait) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Writes what is queued now. Resolves true once it is committed, false if the attempt failed
   * (the records stay queued for retry). Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.buffer.isEmpty && this.inflight === null) return Promise.resolve(this.healthy);
    const done = new Promise<boolean>((resolve) => this.flushWaiters.push({ sequence: this.sequence, resolve }));
    this.retryAt = 0; // an explicit flush is a retry now, not after the backoff
    this.kick();
    return done;
  }

  /**
   * Writes everything queued, retrying failures until `timeoutMs` has passed; what is still
   * unwritten then is counted as dropped and returned. Further records are refused.
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
    const left = this.buffer.size;
    if (left > 0) {
      this.counters.dropped += left;
      this.buffer.take();
      this.report(new Error(`${left} history records could not be written before shutdown`), { operation: 'shutdown', records: left });
    }
    this.wakeRoomWaiters();
    return left;
  }

  get healthy(): boolean {
    return this.consecutiveFailures === 0;
  }

  /** Records in memory: queued plus the batch being written. What the queue bound limits. */
  private get held(): number {
    return this.buffer.size + (this.inflight?.size ?? 0);
  }

  stats(): WriterStats {
    return {
      queued: this.held,
      ...this.counters,
      healthy: this.healthy,
      lastError: this.lastError,
    };
  }

  private admit(): boolean {
    if (this.stopped || (!this.healthy && this.held >= this.options.maxQueueSize)) {
      this.counters.dropped++;
      if (!this.dropsReported) {
        this.dropsReported = true;
        this.report(new Error('History records are being dropped: the database is unavailable and the in-memory queue is full'), {
          operation: 'drop',
          records: 1,
        });
      }
      return false;
    }
    return true;
  }

  private enqueued(): void {
    this.sequence++;
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

  private kick(): void {
    if (this.writing !== null || this.buffer.isEmpty) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    // The buffer is not empty, so the loop awaits before it can finish: `writing` is set first.
    this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    // `writing` is cleared in the same tick as the loop's last look at the buffer, so a record
    // queued after it finds no writer running and starts one, rather than waiting on one leaving.
    try {
      while (!this.buffer.isEmpty) {
        const batch = this.buffer.take();
        const sequence = this.sequence;
        const retrying = !this.healthy;
        this.inflight = batch;
        let written = batch.size;
        try {
          await this.store.writeBatch(batch.toWriteBatch());
        } catch (error) {
          if (!isDataError(error)) {
            this.inflight = null;
            this.failed(batch, error);
            return;
          }
          // The database is up but refuses something in this batch: retried whole, it would fail
          // forever and stall all history. Write it record by record and set the bad ones aside.
          const outcome = await this.writeSeparately(batch);
          if (outcome.unwritten) {
            this.inflight = null;
            this.failed(outcome.unwritten, outcome.error);
            return;
          }
          written = outcome.written;
        }
        this.inflight = null;
        this.counters.written += written;
        if (retrying) this.counters.retried += written;
        this.counters.flushes++;
        this.consecutiveFailures = 0;
        this.outageReported = false;
        this.dropsReported = false;
        this.resolveFlushWaiters((waiter) => waiter.sequence <= sequence, true);
        this.wakeRoomWaiters();
      }
      this.clearTimer();
    } finally {
      this.writing = null;
    }
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
        if (isDataError(error)) {
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

  private failed(batch: RecordBuffer, error: unknown): void {
    this.buffer.prepend(batch);
    this.counters.failedWrites++;
    this.consecutiveFailures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (!this.outageReported) {
      this.outageReported = true;
      this.report(error, { operation: 'write', records: batch.size });
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

  private resolveFlushWaiters(matches: (waiter: { sequence: number }) => boolean, written: boolean): void {
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

/**
 * Whether the database refused the data itself (a constraint, a value it cannot hold) rather
 * than being unreachable or busy: PostgreSQL SQLSTATE classes 22 and 23, SQLite's constraint,
 * type and size errors.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.driverError?.code ?? (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^2[23][0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}
