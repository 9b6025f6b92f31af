import type { MemoryReport } from './memoryChild';
import { atMost, formatNumber, single, type BenchOutput } from './stats';
import { envInt, forkForResult, log, size } from './support';

const MB = 1024 * 1024;
/** Heap still held after shutdown and a GC, beyond what the process held before logging. */
const RETAINED_HEAP_LIMIT = 5 * MB;
/** RSS moves by a few MB on its own (allocator, GC); growth beyond this after shutdown counts. */
const RSS_NOISE = 5 * MB;
/** Issue #16, target 5: 1 M steps under this peak RSS with the default allocator settings. */
const PEAK_RSS_LIMIT_MB = 200;

/**
 * glibc gives each thread that allocates its own malloc arena. SQLite runs on libuv's pool threads
 * and the writer thread, so freed pages stay scattered over several arenas: the same run peaks
 * ~50 MB higher with the default than with two arenas. An environment setting of the process,
 * not something a library can choose, so both are measured and the default is the figure.
 */
const FEW_ARENAS = { MALLOC_ARENA_MAX: '2' };

/**
 * 4. Memory: peak RSS while BENCH_MEMORY_STEPS (default 1 000 000) steps are logged into a
 * database slower than the producer, and what is left after shutdown(). Runs in a child process
 * (memoryChild.ts) so the other benches' heap does not count; once with the allocator as the
 * environment has it, once with MALLOC_ARENA_MAX=2.
 */
export async function runMemory(): Promise<BenchOutput> {
  const steps = envInt('BENCH_MEMORY_STEPS', size(1_000_000, 100_000));
  const report = await measureInChild(steps, 'the default allocator', { MALLOC_ARENA_MAX: undefined });
  const fewArenas = await measureInChild(steps, 'MALLOC_ARENA_MAX=2', FEW_ARENAS);
  const retainedHeap = report.heapAfter - report.heapBefore;
  const rate = report.steps / report.seconds;
  const bench = 'memory';
  const label = `${formatNumber(report.steps)} steps`;
  return {
    rows: [
      {
        bench,
        figure: `peak RSS, ${label}`,
        value: single(report.peakRss / MB),
        unit: 'MB',
        baseline: { label: 'RSS before', value: report.rssBefore / MB, unit: 'MB' },
        ratio: report.peakRss / report.rssBefore,
        verdict: atMost(report.peakRss / MB, PEAK_RSS_LIMIT_MB, `< ${PEAK_RSS_LIMIT_MB} MB`),
        goal: '5',
        note: `${formatNumber(rate)} steps/s persisted; queue peak ${formatNumber(report.maxQueued)} of ${formatNumber(report.maxQueueSize)}`,
      },
      {
        bench,
        figure: `peak RSS, ${label}, MALLOC_ARENA_MAX=2`,
        value: single(fewArenas.peakRss / MB),
        unit: 'MB',
        baseline: { label: 'default allocator', value: report.peakRss / MB, unit: 'MB' },
        ratio: fewArenas.peakRss / report.peakRss,
        note: `glibc malloc arenas capped, in the environment; ${formatNumber(fewArenas.steps / fewArenas.seconds)} steps/s persisted`,
      },
      {
        bench,
        figure: 'queue bound held',
        value: single(report.maxQueued),
        unit: 'records',
        baseline: { label: 'maxQueueSize', value: report.maxQueueSize, unit: 'records' },
        ratio: report.maxQueued / report.maxQueueSize,
        verdict: atMost(report.maxQueued, report.maxQueueSize, '≤ maxQueueSize'),
        note:
          report.maxQueued >= report.maxQueueSize * 0.95
            ? 'database slower than producer: backpressure engaged'
            : 'queue never filled: database kept up',
      },
      {
        bench,
        figure: 'RSS after shutdown + GC',
        value: single(report.rssAfter / MB),
        unit: 'MB',
        baseline: { label: 'peak', value: report.peakRss / MB, unit: 'MB' },
        ratio: report.rssAfter / report.peakRss,
        verdict: atMost(report.peakRssAfterShutdown, report.rssAtShutdown + RSS_NOISE, `no growth after shutdown (±${RSS_NOISE / MB} MB)`),
        note: `max ${formatNumber(report.peakRssAfterShutdown / MB)} MB over ${report.settleMs} ms after shutdown (${formatNumber(report.rssAtShutdown / MB)} MB at shutdown)`,
      },
      {
        bench,
        figure: 'heap retained after shutdown + GC',
        value: single(retainedHeap / MB),
        unit: 'MB',
        verdict: atMost(retainedHeap, RETAINED_HEAP_LIMIT, `≤ ${RETAINED_HEAP_LIMIT / MB} MB`),
        note: `heap ${formatNumber(report.heapBefore / MB)} MB before, ${formatNumber(report.heapAfter / MB)} MB after`,
      },
    ],
    details: {
      ...report,
      samples: report.samples.filter((_, i) => i % 10 === 0),
      fewArenas: { peakRss: fewArenas.peakRss, rssAfter: fewArenas.rssAfter, seconds: fewArenas.seconds },
    },
  };
}

async function measureInChild(steps: number, allocator: string, env: NodeJS.ProcessEnv): Promise<MemoryReport> {
  log(`memory: logging ${steps.toLocaleString('en-US')} steps in a child process, ${allocator}`);
  const report = await forkForResult<MemoryReport>('memoryChild.js', {
    execArgv: ['--expose-gc'],
    env: { ...env, BENCH_MEMORY_STEPS: String(steps) },
  });
  log(
    `memory: ${report.seconds.toFixed(1)} s, peak RSS ${formatNumber(report.peakRss / MB)} MB, ` +
      `max queued ${report.maxQueued} / ${report.maxQueueSize}, after shutdown ${formatNumber(report.rssAfter / MB)} MB`,
  );
  if (report.stepsWritten !== report.steps) throw new Error(`memory: ${report.stepsWritten} of ${report.steps} steps reached the database`);
  return report;
}
