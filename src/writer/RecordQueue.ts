import { RecordBuffer } from './RecordBuffer';
import type { SpoolRecord } from './records';
import type { Spool, SpoolChunk } from './Spool';
import { WriteOrder, withLastSequence } from './WriteOrder';

/** Records to write in one transaction: from memory, or a chunk read back from the spool. */
export interface Batch {
  records: RecordBuffer;
  chunk: SpoolChunk | null;
  /** Every record admitted up to this sequence number is in this batch or committed before it. */
  sequence: number;
  /** A memory batch copied to the spool while it was being written: if the write fails, the spool has it. */
  spooled?: boolean;
}

/** How much memory holds: records, and their estimated bytes ({@link RecordBuffer.bytes}). */
export interface QueueBounds {
  /** Records held at most (`maxQueueSize`). */
  maxRecords: number;
  /** Estimated bytes held at most (`maxQueueBytes`); the last record taken in may go past it. */
  maxBytes: number;
  /** Records per chunk read back from the spool. */
  chunkRecords: number;
  /** Estimated bytes per chunk read back from the spool (one line at least). */
  chunkBytes: number;
}

/**
 * Where records wait to be written, and the order they leave in. Memory first: records coalesced
 * in a RecordBuffer, never more than `maxQueueSize` records or `maxQueueBytes` estimated bytes
 * (the batch being written included) when there is a spool. A record that finds memory full goes
 * to the spool instead, and from then on every new record follows it there ("spill mode") until
 * the spool is replayed to its end. What memory holds leaves first (it is older than anything
 * spooled), then the spool in order, so records reach the database in the order they were made:
 * a step never before its execution, a completion never before its start.
 */
export class RecordQueue {
  /** Numbers records as they are admitted, and knows which are committed. */
  readonly order = new WriteOrder();
  /** The batch being written. */
  inflight: Batch | null = null;
  private buffer = new RecordBuffer();
  /** Room kept for a chunk being read back from the spool, so that memory cannot fill up meanwhile. */
  private reserved = 0;
  private reservedBytes = 0;

  constructor(
    readonly spool: Spool | null,
    private readonly bounds: QueueBounds,
  ) {}

  /** Records in memory: queued plus the batch being written (or room kept for it). What the queue bound limits. */
  get held(): number {
    return this.buffer.size + (this.inflight?.records.size ?? 0) + this.reserved;
  }

  /** Estimated bytes in memory, counted as {@link held} counts records. */
  get heldBytes(): number {
    return this.buffer.bytes + (this.inflight?.records.bytes ?? 0) + this.reservedBytes;
  }

  /** Records in memory now, the batch being written included. */
  get queued(): number {
    return this.held - this.reserved;
  }

  /** Estimated bytes in memory now, the batch being written included. */
  get queuedBytes(): number {
    return this.heldBytes - this.reservedBytes;
  }

  /** This logger's records in the spool, not committed yet. */
  get spoolBacklog(): number {
    return this.spool?.backlog ?? 0;
  }

  /** Records not written yet, in memory and in this logger's spool. */
  get backlog(): number {
    return this.held + this.spoolBacklog;
  }

  /** Records waiting in memory, not counting the batch being written. */
  get memorySize(): number {
    return this.buffer.size;
  }

  /** Estimated bytes waiting in memory, not counting the batch being written. */
  get memoryBytes(): number {
    return this.buffer.bytes;
  }

  get hasWork(): boolean {
    return !this.buffer.isEmpty || (this.spool?.hasPending ?? false);
  }

  /** Whether this execution's insert is still in memory, so that its completion folds into it. */
  holdsExecution(id: string): boolean {
    return this.buffer.executions.has(id);
  }

  /** Whether this step's insert is still in memory, so that its completion folds into it. */
  holdsStep(id: string): boolean {
    return this.buffer.steps.has(id);
  }

  /** While this logger's spool holds records, new ones go there too, so that nothing overtakes them. */
  get spilling(): boolean {
    return this.spool !== null && this.spool.backlog > 0;
  }

  /**
   * Whether memory takes a record: while it holds fewer than `maxQueueSize` records and fewer than
   * `maxQueueBytes` bytes. One that folds into a record it holds always fits the count, which it
   * does not grow; its data grows the bytes like any record's (a step's output folding into its
   * start holds as much as a record of its own).
   */
  hasRoom(folds: boolean): boolean {
    return this.heldBytes < this.bounds.maxBytes && (folds || this.held < this.bounds.maxRecords);
  }

  /** Whether memory is full of bytes while new records would go there (not spilling). */
  get bytesFull(): boolean {
    return !this.spilling && this.heldBytes >= this.bounds.maxBytes;
  }

  /** Admits a record into memory. */
  toMemory(add: (buffer: RecordBuffer) => void): void {
    add(this.buffer);
    this.order.admit();
  }

  /** Admits a record after this logger's spooled ones. False when the spool cannot take it. */
  toSpool(record: (q: number) => SpoolRecord): boolean {
    if (!this.spool!.append([record(this.order.sequence + 1)])) return false;
    this.order.admit();
    return true;
  }

