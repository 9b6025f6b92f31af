import { currentExecution, ExecutionLogger, LoggedWorkflow, type ExecutionStore } from '../src';
import { atLeast, atMost, elapsedMs, formatNumber, summarize, type BenchOutput, type ResultRow } from './stats';
import {
  countSteps,
  envInt,
  finishedExecution,
  INPUT,
  log,
  noopChain,
  openDatabase,
  runConcurrently,
  selectedBackends,
  settle,
  size,
  startLogger,
  unavailable,
  type BackendName,
  type ChainWorkflow,
  type ExecutableNode,
} from './support';

const STEPS_PER_WORKFLOW = 20;
const CONCURRENCY = 64;
/** The stored history of the query figures: short runs, so that there are many executions to filter. */
const STORED_STEPS_PER_EXECUTION = 10;
const EXECUTIONS_PER_BATCH = 100;
const TENANTS = 20;
const REPEATS = 31;

/** The bench chain, tagged as a service would tag it: two tags at the start, one from inside the run. */
class TaggedChainWorkflow {
  readonly name = 'Bench chain';
  constructor(
    readonly id: string,
    readonly nodes: readonly ExecutableNode[],
  ) {}

  @LoggedWorkflow({ tags: (_self, [trigger]: [{ run: number }]) => ({ tenant: `t${trigger.run % TENANTS}`, region: 'eu' }) })
  async run(trigger: { run: number }): Promise<void> {
    currentExecution()?.tag('orderId', `o-${trigger.run}`);
    for (const node of this.nodes) await node.execute(INPUT);
  }
}

/** Persisted steps/s of 64 concurrent 20-step workflows, as the throughput bench counts them. */
async function persistedRate(backend: BackendName, steps: number, chains: readonly { run(trigger: { run: number }): Promise<void> }[]) {
  const database = await openDatabase(backend, 'tags-throughput');
  try {
    const logger = await startLogger(database.store);
    ExecutionLogger.setDefault(logger);
    const start = process.hrtime.bigint();
    await runConcurrently(steps / STEPS_PER_WORKFLOW, CONCURRENCY, (run) => chains[run % chains.length]!.run({ run }));
    await logger.shutdown();
    const ms = elapsedMs(start);
    const found = await countSteps(database.store);
    if (found !== steps) throw new Error(`${found} steps stored, expected ${steps}`);
    const { dropped, tagsDropped } = logger.stats();
    if (dropped > 0 || tagsDropped > 0) throw new Error(`dropped ${dropped} records, ${tagsDropped} tags`);
    return (steps / ms) * 1000;
  } finally {
    await database.dispose();
  }
}

/**
 * The store's own cost of tags, apart from the logger and the machine's noise: the same batches
 * (10 finished 20-step runs each, as the writer coalesces them) written with and without three
 * tags a run, in alternating rounds on one database; the ratio of the median rounds.
 */
async function storeWriteFigures(backend: BackendName, rounds: number): Promise<{ untaggedMs: number[]; taggedMs: number[] }> {
  const database = await openDatabase(backend, 'tags-store');
  const { store } = database;
  try {
    const figures = { untaggedMs: [] as number[], taggedMs: [] as number[] };
    let run = 0;
    const batchOf = (tagged: boolean) => {
      const batch = {
        executions: [] as ReturnType<typeof finishedExecution>['execution'][],
        steps: [] as ReturnType<typeof finishedExecution>['steps'],
      };
      for (let i = 0; i < 10; i++, run++) {
        const rows = finishedExecution(Date.now(), STEPS_PER_WORKFLOW, run % 20);
        batch.executions.push(
          tagged ? { ...rows.execution, tags: { tenant: `t${run % TENANTS}`, region: 'eu', orderId: `o-${run}` } } : rows.execution,
        );
        batch.steps.push(...rows.steps);
      }
      return batch;
    };
    for (let round = 0; round < rounds * 2; round++) {
      const tagged = round % 4 === 1 || round % 4 === 2; // untagged, tagged, tagged, untagged, …
      const batches = Array.from({ length: 20 }, () => batchOf(tagged));
      const start = process.hrtime.bigint();
      for (const batch of batches) await store.writeBatch(batch);
      (tagged ? figures.taggedMs : figures.untaggedMs).push(elapsedMs(start));
    }
    return figures;
  } finally {
    await database.dispose();
  }
}

