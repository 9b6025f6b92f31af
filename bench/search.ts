import { uuidv7, type DataPredicate, type ExecutionStore, type ListExecutionsQuery, type NewExecution, type NewStep } from '../src';
import { atMost, elapsedMs, formatNumber, summarize, type BenchOutput, type ResultRow } from './stats';
import { envInt, log, openDatabase, selectedBackends, size, unavailable, type BackendName } from './support';

const STEPS_PER_EXECUTION = 20;
const WORKFLOWS = 20;
const EXECUTIONS_PER_BATCH = 100;
const REPEATS = 11;
const DAY_MS = 86_400_000;

/**
 * A step's output, about 200 bytes: one run in a hundred declined (`code` "05"), amounts spread
 * over 0–999 (999 on one step in a thousand), a customer among 5 000.
 */
function output(execution: number, step: number): Record<string, unknown> {
  return {
    orderId: `ord_${execution}_${step}`,
    code: execution % 100 === 0 ? '05' : '00',
    amount: (execution * 7 + step) % 1000,
    customer: { id: `cus_${execution % 5000}`, tier: 'gold', region: 'eu-west-1' },
    note: 'Authorised by the issuer after a 3-D Secure challenge; settlement pending',
  };
}

/** `steps` steps in 20-step runs of 20 workflows, spread evenly over the last 30 days. */
async function populate(store: ExecutionStore, steps: number, now: number): Promise<number> {
  const executions = Math.ceil(steps / STEPS_PER_EXECUTION);
  const spacing = (30 * DAY_MS) / executions;
  const start = process.hrtime.bigint();
  for (let first = 0; first < executions; first += EXECUTIONS_PER_BATCH) {
    const batch = { executions: [] as (NewExecution & { id: string })[], steps: [] as (NewStep & { id: string })[] };
    for (let i = first; i < Math.min(executions, first + EXECUTIONS_PER_BATCH); i++) {
      const startedAt = Math.floor(now - 30 * DAY_MS + i * spacing);
      const id = uuidv7(startedAt);
      const workflowId = `bench-workflow-${i % WORKFLOWS}`;
      batch.executions.push({ id, workflowId, workflowName: workflowId, triggerType: 'manual', status: 'success', startedAt });
      for (let step = 0; step < STEPS_PER_EXECUTION; step++) {
        batch.steps.push({
          id: uuidv7(startedAt + step),
          executionId: id,
          nodeId: step === STEPS_PER_EXECUTION - 1 ? 'charge' : `node-${step}`,
          nodeType: 'code',
          stepIndex: step,
          startedAt: startedAt + step,
          completedAt: startedAt + step + 1,
          durationMs: 1,
          status: 'success',
          inputData: { orderId: `ord_${i}_${step}` },
          outputData: output(i, step),
        });
      }
    }
    await store.writeBatch(batch);
  }
  return elapsedMs(start) / 1000;
}

interface Search {
  name: string;
  /** The execution filters alone: the baseline, measured in the same run. */
  filters: ListExecutionsQuery;
  where: DataPredicate[];
  node?: string;
  limitMs: number;
  expectAny: boolean;
}

function searches(now: number): Search[] {
  const lastDay: ListExecutionsQuery = { workflowId: 'bench-workflow-0', startedAfter: now - DAY_MS };
  return [
    {
      name: 'one workflow, last 24 h: output.code = "05" at node charge',
      filters: lastDay,
      where: [{ path: 'output.code', equals: '05' }],
      node: 'charge',
      limitMs: 100,
      expectAny: true,
    },
    {
      name: 'unrestricted: output.code = "05" (1 run in 100)',
      filters: {},
      where: [{ path: 'output.code', equals: '05' }],
      limitMs: 1000,
      expectAny: true,
    },
    {
      name: 'unrestricted: output.amount > 998 (1 step in 1 000; no text to look for first)',
      filters: {},
      where: [{ path: 'output.amount', gt: 998 }],
      limitMs: 1000,
      expectAny: true,
    },
    {
      name: 'unrestricted, no match: output.customer.id = "cus_none" (every step read)',
      filters: {},
      where: [{ path: 'output.customer.id', equals: 'cus_none' }],
      limitMs: 1000,
      expectAny: false,
    },
    {
      name: 'unrestricted, no match: output.amount > 5000 (every step parsed)',
      filters: {},
      where: [{ path: 'output.amount', gt: 5000 }],
      limitMs: 1000,
      expectAny: false,
    },
  ];
}

async function timeEach(repeats: number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(elapsedMs(start));
  }
  return times;
}

async function measureBackend(backend: BackendName, steps: number, rows: ResultRow[], details: Record<string, unknown>): Promise<void> {
  const database = await openDatabase(backend, 'search');
  const { store } = database;
  try {
    const now = Date.now();
    log(`search: ${backend}: storing ${formatNumber(steps)} steps in ${STEPS_PER_EXECUTION}-step runs`);
    const populateSeconds = await populate(store, steps, now);
    if (backend === 'postgres') await store.dataSource.query('ANALYZE');
    else if (backend === 'mysql') await store.dataSource.query('ANALYZE TABLE execution_steps, workflow_executions');
    else await store.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    log(`search: ${backend}: stored in ${populateSeconds.toFixed(1)} s`);
    const figures: Record<string, { searchMs: number[]; baselineMs: number[]; found: number }> = {};
    for (const search of searches(now)) {
      const query: ListExecutionsQuery = { ...search.filters, where: search.where, node: search.node, limit: 50 };
      const first = await store.listExecutions(query);
      if (first.items.length > 0 !== search.expectAny) throw new Error(`${search.name}: found ${first.items.length}`);
      const searchMs: number[] = [];
      const baselineMs: number[] = [];
      // Alternating, so that neither side gets a warmer cache than the other.
      for (let round = 0; round < REPEATS; round++) {
        searchMs.push(...(await timeEach(1, () => store.listExecutions(query))));
        baselineMs.push(...(await timeEach(1, () => store.listExecutions({ ...search.filters, limit: 50 }))));
      }
      figures[search.name] = { searchMs, baselineMs, found: first.items.length };
      const value = summarize(searchMs);
      const baseline = summarize(baselineMs).median;
      rows.push({
        bench: 'search',
        figure: `${backend}: ${search.name}`,
        value,
        unit: 'ms',
        baseline: { label: 'the same page without the step predicate (median)', value: baseline, unit: 'ms' },
        ratio: value.median / baseline,
        verdict: atMost(value.median, search.limitMs, `< ${formatNumber(search.limitMs)} ms`),
        note: `first page of 50: ${first.items.length} found; ${formatNumber(steps)} steps stored in ${populateSeconds.toFixed(0)} s`,
      });
      log(`search: ${backend}: ${search.name}: ${formatNumber(value.median)} ms`);
    }
    details[backend] = { populateSeconds, figures };
  } finally {
    await database.dispose();
  }
}

/**
 * The first page of a search inside captured data, on a history of 1 000 000 steps
 * (BENCH_SEARCH_STEPS), against the same page without the step predicate. Targets (#13): < 100 ms
 * restricted to one workflow and the last 24 h, < 1 s unrestricted.
 */
export async function runSearch(): Promise<BenchOutput> {
  const steps = envInt('BENCH_SEARCH_STEPS', size(1_000_000, 100_000));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { steps, stepsPerExecution: STEPS_PER_EXECUTION };
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench: 'search', figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    await measureBackend(backend, steps, rows, details);
  }
  return { rows, details };
}
