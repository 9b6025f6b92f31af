import { QueryError } from '../errors';
import type { Database } from './Database';
import { describe, optionalString, optionalTime } from './queryArguments';
import type { StatsBucket, StatsOverTime, StatsOverTimeQuery, StatsTotals } from './types';

/** The most buckets one call reads: a chart has no use for more, and each is a row on the wire. */
export const MAX_STATS_BUCKETS = 1000;
/** How many buckets a chosen bucket size aims at, at most. */
const TARGET_BUCKETS = 60;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Round sizes, smallest first: the first giving at most TARGET_BUCKETS over the range is chosen. */
const ROUND_SIZES = [SECOND, 10 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY];

/**
 * The bucket size for a range of `rangeMs`: a round one giving at most 60 buckets; whole weeks
 * beyond 60 weeks. The range's part of a second is left out of the choice: "the last hour" asked
 * as `since: Date.now() - HOUR`, with until read a few ms later as now, keeps minute buckets and
 * gets a short 61st one.
 */
export function chooseBucketMs(rangeMs: number): number {
  const whole = Math.floor(rangeMs / SECOND) * SECOND;
  const round = ROUND_SIZES.find((size) => Math.ceil(whole / size) <= TARGET_BUCKETS);
  return round ?? 7 * DAY * Math.ceil(whole / (TARGET_BUCKETS * 7 * DAY));
}

/**
 * Counts by status and nearest-rank p50/p95 durations per time bucket, and the same for the whole
 * range, in two grouped queries over the `started_at` index (or `workflow_id, started_at` with a
 * workflow): one counts, one ranks the finished runs by duration with window functions, within
 * each bucket and over the range. Empty buckets are filled in here; the range's counts are their sums.
 * With `maxRuns`, a COUNT over the same index comes first and a bigger range is refused.
 */
