import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCompare } from './compare';
import { runDbos } from './dbos';
import { runEndToEnd } from './endToEnd';
import { runFollow } from './follow';
import { runHotpath } from './hotpath';
import { runIndexCost } from './indexCost';
import { runMemory } from './memory';
import { runOutage } from './outage';
import { runRetention } from './retention';
import { runSearch } from './search';
import { runStatsOverTime } from './statsOverTime';
import { machine, markdownTable, summarize, targetSummary, type BenchOutput, type ResultRow } from './stats';
import { isolateFromEnvironment, log, loggerErrors, QUICK } from './support';
import { runStorage } from './storage';
import { runTags } from './tags';
import { runThroughput } from './throughput';
import { runViewer } from './viewer';

const BENCHES: Record<string, () => Promise<BenchOutput>> = {
  hotpath: runHotpath,
  throughput: runThroughput,
  e2e: runEndToEnd,
  memory: runMemory,
  retention: runRetention,
  outage: runOutage,
  storage: runStorage,
  compare: runCompare,
  search: runSearch,
  follow: runFollow,
  tags: runTags,
  dbos: runDbos,
  viewer: runViewer,
  'stats-over-time': runStatsOverTime,
  'index-cost': runIndexCost,
};
/** Benches run only when named: diagnostics, not figures of their own. */
const ON_REQUEST = new Set(['index-cost']);
const ALIASES: Record<string, string> = { endToEnd: 'e2e', 'end-to-end': 'e2e' };

/**
 * `node run.js [hotpath] [throughput] [e2e] [memory] [retention] [outage] [storage] [compare] [search] [follow] [tags] [stats-over-time] [dbos] [viewer] [index-cost]` — all but index-cost when none is named.
 * `BENCH_QUICK=1` shrinks every size for a smoke run. Prints a markdown table of the figures,
 * their baselines, ratios and targets, and writes the results to bench/results/last-run.json
 * (untracked: a run worth quoting is copied to a dated file beside it).
 */
async function main(): Promise<void> {
  isolateFromEnvironment();
  const requested = process.argv.slice(2).map((name) => ALIASES[name] ?? name);
  const unknown = requested.filter((name) => !(name in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const names = requested.length ? requested : Object.keys(BENCHES).filter((name) => !ON_REQUEST.has(name));
  const host = machine();
  log(`${QUICK ? 'QUICK ' : ''}run of ${names.join(', ')} on ${host.cpu} (${host.cores} cores), Node ${host.node}`);
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const name of names) {
    const started = Date.now();
    log(`── ${name} ──`);
    try {
      const output = await BENCHES[name]!();
      rows.push(...output.rows);
      details[name] = { ...output.details, seconds: (Date.now() - started) / 1000 };
    } catch (error) {
      // One bench failing must not cost the figures of the others.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${name} failed: ${message}`);
      rows.push({ bench: name, figure: 'FAILED', value: summarize([]), unit: '', note: message.split('\n')[0] });
      details[name] = { error: message };
      process.exitCode = 1;
    }
    log(`${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (loggerErrors.length) log(`contained logger failures during the run: ${JSON.stringify(loggerErrors)}`);

  host.loadAverage.end = loadavg()[0] ?? 0;
  const table = markdownTable(rows, host);
  const targets = targetSummary(rows);
  process.stdout.write(
    `\n${QUICK ? '_BENCH_QUICK=1: reduced sizes, indicative only._\n\n' : ''}${table}\n${targets ? `\n${targets}\n` : ''}`,
  );
  const resultsDir = join(projectRoot(), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'last-run.json');
  writeFileSync(
    file,
    `${JSON.stringify({ machine: host, quick: QUICK, benches: names, rows, details, loggerErrors, table, targets }, null, 2)}\n`,
  );
  log(`results written to ${file}`);
}

/** The flowtrail checkout: up from the compiled file (build/bench/run.js), else the working directory. */
function projectRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let folder = resolve(start); ; folder = dirname(folder)) {
      if (isFlowtrailRoot(folder)) return folder;
      if (dirname(folder) === folder) break;
    }
  }
  return process.cwd();
}

function isFlowtrailRoot(folder: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string }).name === 'flowtrail';
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
