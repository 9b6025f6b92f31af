import { ExecutionLogger, ExecutionStep, uuidv7, WorkflowExecution, type ExecutionStore } from '../src';
import type { RawRequest } from './rawChild';
import { insertFinishedExecutions, openRawConnection } from './rawDriver';
import { atLeast, elapsedMs, summarize, type BenchOutput, type ResultRow } from './stats';
import {
  countSteps,
  envInt,
  forkForResult,
  INPUT,
  log,
  noopChain,
  openDatabase,
  PlainNoopNode,
  runConcurrently,
  selectedBackends,
  size,
  startLogger,
  unavailable,
  type BackendName,
  type ChainWorkflow,
} from './support';

const STEPS_PER_WORKFLOW = 20;
const CONCURRENCY = 64;

/** Steps per second from the first step until all are committed (logger.shutdown() resolved). */
async function flowtrailRate(backend: BackendName, steps: number, chains: ChainWorkflow[]): Promise<number> {
  const database = await openDatabase(backend, 'throughput');
  try {
    const logger = await startLogger(database.store);
    ExecutionLogger.setDefault(logger);
    const workflows = steps / STEPS_PER_WORKFLOW;
    const start = process.hrtime.bigint();
    await runConcurrently(workflows, CONCURRENCY, (run) => chains[run % chains.length]!.run({ run }));
    await logger.shutdown();
    const ms = elapsedMs(start);
    await expectSteps(database.store, steps, 'flowtrail');
    const { dropped } = logger.stats();
    if (dropped > 0) throw new Error(`flowtrail dropped ${dropped} records`);
    return (steps / ms) * 1000;
  } finally {
    await database.dispose();
  }
}

/**
 * The driver alone: the same rows, multi-row parameterized INSERTs, big transactions, no ORM.
 * Measured in a process of its own (see rawChild.ts), or here, beside TypeORM, when `inProcess`.
 */
async function rawRate(backend: BackendName, steps: number, inProcess = false): Promise<number> {
  const database = await openDatabase(backend, 'raw');
  try {
    const request: RawRequest = {
      backend,
      location: database.location,
      executions: steps / STEPS_PER_WORKFLOW,
      stepsPerExecution: STEPS_PER_WORKFLOW,
    };
    let ms: number;
    if (inProcess) {
      const connection = await openRawConnection(backend, database.location);
      try {
        ms = await insertFinishedExecutions(connection, backend, request.executions, request.stepsPerExecution);
      } finally {
        await connection.close();
      }
    } else {
      ms = (await forkForResult<{ ms: number }>('rawChild.js', { args: [JSON.stringify(request)] })).ms;
    }
    await expectSteps(database.store, steps, 'raw');
    return (steps / ms) * 1000;
  } finally {
    await database.dispose();
  }
}

/**
 * The original task's design: every start and every completion awaits its own
 * `repository.save()` (which, the id being set, first SELECTs the row, then INSERTs or UPDATEs),
 * with the same 64 workflows in flight as the logger gets.
 */
async function naiveRate(backend: BackendName, steps: number): Promise<number> {
  const database = await openDatabase(backend, 'naive');
  try {
    const executions = database.store.dataSource.getRepository(WorkflowExecution);
    const stepRepository = database.store.dataSource.getRepository(ExecutionStep);
    const node = new PlainNoopNode('naive-node');
    const start = process.hrtime.bigint();
    await runConcurrently(steps / STEPS_PER_WORKFLOW, CONCURRENCY, async (run) => {
      const startedAt = Date.now();
      const execution = executions.create({
        id: uuidv7(startedAt),
        workflowId: `bench-chain-${run % CONCURRENCY}`,
        workflowName: 'Bench chain',
        triggerType: 'manual',
        triggerData: { run },
        status: 'running',
        startedAt,
      });
      await executions.save(execution);
      for (let index = 0; index < STEPS_PER_WORKFLOW; index++) {
        const stepStartedAt = Date.now();
        const step = stepRepository.create({
          id: uuidv7(stepStartedAt),
          executionId: execution.id,
          nodeId: `${execution.workflowId}-node-${index}`,
          nodeType: 'noop',
          nodeName: null,
          stepIndex: index,
          startedAt: stepStartedAt,
          status: 'running',
          inputData: INPUT,
        });
        await stepRepository.save(step);
        step.outputData = await node.execute(INPUT);
        step.completedAt = Date.now();
        step.durationMs = step.completedAt - stepStartedAt;
        step.status = 'success';
        await stepRepository.save(step);
      }
      execution.completedAt = Date.now();
      execution.durationMs = execution.completedAt - startedAt;
      execution.status = 'success';
      await executions.save(execution);
    });
    const ms = elapsedMs(start);
    await expectSteps(database.store, steps, 'naive');
    return (steps / ms) * 1000;
  } finally {
    await database.dispose();
  }
}

async function expectSteps(store: ExecutionStore, expected: number, what: string): Promise<void> {
  const found = await countSteps(store);
  if (found !== expected) throw new Error(`${what}: ${found} steps in the database, expected ${expected}`);
}

