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

/**
 * Indexes a later migration dropped (on some dialect or all), as the migration that created them
 * defined them (src/migrations/1764201600000-CreateExecutionHistory.ts): what "with <index>" recreates.
 */
const FORMER: Record<string, { table: string; columns: string }> = {
  idx_steps_node: { table: STEPS, columns: 'node_id' },
  idx_executions_workflow: { table: EXECUTIONS, columns: 'workflow_id' },
};

/** Measured one at a time: dropped where the migrated schema has it, created where it has not. */
const ONE_AT_A_TIME = [
  'idx_steps_node',
  'idx_steps_execution_index',
  'idx_executions_workflow',
  'idx_executions_status',
  'idx_executions_parent',
];

interface Variant {
  name: string;
  drop: string[];
  create: string[];
}

/**
 * The secondary indexes of the two tables written per step, name → table, read from the database
 * itself so that the variants follow the schema as migrated on this dialect. Indexes behind a
 * PRIMARY KEY or UNIQUE constraint are left out: DROP INDEX cannot drop them.
 */
async function indexesOf(database: Database): Promise<Map<string, string>> {
  let rows: { name: string; table: string }[];
  if (database.backend === 'postgres') {
    rows = await database.store.dataSource.query(
      `SELECT c.relname AS name, t.relname AS "table"
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname IN ($2, $3)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))`,
      [database.location, EXECUTIONS, STEPS],
    );
  } else if (database.backend === 'sqlite3' || database.backend === 'better-sqlite3') {
    // sql IS NULL: SQLite's automatic indexes of PRIMARY KEY and UNIQUE constraints.
    rows = await database.store.dataSource.query(
      'SELECT name, tbl_name AS "table" FROM sqlite_master WHERE type = \'index\' AND sql IS NOT NULL AND tbl_name IN (?, ?)',
      [EXECUTIONS, STEPS],
    );
  } else throw new Error(`index-cost: ${database.backend} is not measured`);
  return new Map(rows.sort((a, b) => a.name.localeCompare(b.name)).map((row) => [row.name, row.table]));
}

/** What is measured against the schema as migrated (`present`): one index less or more, and no secondary index at all (the floor). */
function variants(backend: BackendName, present: ReadonlyMap<string, string>): Variant[] {
  const chosen = process.env.BENCH_INDEX_VARIANTS?.split(',').map((name) => name.trim());
  const single = ONE_AT_A_TIME.flatMap((index): Variant[] => {
    if (present.has(index)) return [{ name: `without ${index}`, drop: [index], create: [] }];
    if (FORMER[index]) return [{ name: `with ${index}`, drop: [], create: [index] }];
    log(`index-cost: ${backend}: ${index} is neither in the schema nor known to recreate: not measured`);
    return [];
  });
  const all: Variant[] = [
    { name: 'current schema', drop: [], create: [] },
    ...single,
    {
      name: 'without the executions’ secondary indexes',
      drop: [...present].filter(([, table]) => table === EXECUTIONS).map(([index]) => index),
      create: [],
    },
    { name: 'no secondary index', drop: [...present.keys()], create: [] },
  ];
  // A variant that changes no index would measure nothing.
  const changing = all.filter((variant, i) => i === 0 || variant.drop.length + variant.create.length > 0);
  return chosen ? changing.filter((variant, i) => i === 0 || chosen.some((name) => variant.name.includes(name))) : changing;
}

/**
 * Turns a fresh database's schema into the variant's, then checks that its indexes are the
 * migrated set (`present`) less the dropped plus the created: a variant that changed nothing
 * would measure nothing. Returns the variant's indexes.
 */
async function applyVariant(database: Database, present: ReadonlyMap<string, string>, variant: Variant): Promise<string[]> {
  const postgres = database.backend === 'postgres';
  const qualified = (name: string) => (postgres ? `"${database.location}"."${name}"` : `"${name}"`);
  for (const index of variant.drop) await database.store.dataSource.query(`DROP INDEX ${qualified(index)}`);
  for (const index of variant.create) {
    const { table, columns } = FORMER[index]!;
    await database.store.dataSource.query(`CREATE INDEX "${index}" ON ${qualified(table)} (${columns})`);
  }
  const expected = [...present.keys(), ...variant.create].filter((index) => !variant.drop.includes(index)).sort();
  const actual = [...(await indexesOf(database)).keys()].sort();
  if (expected.join() !== actual.join())
    throw new Error(`index-cost: ${variant.name}: indexes ${actual.join(', ')}, expected ${expected.join(', ')}`);
  return actual;
}

/** The raw driver's writes (rawChild.ts, its own process): ms of wall time and of CPU, and the variant's indexes. */
async function rawWrite(
  backend: BackendName,
  present: ReadonlyMap<string, string>,
  variant: Variant,
  steps: number,
): Promise<RawResult & { indexes: string[] }> {
  const database = await openDatabase(backend, 'indexcost');
  try {
    const indexes = await applyVariant(database, present, variant);
    const request: RawRequest = {
      backend,
      location: database.location,
      executions: steps / STEPS_PER_WORKFLOW,
      stepsPerExecution: STEPS_PER_WORKFLOW,
    };
    const result = await forkForResult<RawResult>('rawChild.js', { args: [JSON.stringify(request)] });
    if ((await countSteps(database.store)) !== steps) throw new Error('raw: steps missing');
    return { ...result, indexes };
  } finally {
    await database.dispose();
  }
}

