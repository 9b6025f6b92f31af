import 'reflect-metadata';
import { ExecutionStore } from '../src';
import { finishedExecution, PG_URL, type BackendName } from './support';

/** What the parent asks for (argv[2], JSON). */
export interface FollowWriterRequest {
  backend: BackendName;
  location: string;
  /** `paced`: `stepsPerSecond` for `seconds`, reporting when each step was committed; `flat`: `steps` as fast as it can. */
  mode: 'paced' | 'flat';
  stepsPerSecond: number;
  seconds: number;
  steps: number;
}

/** What it sends back (IPC). */
export interface FollowWriterResult {
  /** Step id → when its batch's commit returned, in epoch ms with fractions (paced). */
  committedAt: Record<string, number>;
  /** Steps written per second of writing (flat). */
  stepsPerSecond: number;
}

/**
 * Paced writes commit ten batches a second, one execution with `stepsPerSecond / 10` steps each:
 * what the logger's writer does at its default `flushIntervalMs` of 100.
 */
const BATCHES_PER_SECOND = 10;
const FLAT_BATCH = 100;

// Date.now(), not performance.timeOrigin + now(): the two processes' time origins differ by tens of ms.
const now = () => Date.now();

/**
 * The writer of the follow bench, in a process of its own as a workflow process is: the reader's
 * polls then cost it only what they cost the database.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as FollowWriterRequest;
  const store = await ExecutionStore.open(
    request.backend === 'postgres'
      ? { url: PG_URL, schema: request.location, runMigrations: false }
      : request.backend === 'mysql'
        ? { url: request.location, runMigrations: false }
        : { database: request.location, sqliteDriver: request.backend, runMigrations: false },
  );
  const result: FollowWriterResult = { committedAt: {}, stepsPerSecond: 0 };
  try {
    if (request.mode === 'paced') {
      const perBatch = Math.max(1, Math.round(request.stepsPerSecond / BATCHES_PER_SECOND));
      const batches = request.seconds * BATCHES_PER_SECOND;
      const start = now();
      for (let i = 0; i < batches; i++) {
        // On schedule, not after the previous write: a slow write is followed by the next at once.
        const due = start + (i * 1000) / BATCHES_PER_SECOND;
        const wait = due - now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const rows = finishedExecution(Date.now(), perBatch, i % 20);
        await store.writeBatch({ executions: [rows.execution], steps: rows.steps });
        const at = now();
        for (const step of rows.steps) result.committedAt[step.id] = at;
      }
    } else {
      const start = now();
      for (let written = 0; written < request.steps; written += FLAT_BATCH) {
        const rows = finishedExecution(Date.now(), FLAT_BATCH, written % 20);
        await store.writeBatch({ executions: [rows.execution], steps: rows.steps });
      }
      result.stepsPerSecond = request.steps / ((now() - start) / 1000);
    }
  } finally {
    await store.close();
  }
  process.send?.(result);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
