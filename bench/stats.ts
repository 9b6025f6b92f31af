import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Median, min and max of repeated measurements of one figure. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** A figure compared with a target: the text shown, and whether the measurement meets it. */
export interface Verdict {
  target: string;
  pass: boolean;
}

/** One line of the results table. */
export interface ResultRow {
  bench: string;
  figure: string;
  value: Summary;
  unit: string;
  /** What the figure is compared with, measured in the same run. */
  baseline?: { label: string; value: number; unit: string };
  ratio?: number;
  verdict?: Verdict;
  note?: string;
  /** The numbered target of issue #16 this row checks ("1", "2a", …): the run's summary lists these. */
  goal?: string;
}

/** What each bench hands back to run.ts: table rows plus whatever raw figures are worth keeping. */
export interface BenchOutput {
  rows: ResultRow[];
  details: Record<string, unknown>;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** A single measurement as a Summary (for figures measured once per run). */
export function single(value: number): Summary {
  return { median: value, min: value, max: value, runs: 1 };
}

export function atMost(value: number, limit: number, text: string): Verdict {
  return { target: text, pass: value <= limit };
}

export function atLeast(value: number, limit: number, text: string): Verdict {
  return { target: text, pass: value >= limit };
}

/** Nanoseconds elapsed since `start` (from `process.hrtime.bigint()`), as a number. */
export function elapsedNs(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

export function elapsedMs(start: bigint): number {
  return elapsedNs(start) / 1e6;
}

/**
 * CPU time of this process's main thread alone, in ms (10 ms ticks, from /proc), or NaN where
 * there is no /proc. Unlike wall time it does not grow when other programs load the machine,
 * and unlike process.cpuUsage() it leaves out the threads the database driver works on.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return Number.NaN;
  }
}

const schedstatPath = `/proc/self/task/${process.pid}/schedstat`;

/**
 * Time this process's main thread has spent on a CPU, in ns (Linux's schedstat), or NaN where
 * there is none. On a machine others load, a loop's wall time grows with every time slice they
 * take, its CPU time does not: ratios of CPU times hold where ratios of wall times wander.
 */
export function threadCpuNs(): number {
  try {
    const text = readFileSync(schedstatPath, 'utf8');
    return Number(text.slice(0, text.indexOf(' ')));
  } catch {
    return Number.NaN;
  }
}

/** What one {@link threadCpuNs} read costs the thread (median of 201), to take off each interval it brackets. */
export function threadCpuReadNs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 201; i++) {
    const start = threadCpuNs();
    samples.push(threadCpuNs() - start);
  }
  return summarize(samples).median;
}

/** A number with about three significant digits and thousands separators. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

export function formatValue(summary: Summary, unit: string): string {
  const median = `${formatNumber(summary.median)} ${unit}`;
  if (summary.runs <= 1 || summary.min === summary.max) return median;
  return `${median} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '—';
  if (!Number.isFinite(ratio)) return String(ratio);
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

export function formatBytes(bytes: number): string {
  return `${formatNumber(bytes / 1024 / 1024)} MB`;
}

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  date: string;
  /** 1-minute load average when the run started (and ended, once known): others' work on a shared machine shows here. */
  loadAverage: { start: number; end?: number };
}

export function machine(): Machine {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memory: formatBytes(totalmem()),
    os: `${platform()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: { start: loadavg()[0] ?? 0 },
  };
}

/**
 * Whether a row's baseline was left unmeasured: a run limited to some parts (BENCH_*_ONLY) does
 * not run it, and a verdict on a NaN ratio would be a MISS that means nothing. A figure of
 * flowtrail's own that is not finite stays a MISS: that bench went wrong.
 */
export function baselineNotRun(row: ResultRow): boolean {
  return Number.isFinite(row.value.median) && (Number.isNaN(row.baseline?.value ?? 0) || Number.isNaN(row.ratio ?? 0));
}

/** PASS, MISS, "not measured", or a dash for a row without a target. */
function result(row: ResultRow): string {
  if (!row.verdict) return '—';
  if (baselineNotRun(row)) return 'not measured';
  return row.verdict.pass ? 'PASS' : '**MISS**';
}

/** The results as a markdown table: one line per figure, with its baseline, ratio and verdict. */
export function markdownTable(rows: readonly ResultRow[], host: Machine): string {
  const header = ['bench', 'figure', 'median (min–max)', 'baseline', 'ratio', 'target', 'result'];
  const lines = [
    `Machine: ${host.cpu}, ${host.cores} cores, ${host.memory} RAM, ${host.os}, Node ${host.node} — ${host.date}` +
      ` — load average ${host.loadAverage.start.toFixed(1)} at start${host.loadAverage.end === undefined ? '' : `, ${host.loadAverage.end.toFixed(1)} at end`}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const row of rows) {
    const baseline = row.baseline ? `${row.baseline.label}: ${formatNumber(row.baseline.value)} ${row.baseline.unit}` : '—';
    const figure = row.note ? `${row.figure} <sub>${row.note}</sub>` : row.figure;
    const cells = [
      row.bench,
      figure,
      formatValue(row.value, row.unit),
      baseline,
      formatRatio(row.ratio),
      row.verdict?.target ?? '—',
      result(row),
    ];
    lines.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * The targets of issue #16 the run measured, one line each with its ratio and pass/miss, in
 * target order; empty when none of the benches run has one.
 */
export function targetSummary(rows: readonly ResultRow[]): string {
  const goals = rows.filter((row) => row.goal !== undefined && row.verdict !== undefined);
  if (goals.length === 0) return '';
  goals.sort((a, b) => a.goal!.localeCompare(b.goal!, 'en', { numeric: true }));
  const lines = [
    'Targets of issue #16 measured in this run:',
    '',
    '| # | figure | value | ratio | target | result |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of goals) {
    const cells = [
      row.goal!,
      `${row.bench}: ${row.figure}`,
      formatValue(row.value, row.unit),
      formatRatio(row.ratio),
      row.verdict!.target,
      result(row),
    ];
    lines.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}
