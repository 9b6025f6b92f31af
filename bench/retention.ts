import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ExecutionStore } from '../src';
import { atMost, elapsedMs, formatBytes, formatNumber, single, summarize, type BenchOutput, type ResultRow } from './stats';
import {
  envInt,
  finishedExecution,
  log,
  openDatabase,
  selectedBackends,
  settle,
  size,
  sleep,
  timeEach,
  unavailable,
  type BackendName,
} from './support';

const STEPS_PER_EXECUTION = 20;
const DAY_MS = 86_400_000;
/** Stored history spans 60 days; retention keeps 30, so it removes half. */
const SPAN_DAYS = 60;
const KEEP_DAYS = 30;
const EXECUTIONS_PER_BATCH = 1000;
const QUERY_REPEATS = 21;
/** The concurrent writer: one execution with its 20 steps per writeBatch, every 10 ms. */
const PROBE_INTERVAL_MS = 10;
const PROBE_BASELINE_MS = 2000;

/** How far back (newest first) the deep page starts: 40% of the history. */
function deepOffset(executions: number): number {
  return Math.floor(executions * 0.4);
}

/** Set while the probe calls writeBatch, so the observer can tell the probe's transactions from retention's. */
let probeCalling = false;

/** Writes small batches while `running()` holds and returns each batch's latency (ms). */
async function probeWrites(store: ExecutionStore, running: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  let n = 0;
  while (running()) {
    const rows = finishedExecution(Date.now(), STEPS_PER_EXECUTION, n++ % 20);
    const start = process.hrtime.bigint();
    probeCalling = true;
    const written = store.writeBatch({ executions: [rows.execution], steps: rows.steps });
    probeCalling = false;
    await written;
    latencies.push(elapsedMs(start));
    await sleep(PROBE_INTERVAL_MS);
  }
  return latencies;
}

type OperationTimes = Record<string, { count: number; maxMs: number; totalMs: number }>;

type Transaction = <T>(work: (execute: unknown) => Promise<T>) => Promise<T>;

/**
 * Times what retention sends to the database, by kind, to show which part of it holds the writer
 * up: its transactions (chunk deletes) and the SQLite maintenance statements it issues through the
 * DataSource. Wraps, on this instance only, the store's internal `transaction` (when it has one:
 * observation only, the bench's figures do not depend on it) and `dataSource.query`.
 */
