import { QueryError, uuidv7, type ExecutionStore, type NewExecution, type StatsBucket } from '../src';
import type { ExecutionStatus } from '../src/entities';
import { chooseBucketMs } from '../src/store/statsOverTime';
import { databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

const BASE = 1_700_000_040_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Row {
  workflowId: string;
  status: ExecutionStatus;
  startedAt: number;
  durationMs?: number;
}

/** A reproducible history over ten minutes from BASE (minute 4 empty), with rows on and beside every bucket edge. */
function history(): Row[] {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const statuses: ExecutionStatus[] = ['success', 'success', 'success', 'error', 'interrupted', 'running'];
  const rows: Row[] = [];
  const add = (startedAt: number) => {
    const status = statuses[next(statuses.length)]!;
    // Durations from a small range: ties are common, as they are in real histories.
    const durationMs = status === 'running' ? undefined : 10 * next(40);
    rows.push({ workflowId: next(3) === 0 ? 'b' : 'a', status, startedAt, durationMs });
  };
  for (let i = 0; i < 300; i++) {
    const startedAt = BASE + next(10 * MINUTE);
    if (startedAt < BASE + 4 * MINUTE || startedAt >= BASE + 5 * MINUTE) add(startedAt);
  }
  for (let minute = 0; minute <= 10; minute++) {
    if (minute === 4 || minute === 5) continue;
    add(BASE + minute * MINUTE); // first instant of a bucket (minute 10: just past the range)
    add(BASE + minute * MINUTE - 1); // last instant of the one before (minute 0: just before the range)
  }
  // Twenty timed runs in one bucket, where ceil(0.95 × n) is exact (19th), and two in another.
  for (let k = 0; k < 20; k++)
    rows.push({ workflowId: 'c', status: k % 2 ? 'success' : 'error', startedAt: BASE + 7 * MINUTE + k, durationMs: (20 - k) * 10 });
  rows.push({ workflowId: 'c', status: 'success', startedAt: BASE + 8 * MINUTE, durationMs: 9 });
  rows.push({ workflowId: 'c', status: 'error', startedAt: BASE + 9 * MINUTE - 1, durationMs: 5 });
  return rows;
}

/** What the store must answer, computed here the plain way: filter, bucket, sort, nearest rank. */
function expected(rows: Row[], since: number, until: number, bucketMs: number, workflowId?: string): StatsBucket[] {
  const buckets: StatsBucket[] = [];
  for (let start = since; start < until; start += bucketMs) {
    const inside = rows.filter(
      (row) =>
        row.startedAt >= start &&
        row.startedAt < Math.min(until, start + bucketMs) &&
        (workflowId === undefined || row.workflowId === workflowId),
    );
    const count = (status: ExecutionStatus) => inside.filter((row) => row.status === status).length;
    const [success, error, interrupted, running] = [count('success'), count('error'), count('interrupted'), count('running')];
    const durations = inside
      .filter((row) => row.status === 'success' || row.status === 'error')
      .map((row) => row.durationMs!)
      .sort((a, b) => a - b);
    // The ceil(p × n)th smallest, in integers.
    const rank = (percent: number) => (durations.length === 0 ? null : durations[Math.ceil((percent * durations.length) / 100) - 1]!);
    const finished = success + error + interrupted;
    buckets.push({
      start,
      end: Math.min(until, start + bucketMs),
      total: inside.length,
      success,
      error,
      interrupted,
      running,
      failureRate: finished === 0 ? null : error / finished,
      p50DurationMs: rank(50),
      p95DurationMs: rank(95),
    });
  }
  return buckets;
}

describe.each(databaseKinds)('getStatsOverTime on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  const rows = history();

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    const executions = rows.map((row): NewExecution & { id: string } => ({
      id: uuidv7(row.startedAt),
      workflowName: row.workflowId,
      triggerType: 'manual',
      ...row,
      completedAt: row.durationMs === undefined ? undefined : row.startedAt + row.durationMs,
    }));
    await store.writeBatch({ executions });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  test('counts, failure rates and nearest-rank percentiles per bucket match a plain computation, empty buckets included', async () => {
    const until = BASE + 10 * MINUTE;
    const result = await store.getStatsOverTime({ since: BASE, until, bucketMs: MINUTE });
    expect(result).toEqual({
      since: BASE,
      until,
      bucketMs: MINUTE,
      totals: expected(rows, BASE, until, until - BASE).map(({ start: _start, end: _end, ...figures }) => figures)[0],
      buckets: expected(rows, BASE, until, MINUTE),
    });
    expect(result.buckets).toHaveLength(10);
    expect(result.buckets[4]).toMatchObject({ total: 0, failureRate: null, p50DurationMs: null, p95DurationMs: null });
    // Each bucket holds its own first instant and the previous one's last: none is lost or counted twice.
    const total = result.buckets.reduce((sum, bucket) => sum + bucket.total, 0);
    expect(total).toBe(rows.filter((row) => row.startedAt >= BASE && row.startedAt < until).length);
    expect(total).toBe((await store.getStats({ since: BASE, until })).total);
  });

  test('a bucket agrees with getStats over the same range', async () => {
    const series = await store.getStatsOverTime({ since: BASE, until: BASE + 3 * MINUTE, bucketMs: MINUTE });
    const third = series.buckets[2]!;
    const stats = await store.getStats({ since: third.start, until: third.end });
    expect(third).toMatchObject({
      total: stats.total,
      success: stats.success,
      error: stats.error,
      p50DurationMs: stats.p50DurationMs,
      p95DurationMs: stats.p95DurationMs,
    });
  });

  test('the range’s totals: the buckets summed, and the percentiles of all its runs, as getStats has them', async () => {
    const ranges: [number, number, string | undefined][] = [
      [BASE, BASE + 10 * MINUTE, undefined],
      [BASE - MINUTE, BASE + 11 * MINUTE, 'a'],
      [BASE + 7 * MINUTE, BASE + 9 * MINUTE, 'c'],
      [BASE + 4 * MINUTE, BASE + 5 * MINUTE, undefined],
    ];
    for (const [since, until, workflowId] of ranges) {
      const { totals, buckets } = await store.getStatsOverTime({ workflowId, since, until, bucketMs: MINUTE });
      const stats = await store.getStats({ workflowId, since, until });
      const finished = stats.success + stats.error + stats.interrupted;
      expect(totals).toEqual({
        total: stats.total,
        success: stats.success,
        error: stats.error,
        interrupted: stats.interrupted,
        running: stats.running,
        failureRate: finished === 0 ? null : stats.error / finished,
        p50DurationMs: stats.p50DurationMs,
        p95DurationMs: stats.p95DurationMs,
      });
      expect(totals.total).toBe(buckets.reduce((sum, bucket) => sum + bucket.total, 0));
    }
    // Workflow c, minutes 7–8: the 22 runs’ own ranks (11th and 21st), neither bucket’s figure.
    const c = await store.getStatsOverTime({ workflowId: 'c', since: BASE + 7 * MINUTE, until: BASE + 9 * MINUTE, bucketMs: MINUTE });
    expect([c.totals.p50DurationMs, c.totals.p95DurationMs]).toEqual([90, 190]);
  });

  test('maxRuns: a range holding more runs is refused naming since, before any bucket is read', async () => {
    const until = BASE + 10 * MINUTE;
    const runs = rows.filter((row) => row.startedAt >= BASE && row.startedAt < until).length;
    const refused = await store.getStatsOverTime({ since: BASE, until, maxRuns: runs - 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueryError);
    expect(refused).toMatchObject({ field: 'since', message: expect.stringContaining(`holds ${runs} runs`) });
    expect((await store.getStatsOverTime({ since: BASE, until, maxRuns: runs })).totals.total).toBe(runs);
    // Counted with the workflow filter: workflow c's 22 runs fit under a bound the whole range does not.
    expect((await store.getStatsOverTime({ workflowId: 'c', since: BASE, until, maxRuns: 22 })).totals.total).toBe(22);
  });

  test('nearest rank where p × n is a whole number, and over two runs', async () => {
    const result = await store.getStatsOverTime({ workflowId: 'c', since: BASE + 7 * MINUTE, until: BASE + 9 * MINUTE, bucketMs: MINUTE });
    expect(result.buckets.map((bucket) => [bucket.total, bucket.failureRate, bucket.p50DurationMs, bucket.p95DurationMs])).toEqual([
      [20, 0.5, 100, 190],
      [2, 0.5, 5, 9],
    ]);
  });

  test('a workflow filter, and a last bucket cut short by until', async () => {
    const until = BASE + 150_000;
    const result = await store.getStatsOverTime({ workflowId: 'b', since: BASE, until, bucketMs: MINUTE });
    expect(result.buckets.map((bucket) => [bucket.start - BASE, bucket.end - BASE])).toEqual([
      [0, 60_000],
      [60_000, 120_000],
      [120_000, 150_000],
    ]);
    expect(result.buckets).toEqual(expected(rows, BASE, until, MINUTE, 'b'));
    const none = await store.getStatsOverTime({ workflowId: 'nothing', since: BASE, until, bucketMs: MINUTE });
    expect(none.buckets.every((bucket) => bucket.total === 0 && bucket.p50DurationMs === null)).toBe(true);
    const hostile = await store.getStatsOverTime({ workflowId: "a' OR '1'='1", since: BASE, until, bucketMs: MINUTE });
    expect(hostile.buckets.map((bucket) => bucket.total)).toEqual([0, 0, 0]);
  });

  test('without bucketMs, a round size giving at most 60 buckets', async () => {
    const size = async (rangeMs: number) => {
      const result = await store.getStatsOverTime({ since: BASE, until: BASE + rangeMs });
      expect(result.buckets).toHaveLength(Math.ceil(rangeMs / result.bucketMs));
      return result.bucketMs;
    };
    expect(await size(HOUR)).toBe(MINUTE);
    expect(await size(DAY)).toBe(30 * MINUTE);
    expect(await size(7 * DAY)).toBe(3 * HOUR);
    expect(await size(30 * DAY)).toBe(12 * HOUR);
    expect(await size(2 * 365 * DAY)).toBe(14 * DAY);
    // A part of a second over 60 buckets keeps the size; a whole second more does not.
    expect(chooseBucketMs(HOUR + 999)).toBe(MINUTE);
    expect(chooseBucketMs(HOUR + 1000)).toBe(5 * MINUTE);
    expect(chooseBucketMs(999)).toBe(1000);
    // The figures do not depend on the size chosen: one bucket of an hour holds the ten minutes' runs.
    const hour = await store.getStatsOverTime({ since: BASE, until: BASE + 10 * MINUTE, bucketMs: HOUR });
    expect(hour.buckets).toEqual(expected(rows, BASE, BASE + 10 * MINUTE, HOUR));
  });

  test('until defaults to now, and "the last hour" read a moment later keeps minute buckets', async () => {
    // The store reads now after the caller did: 100 ms late here stands for the few ms it usually is.
    const before = Date.now();
    const result = await store.getStatsOverTime({ since: before - HOUR - 100 });
    expect(result.until).toBeGreaterThanOrEqual(before);
    expect(result.until).toBeLessThanOrEqual(Date.now());
    expect(result.bucketMs).toBe(MINUTE);
    expect(result.buckets).toHaveLength(61);
    expect(result.buckets.at(-1)!.end).toBe(result.until);
  });

  test('bad input is refused with a QueryError naming the field', async () => {
    const field = async (query: unknown) => {
      const error = await store.getStatsOverTime(query as never).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(QueryError);
      return (error as QueryError).field;
    };
    expect(await field({})).toBe('since');
    expect(await field({ since: 'yesterday' })).toBe('since');
    expect(await field({ since: BASE + 0.5 })).toBe('since');
    expect(await field({ since: BASE, until: BASE })).toBe('until');
    expect(await field({ since: BASE, until: BASE - 1 })).toBe('until');
    expect(await field({ since: BASE, until: BASE + HOUR, bucketMs: 0 })).toBe('bucketMs');
    expect(await field({ since: BASE, until: BASE + HOUR, bucketMs: 1.5 })).toBe('bucketMs');
    expect(await field({ since: BASE, until: BASE + HOUR, bucketMs: '60000' })).toBe('bucketMs');
    // 3 600 buckets of a second: more than 1 000.
    expect(await field({ since: BASE, until: BASE + HOUR, bucketMs: 1000 })).toBe('bucketMs');
    expect(await field({ since: BASE, until: BASE + HOUR, workflowId: 5 })).toBe('workflowId');
    expect(await field({ since: BASE, until: BASE + HOUR, maxRuns: -1 })).toBe('maxRuns');
    expect(await field({ since: BASE, until: BASE + HOUR, maxRuns: '10' })).toBe('maxRuns');
    expect(await field(null)).toBe('query');
  });
});
