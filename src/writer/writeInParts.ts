import type { BatchSink } from './BatchSink';
import type { RecordBuffer } from './RecordBuffer';
import { writeSeparately, type SeparateOutcome } from './writeSeparately';

/**
 * Writes a batch in parts of at most `maxBytes` estimated bytes, in write order, one transaction
 * each, one after the other; a batch that fits is one part, as before. A part the database
 * refuses for its content is written record by record ({@link writeSeparately}). When the
 * database fails, the parts not committed come back as `unwritten`, in order: only they may be
 * put back in memory. Put back whole, a batch would let a completion arriving meanwhile fold into
 * an insert already committed, and the retried insert, skipped as a conflict, would lose it.
 *
 * Retrying what a failed part left is otherwise safe, as the spool's replay already relies on:
 * the store's inserts are `ON CONFLICT (id) DO NOTHING` and its updates set the same values again
 * (`store/BatchWrites.ts`), so parts committed before a failure may be written again.
 */
export async function writeInParts(
  sink: BatchSink,
  batch: RecordBuffer,
  maxBytes: number,
  refused: (record: RecordBuffer, error: unknown) => void,
): Promise<SeparateOutcome> {
  const parts = batch.split(maxBytes);
  let written = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let outcome: SeparateOutcome;
    try {
      await sink.writeBatch(part.toWriteBatch());
      outcome = { written: part.size };
    } catch (error) {
      outcome = sink.isDataError(error) ? await writeSeparately(sink, part, refused) : { written: 0, unwritten: part, error };
    }
    written += outcome.written;
    if (outcome.unwritten !== undefined) {
      const unwritten = outcome.unwritten;
      for (const rest of parts.slice(i + 1)) unwritten.append(rest);
      return { written, unwritten, error: outcome.error };
    }
  }
  return { written };
}
