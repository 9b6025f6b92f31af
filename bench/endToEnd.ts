import { ExecutionLogger } from '../src';
import { FunctionNode, WorkflowRunner, type Connection, type Workflow } from '../src/runner';
import { atMost, elapsedMs, mainThreadCpuMs, summarize, type BenchOutput } from './stats';
import { busyWork, envInt, log, openDatabase, OUTPUT, runConcurrently, size, startLogger } from './support';

const CONCURRENCY = 64;
const BUSY_MICROSECONDS = 50;
const BRANCHES = 6;
const DEPTH = 3;
/** Issue #16, target 3: what recording may add to the workflow's own thread, per step. */
const CPU_PER_STEP_LIMIT = 5;

/**
 * A 20-node DAG: a root fans out to 6 branches of 3 nodes each, which a join node gathers
 * (1 + 6×3 + 1). Every node spins ~50 µs and outputs the ~200-byte payload.
 */
export function benchWorkflow(): Workflow {
  const work = async () => {
    busyWork(BUSY_MICROSECONDS);
    return { out: OUTPUT };
  };
  const nodes = [new FunctionNode('root', 'Root', work)];
  const connections: Connection[] = [];
  const link = (from: string, to: string, input: string) =>
    connections.push({ from: { node: from, output: 'out' }, to: { node: to, input } });
  for (let branch = 0; branch < BRANCHES; branch++) {
    let upstream = 'root';
    for (let level = 0; level < DEPTH; level++) {
      const id = `b${branch}-${level}`;
      nodes.push(new FunctionNode(id, `Branch ${branch} step ${level}`, work));
      link(upstream, id, 'in');
      upstream = id;
    }
  }
  nodes.push(new FunctionNode('join', 'Join', work));
  for (let branch = 0; branch < BRANCHES; branch++) link(`b${branch}-${DEPTH - 1}`, 'join', `in${branch}`);
  return { id: 'bench-dag', name: 'Bench DAG (20 nodes)', nodes, connections };
}

/**
 * 3. End-to-end: workflows/s of the WorkflowRunner on 20-node DAGs, 64 runs in flight, with
 * logging on (SQLite, default settings, 2×~200 B captured per step) and off (the same logger,
 * disabled). On and off alternate round by round; the "on" time includes the final flush.
 */
export async function runEndToEnd(): Promise<BenchOutput> {
  const workflows = envInt('BENCH_E2E_WORKFLOWS', size(4_000, 400));
  const rounds = envInt('BENCH_E2E_ROUNDS', size(3, 1));
  const workflow = benchWorkflow();
  if (workflow.nodes.length !== 20) throw new Error(`bench workflow has ${workflow.nodes.length} nodes, not 20`);
  const database = await openDatabase('sqlite3', 'e2e');
  const on = await startLogger(database.store);
  const off = await startLogger(database.store, { enabled: false });
  const runners = { on: new WorkflowRunner({ logger: on }), off: new WorkflowRunner({ logger: off }) };
  ExecutionLogger.setDefault(null);

  const rates = { on: [] as number[], off: [] as number[] };
  // Main-thread CPU per workflow: the share of the cost the workflow's own thread pays, which
  // machine load does not inflate the way it does wall-clock rates.
  const cpuPerWorkflow = { on: [] as number[], off: [] as number[] };
  let loggerStats: ReturnType<ExecutionLogger['stats']>;
  let stepsRecorded: number;
  try {
    const measure = async (mode: 'on' | 'off', count: number): Promise<number> => {
      const runner = runners[mode];
      const start = process.hrtime.bigint();
      const cpuStart = mainThreadCpuMs();
      await runConcurrently(count, CONCURRENCY, (run) => runner.run(workflow, { type: 'test', data: { run } }));
      if (mode === 'on') await on.flush();
      lastCpuPerWorkflow = ((mainThreadCpuMs() - cpuStart) * 1000) / count;
      return (count / elapsedMs(start)) * 1000;
    };
    let lastCpuPerWorkflow = Number.NaN;

    // For profiling one side: BENCH_E2E_MODES=on (or off).
    const modes = (process.env.BENCH_E2E_MODES?.split(',') ?? ['off', 'on']).filter(
      (mode): mode is 'on' | 'off' => mode === 'on' || mode === 'off',
    );
    log(`e2e: warm-up`);
    for (const mode of modes) await measure(mode, Math.ceil(workflows / 10));
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so a slow patch of a shared machine does not always hit the same one.
      for (const mode of round % 2 === 1 ? modes : [...modes].reverse()) {
        rates[mode].push(await measure(mode, workflows));
        cpuPerWorkflow[mode].push(lastCpuPerWorkflow);
      }
      const last = (list: number[]) => (list.length ? `${list.at(-1)!.toFixed(0)} wf/s` : '—');
      log(`e2e: round ${round}/${rounds}: off ${last(rates.off)}, on ${last(rates.on)}`);
    }
    loggerStats = on.stats();
    const [row] = await database.store.dataSource.query("SELECT COUNT(*) AS n FROM execution_steps WHERE status = 'success'");
    stepsRecorded = Number(row.n);
  } finally {
    await Promise.all([on.shutdown(), off.shutdown()]);
    await database.dispose();
  }

  const cpuOn = summarize(cpuPerWorkflow.on);
  const cpuOff = summarize(cpuPerWorkflow.off);
  const onSummary = summarize(rates.on);
  const offSummary = summarize(rates.off);
  const cost = 1 - onSummary.median / offSummary.median;
  const cpuPerStep = (cpuOn.median - cpuOff.median) / workflow.nodes.length;
  const bench = 'end-to-end';
  return {
    rows: [
      {
        bench,
        figure: 'runner, logging off',
        value: offSummary,
        unit: 'wf/s',
        note: `20-node DAG, ${CONCURRENCY} concurrent, ~${BUSY_MICROSECONDS} µs/node`,
      },
      {
        bench,
        figure: 'runner, logging on',
        value: onSummary,
        unit: 'wf/s',
        baseline: { label: 'logging off', value: offSummary.median, unit: 'wf/s' },
        ratio: onSummary.median / offSummary.median,
        verdict: atMost(cost, 0.1, 'cost ≤ 10% (ratio ≥ 0.90×)'),
        note: `throughput cost ${(cost * 100).toFixed(1)}%`,
        goal: '3',
      },
      {
        bench,
        figure: 'main-thread CPU per workflow, logging on',
        value: cpuOn,
        unit: 'µs',
        baseline: { label: 'logging off', value: cpuOff.median, unit: 'µs' },
        ratio: cpuOn.median / cpuOff.median,
        verdict: atMost(cpuPerStep, CPU_PER_STEP_LIMIT, `≤ ${CPU_PER_STEP_LIMIT} µs of workflow-thread CPU per step`),
        note: `${cpuPerStep.toFixed(1)} µs per step on the workflow's own thread (10 ms ticks)`,
        goal: '3 (CPU)',
      },
    ],
    details: { workflows, rounds, rates, cpuPerWorkflow, loggerStats, stepsRecorded },
  };
}
