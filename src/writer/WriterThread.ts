import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UnstorableRecordError } from '../errors';
import type { HistorySink, ReopenOptions } from '../store/ports';
import type { WriteBatch } from '../store/types';
import type { BatchSink } from './BatchSink';
import { MAX_BATCH_BYTES } from './records';
import { reviveError, type ThreadData, type ThreadReply, type ThreadRequest } from './threadProtocol';
import { toWire } from './wireBatch';

/**
 * The thread's heap. Left to V8's defaults (sized from the machine's memory) it grew far past
 * what it uses while a long run was logged (bench memory), holding garbage it had no reason to
 * collect. It gets one batch at a time, of at most {@link MAX_BATCH_BYTES} or one record larger
 * than that, and writing one takes a base plus a few times its text (its clone, its parameters),
 * twice that for text V8 holds in two bytes a character: measured on SQLite and PostgreSQL, and
 * rounded up. Should a batch need more after all, the thread dies of it and the writes fall back
 * to the store's connection.
 */
const MIN_HEAP_MB = 64;
const BASE_HEAP_MB = 16;
const HEAP_MB_PER_MB_OF_BATCH = 4;

/** The heap for batches of at most `largestBatchBytes` estimated bytes. */
function heapLimits(largestBatchBytes: number): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const batchMb = Math.ceil(largestBatchBytes / (1024 * 1024));
  return { maxOldGenerationSizeMb: Math.max(MIN_HEAP_MB, BASE_HEAP_MB + HEAP_MB_PER_MB_OF_BATCH * batchMb), maxYoungGenerationSizeMb: 4 };
}

/**
 * The thread's entry. Compiled, it sits beside this file. Run from the TypeScript sources
 * (ts-jest) there is none beside it, and a worker does not go through ts-jest's transform: the
 * package's build of it is used, `dist/writer/writerThreadMain.js` (the tests build it first).
 */
const ENTRY = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'dist', 'writer', 'writerThreadMain.js')
  : join(__dirname, 'writerThreadMain.js');

/**
 * Writes batches on a worker thread with its own connection to the same database. The workflow
 * thread only hands a batch over (a structured clone); encoding, binding and every round trip of
 * the transaction happen off it. Should the thread fail to open or die, writes fall back to the
 * store's own connection: nothing is lost, only the work moves back.
 */
export class WriterThread implements BatchSink {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private usable = true;
  /** Settles once the thread has opened its connection, or failed to (writes then use the store). */
  readonly ready: Promise<void>;
  private closing: Promise<void> | null = null;
  private exited = false;
  /**
   * The id of the last batch the thread committed, written by the thread before it replies. A
   * workflow thread running a long chain of promises reads its messages only when the chain
   * ends; reading this instead, as records come in, hands the next batch over without that wait
   * (bench throughput: otherwise the reply comes long after the commit, for every batch).
   */
  private readonly committed = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  /**
   * A writer thread for `sink`'s database, or null when it cannot be reopened elsewhere (a
   * DataSource handed in) or there is no compiled entry. Its heap is sized for batches of
   * {@link MAX_BATCH_BYTES} and for a single record of `largestRecordBytes` (see `largestRecordBytes()` in records.ts).
   */
  static start(sink: HistorySink, largestRecordBytes = 0): WriterThread | null {
    if (sink.reopenOptions === null || !existsSync(ENTRY)) return null;
    return new WriterThread(sink, sink.reopenOptions, heapLimits(Math.max(MAX_BATCH_BYTES, largestRecordBytes)));
  }

  private constructor(
    private readonly store: HistorySink,
    reopen: ReopenOptions,
    resourceLimits: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number },
  ) {
    const workerData: ThreadData = { store: reopen, committed: this.committed };
    this.worker = new Worker(ENTRY, { workerData, resourceLimits });
    let opened: (ok: boolean) => void = () => undefined;
    this.ready = new Promise<boolean>((resolve) => (opened = resolve)).then((ok) => {
      if (!ok) this.usable = false;
      this.updateRef();
    });
    this.worker.on('message', (reply: ThreadReply) => {
      if (reply.kind === 'ready') opened(reply.error === undefined);
      else this.settle(reply);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => {
      this.exited = true;
      opened(false);
      this.fail(new Error('the flowtrail writer thread exited'));
    });
  }

  /** True while batches go to the thread (false once it failed and writes fell back). */
  get active(): boolean {
    return this.usable;
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    await this.ready;
    if (!this.usable) return this.store.writeBatch(batch);
    const id = this.nextId++;
    const written = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.updateRef();
    try {
      this.worker.postMessage({ kind: 'write', id, batch: toWire(batch) } satisfies ThreadRequest);
    } catch (error) {
      // A value structured clone cannot copy (a function): nothing was sent, and nothing may wait for it.
      this.pending.delete(id);
      this.updateRef();
      throw new UnstorableRecordError(`it cannot be sent to the writer thread (${(error as Error)?.message})`, error);
    }
    return written;
  }

  isDataError(error: unknown): boolean {
    return this.store.isDataError(error);
  }

  settleFinished(): void {
    if (this.pending.size === 0) return;
    const committed = Atomics.load(this.committed, 0);
    for (const id of this.pending.keys()) if (id <= committed) this.settle({ kind: 'written', id });
  }

  /** Closes the thread's connection and ends it; batches still sent are written first. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.usable = false;
      if (this.exited) return resolve();
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ kind: 'close' } satisfies ThreadRequest);
    });
    return this.closing;
  }

  /**
   * The thread keeps the process alive only while it opens, writes or closes: like the flush
   * timer, an idle history must never keep a finished program running, but a batch handed over
   * is finished, as a query in flight on the store's own connection would be.
   */
  private updateRef(): void {
    if (this.closing !== null) return;
    const busy = this.pending.size > 0;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  private settle(reply: ThreadReply): void {
    const waiter = this.pending.get(reply.id!);
    if (waiter === undefined) return;
    this.pending.delete(reply.id!);
    this.updateRef();
    if (reply.error === undefined) waiter.resolve();
    else waiter.reject(reviveError(reply.error));
  }

  /** The thread is gone: its writes in flight failed (the writer retries them), later ones use the store. */
  private fail(error: Error): void {
    this.usable = false;
    // A batch it committed before going did not fail: retried, its completions folded into its
    // inserts meanwhile would be skipped with them.
    this.settleFinished();
    const waiters = [...this.pending.values()];
    this.pending.clear();
    this.updateRef();
    for (const waiter of waiters) waiter.reject(error);
  }
}
