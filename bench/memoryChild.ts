import { ExecutionLogger } from '../src';
import {
  countSteps,
  envInt,
  isolateFromEnvironment,
  type Database,
  noopChain,
  openDatabase,
  runConcurrently,
  sleep,
  startLogger,
} from './support';

/** What the child reports to memory.ts. Bytes throughout. */
export interface MemoryReport {
  steps: number;
  /** Steps of the measured run found in the database afterwards. */
  stepsWritten: number;
  seconds: number;
  maxQueueSize: number;
  /** Highest `logger.stats().queued` seen by the sampler. */
  maxQueued: number;
  dbDelayMs: number;
  rssBefore: number;
  heapBefore: number;
  peakRss: number;
  peakHeap: number;
  /** Right after shutdown() resolved. */
  rssAtShutdown: number;
  /** After a forced GC and `settleMs` more of sampling. */
  rssAfter: number;
  heapAfter: number;
  /** Highest RSS sampled after shutdown (its growth, if any). */
  peakRssAfterShutdown: number;
  settleMs: number;
  samples: { ms: number; rss: number; queued: number }[];
}

const STEPS_PER_WORKFLOW = 20;
const CONCURRENCY = 64;
const SAMPLE_MS = 50;
const SETTLE_MS = 2000;

/**
 * Logs BENCH_MEMORY_STEPS (default 1 000 000) steps of 64 concurrent 20-step workflows, capturing
 * 2×200 B per step, into SQLite, which is slower than this producer; samples RSS every 50 ms,
 * during the run and after shutdown(). BENCH_MEMORY_DB_DELAY_MS adds a wait before every
 * batch write to make the database slower still. Run by memory.ts in its own process.
 */
async function main(): Promise<void> {
  isolateFromEnvironment();
  const steps = envInt('BENCH_MEMORY_STEPS', 1_000_000);
  const dbDelayMs = Number(process.env.BENCH_MEMORY_DB_DELAY_MS ?? 0);
  const database = await openDatabase('sqlite3', 'memory');
  let report: MemoryReport;
  try {
    report = await measure(database, steps, dbDelayMs);
  } finally {
    await database.dispose();
  }
  if (process.send) process.send(report);
  else process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function measure(database: Database, steps: number, dbDelayMs: number): Promise<MemoryReport> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  if (dbDelayMs > 0) {
    const write = database.store.writeBatch.bind(database.store);
    database.store.writeBatch = async (batch) => {
      await sleep(dbDelayMs);
      return write(batch);
    };
  }
  const logger = await startLogger(database.store);
  ExecutionLogger.setDefault(logger);
  const chains = Array.from({ length: CONCURRENCY }, (_, i) => noopChain(`memory-chain-${i}`, STEPS_PER_WORKFLOW));
  // One warm-up workflow per chain: what the process needs to run at all is not the queue's cost.
  await runConcurrently(CONCURRENCY, CONCURRENCY, (run) => chains[run]!.run({ run }));
  await logger.flush();
  gc();

  const start = Date.now();
  const samples: MemoryReport['samples'] = [];
  let peakRss = 0;
  let peakHeap = 0;
  let maxQueued = 0;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    const { queued } = logger.stats();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
    maxQueued = Math.max(maxQueued, queued);
    samples.push({ ms: Date.now() - start, rss, queued });
  };
  const before = process.memoryUsage();
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);

  const workflows = Math.ceil(steps / STEPS_PER_WORKFLOW);
  await runConcurrently(workflows, CONCURRENCY, (run) => chains[run % CONCURRENCY]!.run({ run }));
  await logger.shutdown();
  const seconds = (Date.now() - start) / 1000;
  sample();
  const rssAtShutdown = process.memoryUsage().rss;
  const peakDuringRun = peakRss;
  peakRss = 0;
  gc();
  await sleep(SETTLE_MS);
  gc();
  sample();
  clearInterval(sampler);
  const after = process.memoryUsage();
  const stepsWritten = (await countSteps(database.store)) - CONCURRENCY * STEPS_PER_WORKFLOW;
  return {
    steps: workflows * STEPS_PER_WORKFLOW,
    stepsWritten,
    seconds,
    maxQueueSize: logger.config.maxQueueSize,
    maxQueued,
    dbDelayMs,
    rssBefore: before.rss,
    heapBefore: before.heapUsed,
    peakRss: peakDuringRun,
    peakHeap,
    rssAtShutdown,
    rssAfter: after.rss,
    heapAfter: after.heapUsed,
    peakRssAfterShutdown: peakRss,
    settleMs: SETTLE_MS,
    samples,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