export async function readStatsOverTime(db: Database, query: StatsOverTimeQuery, now = Date.now()): Promise<StatsOverTime> {
  db.assertOpen();
  if (query === null || typeof query !== 'object') throw new QueryError('query', `${describe(query)} is not an object`);
  const workflowId = optionalString(query.workflowId, 'workflowId');
  const since = wholeTime(optionalTime(query.since, 'since'), 'since');
  if (since === undefined) throw new QueryError('since', 'is required (the start of the range, epoch ms)');
  const until = wholeTime(optionalTime(query.until, 'until'), 'until') ?? Math.ceil(now);
  if (until <= since) throw new QueryError('until', `${until} is not after since (${since})`);
  let bucketMs: number;
  if (query.bucketMs === undefined) bucketMs = chooseBucketMs(until - since);
  else if (typeof query.bucketMs !== 'number' || !Number.isSafeInteger(query.bucketMs) || query.bucketMs < 1) {
    throw new QueryError('bucketMs', `${describe(query.bucketMs)} is not a whole number of ms, at least 1`);
  } else bucketMs = query.bucketMs;
  const count = Math.ceil((until - since) / bucketMs);
  if (count > MAX_STATS_BUCKETS) {
    throw new QueryError('bucketMs', `${bucketMs} ms cuts the range into ${count} buckets; at most ${MAX_STATS_BUCKETS} are read`);
  }

  const maxRuns = query.maxRuns;
  if (maxRuns !== undefined && (typeof maxRuns !== 'number' || !Number.isSafeInteger(maxRuns) || maxRuns < 0)) {
    throw new QueryError('maxRuns', `${describe(maxRuns)} is not a whole number, at least 0`);
  }

  const dialect = db.dialect;
  const params = db.params();
  // In the order of the text: `?` placeholders bind by position.
  const where = workflowId === undefined ? [] : [`workflow_id = ${params.add(workflowId)}`];
  where.push(`started_at >= ${params.add(since)}`, `started_at < ${params.add(until)}`);
  if (maxRuns !== undefined) {
    // Read from the index alone, a small part of what the two statements below cost over the same rows.
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT COUNT(*) AS runs FROM ${db.tables.executions} WHERE ${where.join(' AND ')}`,
      params.values,
    );
    const runs = Number(row?.runs ?? 0);
    if (runs > maxRuns) {
      throw new QueryError('since', `the range holds ${runs} runs; at most ${maxRuns} are read at once (a later since, or one workflow)`);
    }
  }
  // since and bucketMs are checked safe integers, written as literals: a bound parameter in
  // arithmetic would need a cast on PostgreSQL to stay an integer.
  const bucket = dialect.intDiv(`started_at - ${since}`, String(bucketMs));
  const runs = `SELECT ${bucket} AS bucket, status, duration_ms FROM ${db.tables.executions} WHERE ${where.join(' AND ')}`;
  const countRows = await db.query<Record<string, unknown>>(
    `SELECT bucket, COUNT(*) AS total,
      SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS success,
      SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error,
      SUM(CASE WHEN status = 'interrupted' THEN 1 ELSE 0 END) AS interrupted,
      SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running
    FROM (${runs}) r GROUP BY bucket`,
    params.values,
  );
  // The status test must not choose the status index (SQLite without statistics would, and read
  // every finished run of all time): the range on started_at is what narrows the rows.
  // Nearest rank: the ceil(p × n)th smallest, in integers — ceil(n / 2) and ceil(95n / 100).
  const p50Rank = dialect.intDiv('timed + 1', '2');
  const p95Rank = dialect.intDiv('95 * timed + 99', '100');
  // The range's own ranks too: its p50 and p95 land in one bucket's row each, null in the others.
  // In a layer of their own: MariaDB 10.11 ranked wrongly with both windows in one SELECT.
  const allP50Rank = dialect.intDiv('all_timed + 1', '2');
  const allP95Rank = dialect.intDiv('95 * all_timed + 99', '100');
  const rankRows = await db.query<Record<string, unknown>>(
    `SELECT bucket,
      MAX(CASE WHEN rank_no = ${p50Rank} THEN duration_ms END) AS p50,
      MAX(CASE WHEN rank_no = ${p95Rank} THEN duration_ms END) AS p95,
      MAX(CASE WHEN all_rank = ${allP50Rank} THEN duration_ms END) AS all_p50,
      MAX(CASE WHEN all_rank = ${allP95Rank} THEN duration_ms END) AS all_p95
    FROM (
      SELECT bucket, duration_ms, rank_no, timed,
        ROW_NUMBER() OVER (ORDER BY duration_ms) AS all_rank,
        COUNT(*) OVER () AS all_timed
      FROM (
        SELECT bucket, duration_ms,
          ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY duration_ms) AS rank_no,
          COUNT(*) OVER (PARTITION BY bucket) AS timed
        FROM (${runs}) r WHERE ${dialect.unindexed('status')} IN ('success', 'error') AND duration_ms IS NOT NULL
      ) bucketed
    ) ranked GROUP BY bucket`,
    params.values,
  );

  const buckets: StatsBucket[] = [];
  for (let i = 0; i < count; i++) {
    const start = since + i * bucketMs;
    buckets.push({
      start,
      end: Math.min(until, start + bucketMs),
      total: 0,
      success: 0,
      error: 0,
      interrupted: 0,
      running: 0,
      failureRate: null,
      p50DurationMs: null,
      p95DurationMs: null,
    });
  }
  // Drivers give counts as numbers, bigints or decimal text.
  const at = (row: Record<string, unknown>) => buckets[Number(row.bucket)];
  for (const row of countRows) {
    const target = at(row);
    if (!target) continue;
    target.total = Number(row.total ?? 0);
    target.success = Number(row.success ?? 0);
    target.error = Number(row.error ?? 0);
    target.interrupted = Number(row.interrupted ?? 0);
    target.running = Number(row.running ?? 0);
    const finished = target.success + target.error + target.interrupted;
    target.failureRate = finished === 0 ? null : target.error / finished;
  }
  const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  const totals: StatsTotals = {
    total: 0,
    success: 0,
    error: 0,
    interrupted: 0,
    running: 0,
    failureRate: null,
    p50DurationMs: null,
    p95DurationMs: null,
  };
  for (const row of rankRows) {
    totals.p50DurationMs ??= orNull(row.all_p50);
    totals.p95DurationMs ??= orNull(row.all_p95);
    const target = at(row);
    if (!target) continue;
    target.p50DurationMs = orNull(row.p50);
    target.p95DurationMs = orNull(row.p95);
  }
  for (const bucket of buckets) {
    totals.total += bucket.total;
    totals.success += bucket.success;
    totals.error += bucket.error;
    totals.interrupted += bucket.interrupted;
    totals.running += bucket.running;
  }
  const finished = totals.success + totals.error + totals.interrupted;
  totals.failureRate = finished === 0 ? null : totals.error / finished;
  return { since, until, bucketMs, totals, buckets };
}

/** A bound as a whole number of ms: a fractional one would make bucket edges fall between rows' times. */
function wholeTime(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && !Number.isSafeInteger(value)) throw new QueryError(field, `${value} is not a whole number of epoch ms`);
  return value;
}
