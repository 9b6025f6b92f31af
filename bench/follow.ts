import type { ExecutionStore } from '../src';
import type { FollowWriterRequest, FollowWriterResult } from './followWriter';
import { atLeast, atMost, formatNumber, summarize, type BenchOutput, type ResultRow } from './stats';
import { envInt, forkForResult, log, openDatabase, selectedBackends, size, unavailable, type BackendName } from './support';

const STEPS_PER_SECOND = 1000;
const ROUNDS = 5;

// Date.now(), not performance.timeOrigin + now(): the two processes' time origins differ by tens of ms.
const now = () => Date.now();

/** Follows from now until aborted, calling `onStep` with each new step's id and when it arrived. */
function follow(store: ExecutionStore, onStep: (id: string, at: number) => void, workflowId?: string) {
  const stop = new AbortController();
  let events = 0;
  const done = (async () => {
    for await (const event of store.follow({ signal: stop.signal, workflowId })) {
      events++;
      if (event.type === 'step' && event.change === 'new') onStep(event.step.id, now());
    }
  })();
  return {
    stop: async () => {
      stop.abort();
      await done;
      return events;
    },
  };
}

function writer(backend: BackendName, location: string, request: Partial<FollowWriterRequest>): Promise<FollowWriterResult> {
  const full: FollowWriterRequest = { backend, location, mode: 'flat', stepsPerSecond: 0, seconds: 0, steps: 0, ...request };
  return forkForResult<FollowWriterResult>('followWriter.js', { args: [JSON.stringify(full)] });
}

interface BackendFigures {
  /** Commit (the writer's writeBatch returned) to the step's event in the reader, ms, every step. */
  latencyMs: number[];
  missed: number;
  /** Writer steps/s alone, with a follower reading every row, and with one polling for a workflow that writes nothing: alternating rounds. */
  alone: number[];
  followed: number[];
  polled: number[];
}

async function measureBackend(backend: BackendName, seconds: number, flatSteps: number): Promise<BackendFigures> {
  const database = await openDatabase(backend, 'follow');
  const { store, location } = database;
  try {
    log(`follow: ${backend}: ${STEPS_PER_SECOND} steps/s for ${seconds} s, read by store.follow() (default 100 ms polls)`);
    const arrived = new Map<string, number>();
    const reader = follow(store, (id, at) => arrived.set(id, at));
    const paced = await writer(backend, location, { mode: 'paced', stepsPerSecond: STEPS_PER_SECOND, seconds });
    // The last batch's steps arrive at the next poll at the latest.
    const deadline = Date.now() + 5000;
    while (arrived.size < Object.keys(paced.committedAt).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await reader.stop();
    const latencyMs: number[] = [];
    let missed = 0;
    for (const [id, committed] of Object.entries(paced.committedAt)) {
      const at = arrived.get(id);
      if (at === undefined) missed++;
      else latencyMs.push(at - committed);
    }

    log(
      `follow: ${backend}: writer throughput alone and with a follower, ${ROUNDS} alternating rounds of ${formatNumber(flatSteps)} steps`,
    );
    const alone: number[] = [];
    const followed: number[] = [];
    const polled: number[] = [];
    const flat = async () => (await writer(backend, location, { mode: 'flat', steps: flatSteps })).stepsPerSecond;
    for (let round = 0; round < ROUNDS; round++) {
      alone.push(await flat());
      const reading = follow(store, () => undefined);
      followed.push(await flat());
      await reading.stop();
      const polling = follow(store, () => undefined, 'no-such-workflow');
      polled.push(await flat());
      await polling.stop();
    }
    return { latencyMs, missed, alone, followed, polled };
  } finally {
    await database.dispose();
  }
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * store.follow() under a writer in another process: how long a committed step takes to reach the
 * reader at 1 000 steps/s (target < 250 ms), and the writer's throughput with a follower reading
 * against without one, alternating in the same run (target: no measurable cost).
 */
export async function runFollow(): Promise<BenchOutput> {
  const seconds = envInt('BENCH_FOLLOW_SECONDS', size(20, 5));
  const flatSteps = envInt('BENCH_FOLLOW_STEPS', size(50_000, 10_000));
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { seconds, flatSteps, stepsPerSecond: STEPS_PER_SECOND };
  const bench = 'follow';
  for (const backend of selectedBackends(['sqlite3', 'better-sqlite3', 'postgres', 'mysql'])) {
    const missing = await unavailable(backend);
    if (missing) {
      rows.push({ bench, figure: `${backend}: skipped`, value: summarize([]), unit: '', note: missing });
      continue;
    }
    const figures = await measureBackend(backend, seconds, flatSteps);
    const p95 = percentile(figures.latencyMs, 0.95);
    const p99 = percentile(figures.latencyMs, 0.99);
    details[backend] = { ...figures, latencyMs: undefined, p95, p99, delivered: figures.latencyMs.length };
    const latency = summarize(figures.latencyMs);
    rows.push({
      bench,
      figure: `${backend}: commit → follow() event, ${STEPS_PER_SECOND} steps/s`,
      value: latency,
      unit: 'ms',
      verdict: atMost(p99, 250, '< 250 ms (p99)'),
      note: `p95 ${p95.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms over ${formatNumber(figures.latencyMs.length)} steps; ${figures.missed} missed`,
    });
    const alone = summarize(figures.alone).median;
    const note = `${ROUNDS} alternating rounds of ${formatNumber(flatSteps)} steps in batches of 100, the writer in a process of its own`;
    for (const [label, samples] of [
      ['a follower reading every row', figures.followed],
      ['a follower polling (its workflow writes nothing)', figures.polled],
    ] as const) {
      const value = summarize(samples);
      rows.push({
        bench,
        figure: `${backend}: writer steps/s with ${label}`,
        value,
        unit: 'steps/s',
        baseline: { label: 'writer alone (median)', value: alone, unit: 'steps/s' },
        ratio: value.median / alone,
        verdict: atLeast(value.median / alone, 0.95, '≥ 0.95× alone'),
        note,
      });
    }
  }
  return { rows, details };
}