/** Issue #16, target 4: persisted ≥ 75% of the same-schema raw driver (MariaDB once supported, so not checked yet). */
const TARGETS: Partial<Record<BackendName, { raw: number; naive?: number }>> = {
  sqlite3: { raw: 0.75, naive: 20 },
  'better-sqlite3': { raw: 0.75 },
  postgres: { raw: 0.75 },
};

/**
 * 2. Persisted throughput: steps/s that reach the database (64 concurrent 20-step workflows,
 * 2×200 B captured per step, counted once `shutdown()` has committed everything), against the
 * driver's raw ceiling and the naive one-save-per-event design, on each backend available.
 */
export async function runThroughput(): Promise<BenchOutput> {
  const steps = roundTo(envInt('BENCH_THROUGHPUT_STEPS', size(200_000, 20_000)), STEPS_PER_WORKFLOW);
  const naiveSteps = roundTo(envInt('BENCH_NAIVE_STEPS', size(5_000, 1_000)), STEPS_PER_WORKFLOW);
  const rounds = envInt('BENCH_THROUGHPUT_ROUNDS', size(3, 1));
  const chains = Array.from({ length: CONCURRENCY }, (_, i) => noopChain(`bench-chain-${i}`, STEPS_PER_WORKFLOW));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { steps, naiveSteps, rounds, concurrency: CONCURRENCY };
  const bench = 'throughput';

  // For profiling: BENCH_BACKENDS=sqlite3 and BENCH_THROUGHPUT_ONLY=flowtrail run just those parts.
  const only = process.env.BENCH_THROUGHPUT_ONLY?.split(',');
  const wanted = (part: string) => !only || only.includes(part);
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      log(`throughput: ${backend} skipped (${missing})`);
      rows.push({ bench, figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      details[backend] = { skipped: missing };
      continue;
    }
    const rates = { flowtrail: [] as number[], raw: [] as number[], naive: [] as number[], rawBesideTypeorm: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      if (wanted('raw')) rates.raw.push(await rawRate(backend, steps));
      // sqlite3 only: what TypeORM's process-wide sqlite3.verbose() costs the same raw writer.
      if (wanted('raw') && backend === 'sqlite3') rates.rawBesideTypeorm.push(await rawRate(backend, steps, true));
      if (wanted('flowtrail')) rates.flowtrail.push(await flowtrailRate(backend, steps, chains));
      if (wanted('naive')) rates.naive.push(await naiveRate(backend, naiveSteps));
      const last = (list: number[]) => (list.length ? `${list.at(-1)!.toFixed(0)}/s` : '—');
      log(
        `throughput: ${backend} round ${round}/${rounds}: flowtrail ${last(rates.flowtrail)}, raw ${last(rates.raw)}, naive ${last(rates.naive)}`,
      );
    }
    const flowtrail = summarize(rates.flowtrail);
    const raw = summarize(rates.raw);
    const naive = summarize(rates.naive);
    const target = TARGETS[backend];
    const ofRaw = flowtrail.median / raw.median;
    const overNaive = flowtrail.median / naive.median;
    rows.push(
      {
        bench,
        figure: `${backend}: flowtrail persisted`,
        value: flowtrail,
        unit: 'steps/s',
        baseline: { label: 'raw driver', value: raw.median, unit: 'steps/s' },
        ratio: ofRaw,
        verdict: target ? atLeast(ofRaw, target.raw, `≥ ${target.raw * 100}% of raw`) : undefined,
        note: `${steps.toLocaleString('en-US')} steps`,
        goal: target ? `4 (${backend})` : undefined,
      },
      {
        bench,
        figure: `${backend}: flowtrail vs naive save()`,
        value: flowtrail,
        unit: 'steps/s',
        baseline: { label: 'naive', value: naive.median, unit: 'steps/s' },
        ratio: overNaive,
        verdict: target?.naive ? atLeast(overNaive, target.naive, `≥ ${target.naive}× naive`) : undefined,
        note: `naive: ${naiveSteps.toLocaleString('en-US')} steps, ${CONCURRENCY} concurrent; ${steps.toLocaleString('en-US')} would take ${(steps / naive.median).toFixed(0)} s`,
      },
      { bench, figure: `${backend}: raw driver ceiling`, value: raw, unit: 'steps/s', note: 'own process' },
      { bench, figure: `${backend}: naive save() per event`, value: naive, unit: 'steps/s' },
    );
    if (rates.rawBesideTypeorm.length) {
      const beside = summarize(rates.rawBesideTypeorm);
      rows.push({
        bench,
        figure: `${backend}: raw driver with TypeORM's sqlite3.verbose() on`,
        value: beside,
        unit: 'steps/s',
        baseline: { label: 'raw driver', value: raw.median, unit: 'steps/s' },
        ratio: beside.median / raw.median,
        note: 'same writer, in this process: every call util.inspect()s its SQL and parameters',
      });
    }
    details[backend] = rates;
  }
  return { rows, details };
}

function roundTo(value: number, multiple: number): number {
  return Math.max(multiple, Math.round(value / multiple) * multiple);
}
