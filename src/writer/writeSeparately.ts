import type { BatchSink } from './BatchSink';
import { RecordBuffer } from './RecordBuffer';

export interface SeparateOutcome {
  /** Records committed, each in its own transaction. */
  written: number;
  /** When the database failed part-way: the records not tried yet, in order, and why. */
  unwritten?: RecordBuffer;
  error?: unknown;
}

/**
 * Writes each record of a batch the database refused in its own transaction, handing those it
 * refuses again to `refused`. Retried whole, such a batch would fail forever and stall all
 * history. Stops if the database becomes unreachable, handing back what is left, in order.
 */
export async function writeSeparately(
  sink: BatchSink,
  batch: RecordBuffer,
  refused: (record: RecordBuffer, error: unknown) => void,
): Promise<SeparateOutcome> {
  const singles = batch.split();
  let written = 0;
  for (let i = 0; i < singles.length; i++) {
    const single = singles[i]!;
    try {
      await sink.writeBatch(single.toWriteBatch());
      written++;
    } catch (error) {
      if (sink.isDataError(error)) {
        refused(single, error);
        continue;
      }
      const unwritten = new RecordBuffer();
      for (const rest of singles.slice(i)) unwritten.append(rest);
      return { written, unwritten, error };
    }
  }
  return { written };
}
