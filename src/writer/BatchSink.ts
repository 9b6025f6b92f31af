import type { HistorySink } from '../store/ports';

/**
 * What the BatchWriter writes through: the store's sink itself, or a writer thread in front of
 * it. Writing a batch and telling refused data from a failing database are the store's (it knows
 * the SQL and the error codes); a thread adds only the way to collect a finished write early.
 */
export interface BatchSink extends Pick<HistorySink, 'writeBatch' | 'isDataError'> {
  /** Settles a write that has finished but whose completion has not been delivered yet. */
  settleFinished?(): void;
}