  /**
   * Memory is full: the record goes to the spool, and spilling starts. While the database is
   * failing (`moveMemory`), what memory holds goes there first, ahead of it, the batch being
   * written included: an outage may last, and a crash from here on then loses nothing. If that
   * batch commits after all, its records are replayed once more, which the store makes harmless.
   * (While the database answers, memory is about to drain, and moving it would only cost.)
   * Returns the records spooled; 0 when the spool could not take them.
   */
  spill(record: (q: number) => SpoolRecord, moveMemory: boolean): number {
    const memory = moveMemory ? this.memoryForSpool() : null;
    const records = memory?.records ?? [];
    records.push(record(this.order.sequence + 1));
    if (!this.spool!.append(records)) return 0;
    if (memory !== null) this.memoryMoved(memory.flying);
    this.order.startSpill(memory !== null);
    this.order.admit();
    return records.length;
  }

  /**
   * Strict mode, with the database down: what memory holds, the batch being written included,
   * goes to the spool now, and spilling starts, so that every record admitted is on disk. Only
   * when not spilling already: memory then holds records older than the spool's, which must not
   * follow them there. Returns the records spooled.
   */
  moveToSpool(): number {
    if (this.spilling || this.spool === null) return 0;
    const memory = this.memoryForSpool();
    if (memory === null || !this.spool.append(memory.records)) return 0;
    this.memoryMoved(memory.flying);
    this.order.startSpill(true);
    return memory.records.length;
  }

  /**
   * What memory holds as spool records, in write order: the batch being written first (unless the
   * spool has it already), numbered so that replaying them completes the flushes they stand for.
   * Null when memory holds nothing.
   */
  private memoryForSpool(): { records: SpoolRecord[]; flying: Batch | null } | null {
    const flying = this.inflight !== null && this.inflight.chunk === null && this.inflight.spooled !== true ? this.inflight : null;
    if (flying === null && this.buffer.isEmpty) return null;
    const { committed, sequence } = this.order;
    const records: SpoolRecord[] = [];
    if (flying !== null) records.push(...withLastSequence(flying.records.toSpoolRecords(committed), flying.sequence));
    records.push(...withLastSequence(this.buffer.toSpoolRecords(flying?.sequence ?? committed), sequence));
    return { records, flying };
  }

  /** After {@link memoryForSpool}'s records were appended: memory is empty, and the batch in flight is in the spool too. */
  private memoryMoved(flying: Batch | null): void {
    this.buffer.take();
    if (flying !== null) flying.spooled = true;
  }

  /**
   * The next batch to write: what memory holds first, then the spool in order; null when there is
   * none. A memory batch is taken in the caller's tick: between taking it and marking it in
   * flight, the queue would look empty to new records.
   */
  next(): Batch | Promise<Batch | null> {
    if (!this.buffer.isEmpty) return { records: this.buffer.take(), chunk: null, sequence: this.order.sequence };
    return this.readSpool();
  }

  /** The batch is in the database. */
  committed(batch: Batch): void {
    const { chunk } = batch;
    if (chunk !== null) {
      this.spool!.commit(chunk);
      if (chunk.own) this.order.chunkCommitted(chunk.lastSequence);
    } else {
      this.order.batchCommitted(batch.sequence, this.spilling);
    }
    if (this.buffer.isEmpty && this.spoolBacklog === 0) this.order.drained();
  }

  /** The batch failed: a memory batch goes back in front of what came since; a spool chunk is read again from the same line. */
  putBack(batch: Batch): void {
    if (batch.chunk === null && batch.spooled !== true) this.buffer.prepend(batch.records);
  }

  /** At shutdown: what memory still holds, into the spool's front segment. Returns how many records; 0 if none or it failed. */
  spoolMemory(): number {
    const records = this.buffer.size;
    if (records === 0 || this.spool === null || !this.spool.appendFront(this.buffer.toSpoolRecords(0))) return 0;
    this.buffer.take();
    return records;
  }

  /**
   * The process is exiting without a shutdown (`process.exit()`): what memory holds, the batch
   * being written included (whether it commits is unknown, and a replay is harmless), goes to the
   * spool synchronously. Returns the records spooled.
   */
  spoolOnExit(): number {
    const flying = this.inflight !== null && this.inflight.chunk === null && this.inflight.spooled !== true ? this.inflight : null;
    const records = [...(flying?.records.toSpoolRecords(0) ?? []), ...this.buffer.toSpoolRecords(0)];
    if (records.length === 0 || this.spool === null || !this.spool.appendFront(records)) return 0;
    this.buffer.take();
    return records.length;
  }

  /** Empties memory; returns how many records it held. */
  dropMemory(): number {
    const records = this.buffer.size;
    this.buffer.take();
    return records;
  }

  private async readSpool(): Promise<Batch | null> {
    const { chunkRecords, chunkBytes } = this.bounds;
    this.reserved = chunkRecords;
    this.reservedBytes = chunkBytes;
    try {
      const chunk = await this.spool!.read(chunkRecords, chunkBytes);
      if (chunk === null) return null;
      const records = new RecordBuffer();
      for (const record of chunk.records) records.addReplayed(record);
      return { records, chunk, sequence: chunk.lastSequence };
    } finally {
      this.reserved = 0;
      this.reservedBytes = 0;
    }
  }
}