function observeRetention(store: ExecutionStore): { stop(): OperationTimes } {
  const times: OperationTimes = {};
  const record = (kind: string, start: bigint) => {
    const ms = elapsedMs(start);
    const entry = (times[kind] ??= { count: 0, maxMs: 0, totalMs: 0 });
    entry.count++;
    entry.maxMs = Math.max(entry.maxMs, ms);
    entry.totalMs += ms;
  };
  const internals = store as unknown as { transaction?: Transaction };
  const transaction = internals.transaction;
  if (typeof transaction === 'function') {
    internals.transaction = function (this: unknown, work) {
      const kind = probeCalling ? null : 'delete chunk (transaction)';
      const start = process.hrtime.bigint();
      const result = transaction.call(this, work);
      return kind ? result.finally(() => record(kind, start)) : result;
    } as Transaction;
  }
  const query = store.dataSource.query;
  store.dataSource.query = function (this: unknown, sql: string, ...rest: unknown[]) {
    const kind = /^PRAGMA (\w+)/.exec(sql)?.[1];
    const start = process.hrtime.bigint();
    const result = (query as (...args: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
    return kind ? result.finally(() => record(`PRAGMA ${kind}`, start)) : result;
  } as typeof query;
  return {
    stop: () => {
      if (typeof transaction === 'function') delete internals.transaction;
      store.dataSource.query = query;
      return times;
    },
  };
}

async function populate(store: ExecutionStore, executions: number, now: number): Promise<{ ids: string[]; seconds: number }> {
  const ids: string[] = [];
  const spacing = (SPAN_DAYS * DAY_MS) / executions;
  const first = now - SPAN_DAYS * DAY_MS;
  const start = process.hrtime.bigint();
  for (let batchStart = 0; batchStart < executions; batchStart += EXECUTIONS_PER_BATCH) {
    const batch = {
      executions: [] as ReturnType<typeof finishedExecution>['execution'][],
      steps: [] as ReturnType<typeof finishedExecution>['steps'],
    };
    for (let i = batchStart; i < Math.min(executions, batchStart + EXECUTIONS_PER_BATCH); i++) {
      const rows = finishedExecution(Math.floor(first + i * spacing), STEPS_PER_EXECUTION, i % 20);
      batch.executions.push(rows.execution);
      batch.steps.push(...rows.steps);
      ids.push(rows.execution.id);
    }
    await store.writeBatch(batch);
  }
  return { ids, seconds: elapsedMs(start) / 1000 };
}

interface BackendFigures {
  populateSeconds: number;
  sizeBefore: number;
  sizeAfter: number;
  removed: number;
  cleanupMs: number;
  queries: Record<string, number[]>;
  probeBaseline: number[];
  probeDuringCleanup: number[];
  eventLoopMaxMs: number;
  /** What retention spent its time on, by kind of statement. */
  operations: OperationTimes;
}

async function measureBackend(backend: BackendName, executions: number): Promise<BackendFigures> {
  const database = await openDatabase(backend, 'retention');
  const { store } = database;
  try {
    const now = Date.now();
    log(`retention: ${backend}: storing ${formatNumber(executions)} executions / ${formatNumber(executions * STEPS_PER_EXECUTION)} steps`);
    const { ids, seconds: populateSeconds } = await populate(store, executions, now);
    await settle(backend, store);
    const sizeBefore = await database.sizeBytes();
    log(`retention: ${backend}: stored in ${populateSeconds.toFixed(1)} s, ${formatBytes(sizeBefore)}`);

    const queries: Record<string, number[]> = {};
    queries.listFirstPage = await timeEach(QUERY_REPEATS, () => store.listExecutions({ limit: 50 }));
    queries.listByWorkflow = await timeEach(QUERY_REPEATS, (i) =>
      store.listExecutions({ workflowId: `bench-workflow-${i % 20}`, limit: 50 }),
    );
    let deepCursor: string | null = null;
    for (let walked = 0; walked < deepOffset(executions);) {
      const page = await store.listExecutions({ limit: Math.min(1000, deepOffset(executions) - walked), cursor: deepCursor });
      walked += page.items.length;
      deepCursor = page.nextCursor;
    }
    queries.listDeepPage = await timeEach(QUERY_REPEATS, async () => {
      const page = await store.listExecutions({ limit: 50, cursor: deepCursor });
      if (page.items.length !== 50) throw new Error(`deep page has ${page.items.length} items`);
    });
    queries.getExecution = await timeEach(QUERY_REPEATS, async (i) => {
      const execution = await store.getExecution(ids[Math.floor(((i + 0.5) / QUERY_REPEATS) * ids.length)]!, { steps: true });
      if (execution?.steps?.length !== STEPS_PER_EXECUTION) throw new Error(`getExecution returned ${execution?.steps?.length} steps`);
    });

    let probing = true;
    const baselineProbe = probeWrites(store, () => probing);
    await sleep(PROBE_BASELINE_MS);
    probing = false;
    const probeBaseline = await baselineProbe;

    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let cleaning = true;
    const cleanupProbe = probeWrites(store, () => cleaning);
    const observer = observeRetention(store);
    const start = process.hrtime.bigint();
    const removed = await store.cleanupOldExecutions(KEEP_DAYS * DAY_MS);
    const cleanupMs = elapsedMs(start);
    const operations = observer.stop();
    cleaning = false;
    const probeDuringCleanup = await cleanupProbe;
    loop.disable();
    const sizeAfter = await database.sizeBytes();
    log(
      `retention: ${backend}: removed ${formatNumber(removed)} in ${(cleanupMs / 1000).toFixed(1)} s, ` +
        `probe max ${Math.max(...probeDuringCleanup).toFixed(1)} ms over ${probeDuringCleanup.length} writes, ${formatBytes(sizeBefore)} → ${formatBytes(sizeAfter)}; ` +
        Object.entries(operations)
          .map(([kind, t]) => `${kind}: ${t.count}× max ${t.maxMs.toFixed(0)} ms, total ${t.totalMs.toFixed(0)} ms`)
          .join('; '),
    );
    const expected = Math.ceil(executions * ((SPAN_DAYS - KEEP_DAYS) / SPAN_DAYS));
    if (Math.abs(removed - expected) > 2) throw new Error(`cleanup removed ${removed}, expected about ${expected}`);
    return {
      populateSeconds,
      sizeBefore,
      sizeAfter,
      removed,
      cleanupMs,
      queries,
      probeBaseline,
      probeDuringCleanup,
      eventLoopMaxMs: loop.max / 1e6,
      operations,
    };
  } finally {
    await database.dispose();
  }
}

function slowestOperation(operations: OperationTimes): string {
  const [kind, times] = Object.entries(operations).sort(([, a], [, b]) => b.maxMs - a.maxMs)[0] ?? ['none', { maxMs: 0, count: 0 }];
  return `${kind} ${times.maxMs.toFixed(0)} ms (of ${times.count})`;
}

/**
 * 5. Retention and queries at scale: 50 000 executions / 1 000 000 steps over 60 days, stored with
 * writeBatch; list and detail queries; then cleanupOldExecutions(30 days) while a writer commits
 * one execution with 20 steps every 10 ms, whose slowest commit is the pause retention caused.
 */
export async function runRetention(): Promise<BenchOutput> {
  const steps = envInt('BENCH_RETENTION_STEPS', size(1_000_000, 100_000));
  const executions = Math.ceil(steps / STEPS_PER_EXECUTION);
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { executions, steps: executions * STEPS_PER_EXECUTION };
  const bench = 'retention';
  for (const backend of selectedBackends(['sqlite3', 'postgres'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench, figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    const figures = await measureBackend(backend, executions);
    details[backend] = figures;
    const queryRow = (figure: string, key: string): ResultRow => {
      const value = summarize(figures.queries[key]!);
      return { bench, figure: `${backend}: ${figure}`, value, unit: 'ms', verdict: atMost(value.median, 20, '< 20 ms') };
    };
    const stall = Math.max(...figures.probeDuringCleanup);
    const baseline = summarize(figures.probeBaseline).median;
    rows.push(
      queryRow('listExecutions first page (50)', 'listFirstPage'),
      queryRow('listExecutions by workflow, first page', 'listByWorkflow'),
      queryRow(`listExecutions deep cursor page (after ${formatNumber(deepOffset(executions))})`, 'listDeepPage'),
      queryRow('getExecution with 20 steps', 'getExecution'),
      {
        bench,
        figure: `${backend}: cleanupOldExecutions, longest concurrent write`,
        value: single(stall),
        unit: 'ms',
        baseline: { label: 'write without cleanup (median)', value: baseline, unit: 'ms' },
        ratio: stall / baseline,
        verdict: atMost(stall, 100, '≤ 100 ms'),
        note:
          `removed ${formatNumber(figures.removed)} executions in ${(figures.cleanupMs / 1000).toFixed(1)} s; ` +
          `${figures.probeDuringCleanup.length} writes, median ${summarize(figures.probeDuringCleanup).median.toFixed(1)} ms; ` +
          `event loop max ${figures.eventLoopMaxMs.toFixed(1)} ms; longest retention statement: ${slowestOperation(figures.operations)}`,
      },
      {
        bench,
        figure: `${backend}: size after cleanup`,
        value: single(figures.sizeAfter / 1024 / 1024),
        unit: 'MB',
        baseline: { label: 'before', value: figures.sizeBefore / 1024 / 1024, unit: 'MB' },
        ratio: figures.sizeAfter / figures.sizeBefore,
        note: backend === 'postgres' ? 'tables + indexes; space is reused, not returned, until VACUUM FULL' : 'file + WAL',
      },
    );
  }
  return { rows, details };
}
