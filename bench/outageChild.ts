import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivatePostgres } from '../__tests__/support/privatePostgres';
import { ExecutionLogger, ExecutionStore, type LoggerStats } from '../src';
import { envInt, isolateFromEnvironment, noopChain, sleep, startLogger } from './support';

/** What the child reports to outage.ts. Bytes and milliseconds. */
export interface OutageReport {
  workflowsPerSecond: number;
  stepsPerWorkflow: number;
  warmupSeconds: number;
  outageSeconds: number;
  /** Workflows started in all, and those that rejected (should be none: history never fails a workflow). */
  workflows: number;
  workflowErrors: number;
  /** Most workflows in flight at once: a workflow waiting on the dead database would pile up here. */
  maxInFlight: number;
  rssBefore: number;
  /** Highest RSS sampled while the database was gone. */
  peakRss: number;
  maxQueued: number;
  maxQueueSize: number;
  maxRetryDelayMs: number;
  /** Server accepting connections again (pg_ctl start -w returned) → first batch committed. */
  firstWriteMs: number;
  /** Server back → everything held in memory and in the spool committed. */
  recoveryMs: number;
  /** Records waiting (memory + spool) when the server came back. */
  backlogAtReturn: number;
  executionsStored: number;
  stepsStored: number;
  /** Rows of the run absent from the database or left unfinished. */
  rowsLost: number;
  stats: LoggerStats;
}

const SAMPLE_MS = 100;
const TICK_MS = 10;

/**
 * A steady load of BENCH_OUTAGE_RATE workflows/s (3 steps, 2×200 B each) on a PostgreSQL server
 * of our own: BENCH_OUTAGE_WARMUP_SECONDS with it up, BENCH_OUTAGE_SECONDS with it stopped, then
 * started again with the load stopped, so "all caught up" is a well-defined moment. Default logger
 * settings (spool included). Run by outage.ts in its own process so that only this run's memory counts.
 */
async function main(): Promise<void> {
  isolateFromEnvironment();
  const rate = envInt('BENCH_OUTAGE_RATE', 100);
  const warmupSeconds = envInt('BENCH_OUTAGE_WARMUP_SECONDS', 5);
  const outageSeconds = envInt('BENCH_OUTAGE_SECONDS', 60);
  const cluster = await startPrivatePostgres();
  const spoolDir = mkdtempSync(join(tmpdir(), 'flowtrail-bench-spool-'));
  try {
    const store = await ExecutionStore.open({ url: cluster.url, schema: 'bench_outage' });
    const logger = await startLogger(store, { spoolDir });
    ExecutionLogger.setDefault(logger);
    const stepsPerWorkflow = 3;
    const chain = noopChain('outage', stepsPerWorkflow);

    let workflows = 0;
    let workflowErrors = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let loadRunning = true;
    const perTick = rate / (1000 / TICK_MS);
    let owed = 0;
    const load = (async () => {
      const started = Date.now();
      for (let tick = 1; loadRunning; tick++) {
        // Paced on the clock, not on completions: the producer does not slow down with the database.
        for (owed += perTick; owed >= 1; owed--) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          const run = workflows++;
          chain.run({ run }).then(
            () => inFlight--,
            () => {
              inFlight--;
              workflowErrors++;
            },
          );
        }
        await sleep(Math.max(0, started + tick * TICK_MS - Date.now()));
      }
    })();

    await sleep(warmupSeconds * 1000);
    const rssBefore = process.memoryUsage().rss;
    await cluster.stop();
    let peakRss = 0;
    let maxQueued = 0;
    const outageEnds = Date.now() + outageSeconds * 1000;
    while (Date.now() < outageEnds) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      maxQueued = Math.max(maxQueued, logger.stats().queued);
      await sleep(SAMPLE_MS);
    }
    loadRunning = false;
    await load;
    while (inFlight > 0) await sleep(1);

    const writtenBefore = logger.stats().written;
    // The spool's backlog counter, where the writer has one.
    const backlog = (stats: LoggerStats) => stats.queued + ((stats as unknown as { spoolBacklog?: number }).spoolBacklog ?? 0);
    const backlogAtReturn = backlog(logger.stats());
    await cluster.start();
    const backAt = Date.now();
    let firstWriteMs = -1;
    for (;;) {
      const stats = logger.stats();
      if (firstWriteMs < 0 && stats.written > writtenBefore) firstWriteMs = Date.now() - backAt;
      if (stats.healthy && backlog(stats) === 0) break;
      await sleep(1);
    }
    const recoveryMs = Date.now() - backAt;
    await logger.shutdown();

    const [row] = await store.dataSource.query(
      `SELECT (SELECT COUNT(*) FROM workflow_executions WHERE status = 'success') AS executions,
              (SELECT COUNT(*) FROM execution_steps WHERE status = 'success') AS steps`,
    );
    await store.close();
    const executionsStored = Number(row.executions);
    const stepsStored = Number(row.steps);
    const report: OutageReport = {
      workflowsPerSecond: rate,
      stepsPerWorkflow,
      warmupSeconds,
      outageSeconds,
      workflows,
      workflowErrors,
      maxInFlight,
      rssBefore,
      peakRss,
      maxQueued,
      maxQueueSize: logger.config.maxQueueSize,
      maxRetryDelayMs: logger.config.maxRetryDelayMs,
      firstWriteMs,
      recoveryMs,
      backlogAtReturn,
      executionsStored,
      stepsStored,
      rowsLost: workflows * (1 + stepsPerWorkflow) - executionsStored - stepsStored,
      stats: logger.stats(),
    };
    if (process.send) process.send(report);
    else process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    cluster.destroy();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
