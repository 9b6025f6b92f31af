import { ExecutionLogger } from '../src';
import type { RawRequest, RawResult } from './rawChild';
import { summarize, type BenchOutput, type ResultRow } from './stats';
import {
  countSteps,
  envInt,
  forkForResult,
  log,
  noopChain,
  openDatabase,
  runConcurrently,
  selectedBackends,
  size,
  startLogger,
  unavailable,
  type BackendName,
  type Database,
} from './support';

const STEPS_PER_WORKFLOW = 20;
const CONCURRENCY = 64;

const EXECUTIONS = 'workflow_executions';
const STEPS = 'execution_steps';

/** The secondary indexes of the two tables written per step, by table (primary keys are not droppable). */
const INDEXES: Record<string, string> = {
  idx_steps_execution_index: STEPS,
  idx_steps_node: STEPS,
  idx_steps_running: STEPS,
  idx_executions_workflow: EXECUTIONS,
  idx_executions_status: EXECUTIONS,
  idx_executions_started: EXECUTIONS,
  idx_executions_workflow_started: EXECUTIONS,
  idx_executions_parent: EXECUTIONS,
  idx_executions_running: EXECUTIONS,
  idx_executions_trace: EXECUTIONS,
  idx_executions_forked_from: EXECUTIONS,
};

/** What is measured: the schema as migrated, one index less, and no secondary index at all (the floor). */
function variants(): { name: string; drop: string[] }[] {
  const chosen = process.env.BENCH_INDEX_VARIANTS?.split(',').map((name) => name.trim());
  const all = [
    { name: 'all indexes', drop: [] as string[] },
    ...['idx_steps_node', 'idx_steps_execution_index', 'idx_executions_workflow', 'idx_executions_status', 'idx_executions_parent'].map(
      (index) => ({ name: `without ${index}`, drop: [index] }),
    ),
    { name: 'without the executions’ secondary indexes', drop: Object.keys(INDEXES).filter((index) => INDEXES[index] === EXECUTIONS) },
    { name: 'no secondary index', drop: Object.keys(INDEXES) },
  ];
  return chosen ? all.filter((variant, i) => i === 0 || chosen.some((name) => variant.name.includes(name))) : all;
}

async function dropIndexes(database: Database, indexes: readonly string[]): Promise<void> {
  for (const index of indexes) {
    const table = INDEXES[index]!;
    if (database.backend === 'postgres') await database.store.dataSource.query(`DROP INDEX IF EXISTS "${database.location}"."${index}"`);
    else if (database.backend === 'mysql') await database.store.dataSource.query(`DROP INDEX ${index} ON ${table}`);
    else await database.store.dataSource.query(`DROP INDEX IF EXISTS "${index}"`);
  }
}

/** The raw driver's writes (rawChild.ts, its own process): ms of wall time and of the child's CPU. */
async function rawWrite(backend: BackendName, drop: readonly string[], steps: number): Promise<RawResult> {
  const database = await openDatabase(backend, 'indexcost');
  try {
    await dropIndexes(database, drop);
    const request: RawRequest = {
      backend,
      location: database.location,
      executions: steps / STEPS_PER_WORKFLOW,
      stepsPerExecution: STEPS_PER_WORKFLOW,
    };
    const result = await forkForResult<RawResult>('rawChild.js', { args: [JSON.stringify(request)] });
    if ((await countSteps(database.store)) !== steps) throw new Error('raw: steps missing');
    return result;
  } finally {
    await database.dispose();
  }
}