/** The throughput bench's flowtrail workload (64 concurrent 20-step runs) on the same schema: ms of wall time, and the variant's indexes. */
async function flowtrailWrite(
  backend: BackendName,
  present: ReadonlyMap<string, string>,
  variant: Variant,
  steps: number,
): Promise<{ ms: number; indexes: string[] }> {
  const database = await openDatabase(backend, 'indexcost');
  try {
    const indexes = await applyVariant(database, present, variant);
    const logger = await startLogger(database.store);
    ExecutionLogger.setDefault(logger);
    const chains = Array.from({ length: CONCURRENCY }, (_, i) => noopChain(`bench-chain-${i}`, STEPS_PER_WORKFLOW));
    const start = process.hrtime.bigint();
    await runConcurrently(steps / STEPS_PER_WORKFLOW, CONCURRENCY, (run) => chains[run % CONCURRENCY]!.run({ run }));
    await logger.shutdown();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if ((await countSteps(database.store)) !== steps) throw new Error('flowtrail: steps missing');
    return { ms, indexes };
  } finally {
    await database.dispose();
  }
}

/** The secondary indexes of a fresh database as migrated on this backend. */
async function migratedIndexes(backend: BackendName): Promise<Map<string, string>> {
  const database = await openDatabase(backend, 'indexcost');
  try {
    return await indexesOf(database);
  } finally {
    await database.dispose();
  }
}

const percent = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${(Math.abs(ratio - 1) * 100).toFixed(1)} %`;

/**
 * Issue #16, target 4: what each index costs the writes. The raw driver's multi-row INSERTs
 * (as the throughput bench's ceiling) into a fresh database with the schema as migrated, and
 * with one index dropped (or, one a migration dropped, recreated), the variants alternated
 * round by round; `BENCH_INDEX_WRITER=flowtrail` writes with the logger instead. Not part of a
 * full run: `npm run bench -- index-cost`.
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
    const present = await migratedIndexes(backend);
    const list = variants(backend, present);
    const indexes = list.map(() => [] as string[]);
    const wall = list.map(() => [] as number[]);
    const writerCpu = list.map(() => [] as number[]);
    const serverCpu = list.map(() => [] as number[]);
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order too, so that a drift in the machine's load does not favour one end of the list.
      const order = round % 2 === 1 ? list.map((_, i) => i) : list.map((_, i) => list.length - 1 - i);
      for (const i of order) {
        if (writer === 'raw') {
          const result = await rawWrite(backend, present, list[i]!, steps);
          indexes[i] = result.indexes;
          wall[i]!.push(result.ms / steps);
          writerCpu[i]!.push(result.cpuMs / steps);
          if (result.serverCpuMs !== undefined) serverCpu[i]!.push(result.serverCpuMs / steps);
        } else {
          const result = await flowtrailWrite(backend, present, list[i]!, steps);
          indexes[i] = result.indexes;
          wall[i]!.push(result.ms / steps);
        }
        log(
          `index-cost: ${backend} round ${round}/${rounds}: ${list[i]!.name} (${indexes[i]!.length} indexes): ${((wall[i]!.at(-1)! * 1000) | 0).toString()} µs/step`,
        );
      }
    }
    list.forEach((variant, i) => log(`index-cost: ${backend}: ${variant.name}: ${indexes[i]!.join(', ') || 'none'}`));
    // On PostgreSQL the work an index adds is the server's: its backend's CPU is the figure, when /proc can give it for every round.
    const serverKnown = backend === 'postgres' && serverCpu.every((cpu) => cpu.length === rounds);
    const cpu = serverKnown ? serverCpu : writerCpu;
    const cpuLabel = serverKnown ? 'server CPU' : backend === 'postgres' ? 'writer CPU (server’s unavailable)' : 'writer CPU';
    const base = summarize(wall[0]!).median;
    const baseCpu = cpu[0]!.length > 0 ? summarize(cpu[0]!).median : NaN;
    list.forEach((variant, i) => {
      const time = summarize(wall[i]!.map((ms) => ms * 1000));
      const cpuMedian = cpu[i]!.length > 0 ? summarize(cpu[i]!).median : NaN;
      const cpuNote = Number.isNaN(cpuMedian)
        ? ''
        : `; ${cpuLabel} ${(cpuMedian * 1000).toFixed(1)} µs/step${i === 0 ? '' : ` (${percent(cpuMedian / baseCpu)})`}`;
      rows.push({
        bench,
        figure: `${backend}, ${writer}: ${variant.name}`,
        value: time,
        unit: 'µs/step',
        baseline: i === 0 ? undefined : { label: 'current schema', value: base * 1000, unit: 'µs/step' },
        ratio: i === 0 ? undefined : time.median / (base * 1000),
        note: `${indexes[i]!.length} indexes; ${i === 0 ? `${steps.toLocaleString('en-US')} steps` : `write time ${percent(time.median / (base * 1000))}`}${cpuNote}`,
      });
    });
    details[backend] = {
      cpu: cpuLabel,
      variants: Object.fromEntries(
        list.map((variant, i) => [
          variant.name,
          { indexes: indexes[i], wallMsPerStep: wall[i], writerCpuMsPerStep: writerCpu[i], serverCpuMsPerStep: serverCpu[i] },
        ]),
      ),
    };
  }
  return { rows, details };
}