/** `steps` in 10-step runs over 30 days, each tagged: tenant (1 in 20, independent of the workflow), orderId (its own), env (all). */
async function populate(store: ExecutionStore, steps: number, now: number): Promise<number> {
  const executions = Math.ceil(steps / STORED_STEPS_PER_EXECUTION);
  const spacing = (30 * 86_400_000) / executions;
  const start = process.hrtime.bigint();
  for (let first = 0; first < executions; first += EXECUTIONS_PER_BATCH) {
    const batch = {
      executions: [] as ReturnType<typeof finishedExecution>['execution'][],
      steps: [] as ReturnType<typeof finishedExecution>['steps'],
    };
    for (let i = first; i < Math.min(executions, first + EXECUTIONS_PER_BATCH); i++) {
      const rows = finishedExecution(Math.floor(now - 30 * 86_400_000 + i * spacing), STORED_STEPS_PER_EXECUTION, i % 20);
      // The tenant independent of the workflow (i % 20): each pair holds 1 run in 400.
      batch.executions.push({ ...rows.execution, tags: { tenant: `t${Math.floor(i / 20) % TENANTS}`, orderId: `o-${i}`, env: 'prod' } });
      batch.steps.push(...rows.steps);
    }
    await store.writeBatch(batch);
  }
  return elapsedMs(start) / 1000;
}

const QUERIES: { name: string; tags: Record<string, string>; workflowId?: string }[] = [
  { name: 'tenant (1 run in 20)', tags: { tenant: 't3' } },
  { name: 'orderId (1 run)', tags: { orderId: 'o-4242' } },
  { name: 'env (every run)', tags: { env: 'prod' } },
  { name: 'tenant + env', tags: { tenant: 't3', env: 'prod' } },
  { name: 'tenant, one workflow', tags: { tenant: 't3' }, workflowId: 'bench-workflow-3' },
];

async function queryFigures(backend: BackendName, steps: number): Promise<{ populateSeconds: number; ms: Record<string, number[]> }> {
  const database = await openDatabase(backend, 'tags-query');
  const { store } = database;
  try {
    log(`tags: ${backend}: storing ${formatNumber(steps)} tagged steps in ${STORED_STEPS_PER_EXECUTION}-step runs`);
    const populateSeconds = await populate(store, steps, Date.now());
    await settle(backend, store);
    log(`tags: ${backend}: stored in ${populateSeconds.toFixed(1)} s`);
    const ms: Record<string, number[]> = {};
    for (const query of QUERIES) {
      const page = await store.listExecutions({ tags: query.tags, workflowId: query.workflowId, limit: 50 });
      if (page.items.length === 0) throw new Error(`${query.name}: no execution found`);
      ms[query.name] = [];
    }
    for (let round = 0; round < REPEATS; round++) {
      for (const query of QUERIES) {
        const start = process.hrtime.bigint();
        await store.listExecutions({ tags: query.tags, workflowId: query.workflowId, limit: 50 });
        ms[query.name]!.push(elapsedMs(start));
      }
    }
    return { populateSeconds, ms };
  } finally {
    await database.dispose();
  }
}

/**
 * Tags (#13: 2). Writing: persisted throughput of the throughput bench's workload with tags on
 * (two at the start, one from inside each run) against the same workload untagged, alternated in
 * the same run; target < 5 % slower. Reading: the first page (50) of `listExecutions({ tags })` on
 * 1 000 000 stored steps (BENCH_TAGS_STEPS); target < 20 ms.
 */
