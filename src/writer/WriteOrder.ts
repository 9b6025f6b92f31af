import type { SpoolRecord } from './records';

/**
 * What is committed, by admission number, so that `flush()` resolves once everything admitted
 * before it is in the database. Each record gets the next number as it is admitted; a memory
 * batch or a spool chunk commits through the highest number it holds. While the writer spills,
 * the spool holds records older than what memory may take later, so a memory batch commits only
 * through the records that were ahead of the spool.
 */
export class WriteOrder {
  /** Records admitted so far (each gets the next number). */
  private admitted = 0;
  /** Every record admitted up to this number is committed (or set aside). */
  private committedThrough = 0;
  /** While spilling: the records up to this number are ahead of the spool (in memory or written). */
  private spillBase = 0;
  private waiters: { target: number; resolve: (written: boolean) => void }[] = [];

  /** The number of the last record admitted. */
  get sequence(): number {
    return this.admitted;
  }

  /** The number up to which every record is committed. */
  get committed(): number {
    return this.committedThrough;
  }

  get allCommitted(): boolean {
    return this.committedThrough >= this.admitted;
  }

  admit(): void {
    this.admitted++;
  }

  /** True once every record admitted so far is committed; false as soon as a write fails first. */
  waitForAll(): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.waiters.push({ target: this.admitted, resolve }));
  }

  /**
   * Spilling starts: what memory held was moved to the spool with it (`moved`), so only what is
   * committed already is ahead of the spool; else all that memory holds is.
   */
  startSpill(moved: boolean): void {
    this.spillBase = moved ? this.committedThrough : this.admitted;
  }

  /** A memory batch holding records up to `sequence` is committed. */
  batchCommitted(sequence: number, spilling: boolean): void {
    this.commitThrough(spilling ? Math.min(sequence, this.spillBase) : sequence);
  }

  /** One of this logger's spool chunks, holding records up to `lastSequence`, is committed. */
  chunkCommitted(lastSequence: number): void {
    this.commitThrough(lastSequence);
  }

  /** Nothing is left in memory or in the spool: all admitted records are committed. */
  drained(): void {
    this.committedThrough = this.admitted;
  }

  /** Resolves the waits that are now complete. */
  settle(): void {
    this.resolve((waiter) => waiter.target <= this.committedThrough, true);
  }

  /** A write failed: every wait resolves false (the records stay queued). */
  failed(): void {
    this.resolve(() => true, false);
  }

  private commitThrough(sequence: number): void {
    this.committedThrough = Math.max(this.committedThrough, sequence);
  }

  private resolve(matches: (waiter: { target: number }) => boolean, written: boolean): void {
    const remaining: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (matches(waiter)) waiter.resolve(written);
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }
}

/**
 * Records spooled as a group, numbered as one: a chunk read back commits through its highest
 * `q`, so only the group's last record carries the number that stands for all before it.
 */
export function withLastSequence(records: SpoolRecord[], q: number): SpoolRecord[] {
  const last = records[records.length - 1];
  if (last !== undefined) last.q = q;
  return records;
}
