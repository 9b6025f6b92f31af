import { summarize, type BenchOutput, type ResultRow } from './stats';
import { finishedExecution, log, openDatabase, selectedBackends, size, unavailable } from './support';

/** Executions written per backend, each of STEPS steps carrying the bench's 2×200 B payloads. */
const EXECUTIONS = size(5000, 200);
const STEPS = 20;
const PER_BATCH = 50;

/**
 * Storage: bytes on disk per recorded step (its share of the execution row included), indexes
 * included, on each backend: the figure for sizing a database (README). SQLite: the file and its
 * WAL; PostgreSQL: both tables with indexes and TOAST; MySQL/MariaDB: InnoDB data and index length.
 */
export async function runStorage(): Promise<BenchOutput> {
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const backend of selectedBackends(['sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      log(`storage: ${backend} skipped (${missing})`);
      rows.push({ bench: 'storage', figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    const database = await openDatabase(backend, 'storage');
    try {
      const empty = await database.sizeBytes();
      const startedAt = Date.now() - EXECUTIONS * STEPS;
      for (let first = 0; first < EXECUTIONS; first += PER_BATCH) {
        const batch = Array.from({ length: Math.min(PER_BATCH, EXECUTIONS - first) }, (_, i) =>
          finishedExecution(startedAt + (first + i) * STEPS, STEPS, (first + i) % 64),
        );
        await database.store.writeBatch({ executions: batch.map((b) => b.execution), steps: batch.flatMap((b) => b.steps) });
      }
      const full = await database.sizeBytes();
      const perStep = (full - empty) / (EXECUTIONS * STEPS);
      log(`storage: ${backend}: ${Math.round(perStep)} bytes per step (${full - empty} bytes for ${EXECUTIONS * STEPS} steps)`);
      rows.push({ bench: 'storage', figure: `${backend}: bytes on disk per step`, value: summarize([perStep]), unit: 'B' });
      details[backend] = { bytes: full - empty, steps: EXECUTIONS * STEPS };
    } finally {
      await database.dispose();
    }
  }
  return { rows, details };
}
