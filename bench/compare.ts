import type { ExecutionStore, NewStep } from '../src';
import { atMost, elapsedMs, formatNumber, summarize, type BenchOutput, type ResultRow } from './stats';
import {
  envInt,
  finishedExecution,
  log,
  openDatabase,
  OUTPUT,
  selectedBackends,
  settle,
  size,
  timeEach,
  unavailable,
  type BackendName,
} from './support';

const STEPS_PER_EXECUTION = 200;
const EXECUTIONS_PER_BATCH = 25;
const REPEATS = 31;

type Rows = ReturnType<typeof finishedExecution>;

/** History of `steps` steps in 200-step runs over the last 30 days, written with writeBatch. */
async function populate(store: ExecutionStore, steps: number, now: number): Promise<number> {
  const executions = Math.ceil(steps / STEPS_PER_EXECUTION);
  const spacing = (30 * 86_400_000) / executions;
  const start = process.hrtime.bigint();
  for (let batchStart = 0; batchStart < executions; batchStart += EXECUTIONS_PER_BATCH) {
    const batch = { executions: [] as Rows['execution'][], steps: [] as Rows['steps'] };
    for (let i = batchStart; i < Math.min(executions, batchStart + EXECUTIONS_PER_BATCH); i++) {
      const rows = finishedExecution(Math.floor(now - 30 * 86_400_000 + i * spacing), STEPS_PER_EXECUTION, i % 20);
      batch.executions.push(rows.execution);
      batch.steps.push(...rows.steps);
    }
    await store.writeBatch(batch);
  }
  return elapsedMs(start) / 1000;
}

/**
 * The pair compared: two runs of one workflow in the middle of the history whose every output
 * differs in two paths (an order id and a currency), as two runs of the same code on different orders do.
 */
async function comparedPair(store: ExecutionStore, now: number): Promise<{ a: string; b: string }> {
  const middle = now - 15 * 86_400_000;
  const a = finishedExecution(middle, STEPS_PER_EXECUTION, 3);
  const b = finishedExecution(middle + 1000, STEPS_PER_EXECUTION, 3);
  const changed = (step: NewStep & { id: string }, index: number) => ({
    ...step,
    outputData: { ...OUTPUT, orderId: `ord_b_${index}`, currency: 'USD' },
  });
  await store.writeBatch({ executions: [a.execution, b.execution], steps: [...a.steps, ...b.steps.map(changed)] });
  return { a: a.execution.id, b: b.execution.id };
}

interface BackendFigures {
  populateSeconds: number;
  compareMs: number[];
  /** The two executions with their steps through getExecution: the reads compareExecutions cannot avoid. */
  twoGetExecutionMs: number[];
}

async function measureBackend(backend: BackendName, steps: number): Promise<BackendFigures> {
  const database = await openDatabase(backend, 'compare');
  const { store } = database;
  try {
    const now = Date.now();
    log(`compare: ${backend}: storing ${formatNumber(steps)} steps in ${STEPS_PER_EXECUTION}-step runs`);
    const populateSeconds = await populate(store, steps, now);
    const { a, b } = await comparedPair(store, now);
    await settle(backend, store);
    log(`compare: ${backend}: stored in ${populateSeconds.toFixed(1)} s`);

    const check = await store.compareExecutions(a, b);
    if (check.counts.matched !== STEPS_PER_EXECUTION || check.counts.changed !== STEPS_PER_EXECUTION) {
      throw new Error(`compareExecutions matched ${check.counts.matched}, changed ${check.counts.changed}`);
    }
    const paths = check.steps[0]?.output?.changes.map((change) => change.path).join(', ');
    log(`compare: ${backend}: each step pair differs at ${paths}`);
    // Alternating, so that neither side gets a warmer cache than the other.
    const compareMs: number[] = [];
    const twoGetExecutionMs: number[] = [];
    for (let round = 0; round < REPEATS; round++) {
      compareMs.push(...(await timeEach(1, () => store.compareExecutions(a, b))));
      twoGetExecutionMs.push(
        ...(await timeEach(1, () => Promise.all([store.getExecution(a, { steps: true }), store.getExecution(b, { steps: true })]))),
      );
    }
    return { populateSeconds, compareMs, twoGetExecutionMs };
  } finally {
    await database.dispose();
  }
}

/**
 * compareExecutions of two 200-step runs whose every step differs in its output, on a history of
 * 1 000 000 steps (BENCH_COMPARE_STEPS), against reading the same two runs with getExecution.
 * Target (#13): < 50 ms on SQLite and PostgreSQL.
 */
export async function runCompare(): Promise<BenchOutput> {
  const steps = envInt('BENCH_COMPARE_STEPS', size(1_000_000, 100_000));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { steps, stepsPerExecution: STEPS_PER_EXECUTION };
  const bench = 'compare';
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench, figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    const figures = await measureBackend(backend, steps);
    details[backend] = figures;
    const value = summarize(figures.compareMs);
    const baseline = summarize(figures.twoGetExecutionMs).median;
    rows.push({
      bench,
      figure: `${backend}: compareExecutions, 2 × ${STEPS_PER_EXECUTION} steps, ${formatNumber(steps)} stored`,
      value,
      unit: 'ms',
      baseline: { label: '2 × getExecution with steps (median)', value: baseline, unit: 'ms' },
      ratio: value.median / baseline,
      verdict: atMost(value.median, 50, '< 50 ms'),
      note: `${STEPS_PER_EXECUTION} pairs, each with 2 output paths changed; stored in ${figures.populateSeconds.toFixed(0)} s`,
    });
  }
  return { rows, details };
}