export async function runTags(): Promise<BenchOutput> {
  const writeSteps = Math.round(envInt('BENCH_TAGS_WRITE_STEPS', size(100_000, 20_000)) / STEPS_PER_WORKFLOW) * STEPS_PER_WORKFLOW;
  const storedSteps = envInt('BENCH_TAGS_STEPS', size(1_000_000, 100_000));
  const rounds = envInt('BENCH_TAGS_ROUNDS', size(3, 1));
  const plain: ChainWorkflow[] = Array.from({ length: CONCURRENCY }, (_, i) => noopChain(`bench-chain-${i}`, STEPS_PER_WORKFLOW));
  const tagged = plain.map((chain) => new TaggedChainWorkflow(chain.id, chain.nodes));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { writeSteps, storedSteps, rounds };
  const bench = 'tags';
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench, figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    if (process.env.BENCH_TAGS_ONLY === undefined || process.env.BENCH_TAGS_ONLY === 'write') {
      const rates = { untagged: [] as number[], tagged: [] as number[] };
      for (let round = 1; round <= rounds; round++) {
        // Alternating, which goes first too: neither side gets the warmer machine.
        const order = round % 2 === 1 ? (['untagged', 'tagged'] as const) : (['tagged', 'untagged'] as const);
        for (const side of order) rates[side].push(await persistedRate(backend, writeSteps, side === 'tagged' ? tagged : plain));
        log(
          `tags: ${backend} round ${round}/${rounds}: untagged ${rates.untagged.at(-1)!.toFixed(0)}/s, tagged ${rates.tagged.at(-1)!.toFixed(0)}/s`,
        );
      }
      const value = summarize(rates.tagged);
      const baseline = summarize(rates.untagged).median;
      rows.push({
        bench,
        figure: `${backend}: persisted with tags (3 a run)`,
        value,
        unit: 'steps/s',
        baseline: { label: 'same workload untagged', value: baseline, unit: 'steps/s' },
        ratio: value.median / baseline,
        verdict: atLeast(value.median / baseline, 0.95, '≥ 95% of untagged'),
        note: `${formatNumber(writeSteps)} steps, ${CONCURRENCY} concurrent 20-step runs, ${rounds} rounds alternated`,
      });
      details[`${backend}:write`] = rates;
    }
    if (process.env.BENCH_TAGS_ONLY === undefined || process.env.BENCH_TAGS_ONLY === 'store') {
      const figures = await storeWriteFigures(backend, envInt('BENCH_TAGS_STORE_ROUNDS', size(30, 6)));
      details[`${backend}:store`] = figures;
      const value = summarize(figures.taggedMs);
      const baseline = summarize(figures.untaggedMs).median;
      rows.push({
        bench,
        figure: `${backend}: store.writeBatch with tags (3 a run), 20 batches of 10 × 20-step runs`,
        value,
        unit: 'ms',
        baseline: { label: 'same batches untagged', value: baseline, unit: 'ms' },
        ratio: value.median / baseline,
        verdict: atMost(value.median / baseline, 1.05, '≤ 1.05× untagged'),
        note: 'rounds alternated on one database',
      });
    }
    if (process.env.BENCH_TAGS_ONLY === undefined || process.env.BENCH_TAGS_ONLY === 'query') {
      const figures = await queryFigures(backend, storedSteps);
      details[`${backend}:query`] = figures;
      for (const query of QUERIES) {
        const value = summarize(figures.ms[query.name]!);
        rows.push({
          bench,
          figure: `${backend}: listExecutions by tag, first page: ${query.name}`,
          value,
          unit: 'ms',
          verdict: atMost(value.median, 20, '< 20 ms'),
          note: `${formatNumber(storedSteps)} steps stored (${formatNumber(storedSteps / STORED_STEPS_PER_EXECUTION)} runs); stored in ${figures.populateSeconds.toFixed(0)} s`,
        });
      }
    }
  }
  return { rows, details };
}
