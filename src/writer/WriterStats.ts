/** Counters of `logger.stats()`; records are rows to insert or updates to apply. */
export interface WriterStats {
  /** Held in memory now, waiting to be written (including a batch being written). */
  queued: number;
  /** The estimated bytes of the records `queued` counts: their text (captured data, error text, names) plus a fixed overhead each. */
  queuedBytes: number;
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
  /** Written to the local spool: past the in-memory bound, in strict mode while the database is down, or left in memory at shutdown. */
  spooled: number;
  /** Spooled records (this logger's, or those of a dead logger it adopted) since committed to the database. */
  replayed: number;
  /** This logger's spooled records not committed yet. */
  spoolBacklog: number;
  /** The most records held in memory at once: never above `maxQueueSize` while the spool takes the rest. */
  peakQueued: number;
  /** The most estimated bytes held in memory at once: past `maxQueueBytes` by one record at most while the spool takes the rest. */
  peakQueuedBytes: number;
  /** Whether the last write attempt succeeded. */
  healthy: boolean;
  lastError: string | null;
}

/** The running counts behind {@link WriterStats}; the writer adds to them as records move. */
export class WriterCounters {
  written = 0;
  retried = 0;
  failedWrites = 0;
  dropped = 0;
  rejected = 0;
  flushes = 0;
  spooled = 0;
  replayed = 0;
  peakQueued = 0;
  peakQueuedBytes = 0;
  lastError: string | null = null;

  /** Records and their estimated bytes in memory now: keeps the highest seen. */
  notePeak(queued: number, queuedBytes: number): void {
    if (queued > this.peakQueued) this.peakQueued = queued;
    if (queuedBytes > this.peakQueuedBytes) this.peakQueuedBytes = queuedBytes;
  }

  noteError(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** The counters, with what only the writer knows now. */
  snapshot(queued: number, queuedBytes: number, spoolBacklog: number, healthy: boolean): WriterStats {
    return {
      queued,
      queuedBytes,
      written: this.written,
      retried: this.retried,
      failedWrites: this.failedWrites,
      dropped: this.dropped,
      rejected: this.rejected,
      flushes: this.flushes,
      spooled: this.spooled,
      replayed: this.replayed,
      spoolBacklog,
      peakQueued: this.peakQueued,
      peakQueuedBytes: this.peakQueuedBytes,
      healthy,
      lastError: this.lastError,
    };
  }
}
