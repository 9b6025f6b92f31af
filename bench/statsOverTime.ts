import { uuidv7, type ExecutionStore, type NewExecution, type StatsOverTimeQuery } from '../src';
import { atMost, elapsedMs, formatNumber, summarize, type BenchOutput, type ResultRow } from './stats';
import { envInt, log, openDatabase, selectedBackends, settle, size, timeEach, unavailable, type BackendName } from './support';

const WORKFLOWS = 20;
const EXECUTIONS_PER_BATCH = 1000;
const REPEATS = 11;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A bound this bench sets for one read (#15 names no target for the Stats page): a page should answer well under a second. */
const LIMIT_MS = 500;

/**
 * `count` executions (no steps: the query reads executions alone) of 20 workflows, spread evenly
 * over the last 30 days: 90 % success, 8 % error, 2 % interrupted, durations 20 ms to 4 s.
 */
async function populate(store: ExecutionStore, count: number, now: number): Promise<number> {
  const spacing = (30 * DAY_MS) / count;
  const start = process.hrtime.bigint();
  for (let first = 0; first < count; first += EXECUTIONS_PER_BATCH) {
    const executions: (NewExecution & { id: string })[] = [];
    for (let i = first; i < Math.min(count, first + EXECUTIONS_PER_BATCH); i++) {
      const startedAt = Math.floor(now - 30 * DAY_MS + i * spacing);
      const status = i % 50 === 0 ? 'interrupted' : i % 100 < 8 ? 'error' : 'success';
      const durationMs = 20 + ((i * 7919) % 4000);
      const workflowId = `bench-workflow-${i % WORKFLOWS}`;
      executions.push({
        id: uuidv7(startedAt),
        workflowId,
        workflowName: workflowId,
        triggerType: 'manual',
        status,
        startedAt,
        completedAt: startedAt + durationMs,
        durationMs,
      });
    }
    await store.writeBatch({ executions });
  }
  return elapsedMs(start) / 1000;
}

/** What the Stats page asks for: its four preset ranges, for every workflow and for one. */
function ranges(now: number): { name: string; query: StatsOverTimeQuery }[] {
  const named: [string, number][] = [
    ['30 days', 30 * DAY_MS],
    ['7 days', 7 * DAY_MS],
    ['24 h', DAY_MS],
  ];
  return named.flatMap(([name, span]) => [
    { name: `all workflows, last ${name}`, query: { since: now - span, until: now } },
    { name: `one workflow, last ${name}`, query: { workflowId: 'bench-workflow-0', since: now - span, until: now } },
  ]);
}

async function measureBackend(backend: BackendName, count: number, rows: ResultRow[], details: Record<string, unknown>): Promise<void> {
  const database = await openDatabase(backend, 'stats-over-time');
  const { store } = database;
  try {
    const now = Date.now();
    log(`stats-over-time: ${backend}: storing ${formatNumber(count)} executions`);
    const populateSeconds = await populate(store, count, now);
    await settle(backend, store);
    log(`stats-over-time: ${backend}: stored in ${populateSeconds.toFixed(1)} s`);
    const figures: Record<string, { seriesMs: number[]; totalsMs: number[]; runs: number; buckets: number }> = {};
    for (const { name, query } of ranges(now)) {
      const series = await store.getStatsOverTime(query);
      const runs = series.buckets.reduce((sum, bucket) => sum + bucket.total, 0);
      const totals = await store.getStats(query);
      if (runs !== totals.total) throw new Error(`${name}: the buckets hold ${runs} runs, getStats counts ${totals.total}`);
      const seriesMs: number[] = [];
      const totalsMs: number[] = [];
      // Alternating, so that neither gets a warmer cache than the other.
      for (let round = 0; round < REPEATS; round++) {
        seriesMs.push(...(await timeEach(1, () => store.getStatsOverTime(query))));
        totalsMs.push(...(await timeEach(1, () => store.getStats(query))));
      }
      figures[name] = { seriesMs, totalsMs, runs, buckets: series.buckets.length };
      const value = summarize(seriesMs);
      const baseline = summarize(totalsMs).median;
      rows.push({
        bench: 'stats-over-time',
        figure: `${backend}: ${name}`,
        value,
        unit: 'ms',
        baseline: { label: 'getStats over the same range (median)', value: baseline, unit: 'ms' },
        ratio: value.median / baseline,
        verdict: atMost(value.median, LIMIT_MS, `< ${LIMIT_MS} ms`),
        note: `${formatNumber(runs)} runs in ${series.buckets.length} buckets of ${series.bucketMs / HOUR_MS} h; ${formatNumber(count)} executions stored`,
      });
      log(`stats-over-time: ${backend}: ${name}: ${formatNumber(value.median)} ms (getStats ${formatNumber(baseline)} ms)`);
    }
    details[backend] = { populateSeconds, figures };
  } finally {
    await database.dispose();
  }
}

/**
 * `getStatsOverTime` (the Stats page's series) against `getStats` over the same range, on a
 * history of 200 000 executions over 30 days (BENCH_STATS_EXECUTIONS).
 */
export async function runStatsOverTime(): Promise<BenchOutput> {
  const count = envInt('BENCH_STATS_EXECUTIONS', size(200_000, 20_000));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { executions: count };
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench: 'stats-over-time', figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    await measureBackend(backend, count, rows, details);
  }
  return { rows, details };
}