/** The throughput bench's flowtrail workload (64 concurrent 20-step runs) on the same schema: ms of wall time. */
async function flowtrailWrite(backend: BackendName, drop: readonly string[], steps: number): Promise<number> {
  const database = await openDatabase(backend, 'indexcost');
  try {
    await dropIndexes(database, drop);
    const logger = await startLogger(database.store);
    ExecutionLogger.setDefault(logger);
    const chains = Array.from({ length: CONCURRENCY }, (_, i) => noopChain(`bench-chain-${i}`, STEPS_PER_WORKFLOW));
    const start = process.hrtime.bigint();
    await runConcurrently(steps / STEPS_PER_WORKFLOW, CONCURRENCY, (run) => chains[run % CONCURRENCY]!.run({ run }));
    await logger.shutdown();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if ((await countSteps(database.store)) !== steps) throw new Error('flowtrail: steps missing');
    return ms;
  } finally {
    await database.dispose();
  }
}

/**
 * Issue #16, target 4: what each index costs the writes. The raw driver's multi-row INSERTs
 * (as the throughput bench's ceiling) into a fresh database with every index, and with one
 * dropped, the variants alternated round by round; `BENCH_INDEX_WRITER=flowtrail` writes with
 * the logger instead. Not part of a full run: `npm run bench -- index-cost`.
 */
export async function runIndexCost(): Promise<BenchOutput> {
  const steps = Math.round(envInt('BENCH_INDEX_STEPS', size(100_000, 20_000)) / STEPS_PER_WORKFLOW) * STEPS_PER_WORKFLOW;
  const rounds = envInt('BENCH_INDEX_ROUNDS', size(3, 1));
  const writer = process.env.BENCH_INDEX_WRITER === 'flowtrail' ? 'flowtrail' : 'raw';
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { steps, rounds, writer };
  const bench = 'index-cost';
  for (const backend of selectedBackends(['sqlite3', 'postgres'])) {
    const missing = await unavailable(backend);
    if (missing) {
      log(`index-cost: ${backend} skipped (${missing})`);
      continue;
    }
    const list = variants();
    const wall = list.map(() => [] as number[]);
    const cpu = list.map(() => [] as number[]);
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order too, so that a drift in the machine's load does not favour one end of the list.
      const order = round % 2 === 1 ? list.map((_, i) => i) : list.map((_, i) => list.length - 1 - i);
      for (const i of order) {
        if (writer === 'raw') {
          const result = await rawWrite(backend, list[i]!.drop, steps);
          wall[i]!.push(result.ms / steps);
          // On PostgreSQL the work an index adds is the server's: its process's CPU is the figure.
          cpu[i]!.push((result.serverCpuMs ?? result.cpuMs) / steps);
        } else wall[i]!.push((await flowtrailWrite(backend, list[i]!.drop, steps)) / steps);
        log(`index-cost: ${backend} round ${round}/${rounds}: ${list[i]!.name}: ${((wall[i]!.at(-1)! * 1000) | 0).toString()} µs/step`);
      }
    }
    const base = summarize(wall[0]!).median;
    const baseCpu = summarize(cpu[0]!).median;
    list.forEach((variant, i) => {
      const time = summarize(wall[i]!.map((ms) => ms * 1000));
      const saved = 1 - time.median / (base * 1000);
      const cpuNote =
        cpu[i]!.length > 0
          ? `; ${backend === 'postgres' ? 'server' : 'writer'} CPU ${(summarize(cpu[i]!).median * 1000).toFixed(1)} µs/step (${((1 - summarize(cpu[i]!).median / baseCpu) * 100).toFixed(1)} % less)`
          : '';
      rows.push({
        bench,
        figure: `${backend}, ${writer}: ${variant.name}`,
        value: time,
        unit: 'µs/step',
        baseline: i === 0 ? undefined : { label: 'all indexes', value: base * 1000, unit: 'µs/step' },
        ratio: i === 0 ? undefined : time.median / (base * 1000),
        note: i === 0 ? `${steps.toLocaleString('en-US')} steps` : `${(saved * 100).toFixed(1)} % of the write time${cpuNote}`,
      });
    });
    details[backend] = Object.fromEntries(list.map((variant, i) => [variant.name, { wallMsPerStep: wall[i], cpuMsPerStep: cpu[i] }]));
  }
  return { rows, details };
}
