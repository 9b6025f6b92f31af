import type { ExecutionStatus } from '../entities';
import { STEP_STATUSES, type StepStatus } from '../entities/ExecutionStep';
import { QueryError } from '../errors';
import type { ListExecutionsQuery, StatsOverTimeQuery, StatsQuery } from '../store';
import { UsageError } from '../cli/args';
import { parseDuration, parseTimeBound } from '../cli/duration';
import { parseTags } from '../cli/tagArgs';
import { parseWhere } from '../cli/wherePredicate';
import { HttpError } from './HttpError';

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['running', 'success', 'error', 'interrupted'];

/** The page size when the URL names none; the store's own limit (1000) bounds `limit`. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * Reads `/api/executions`' query string into a store query. The parameters are the CLI's `list`
 * flags under the same names (`workflow`, `status`, `trigger`, `since`, `until`, `tag=k=v`,
 * `where`, `node`, `node-type`, `step-status`, `trace`, `cursor`, `limit`), read by the CLI's own parsers,
 * so that a filter means the same in a URL as on the command line.
 * @throws HttpError 400 naming the parameter.
 */
export function readExecutionQuery(params: URLSearchParams, now = Date.now()): ListExecutionsQuery {
  const query: ListExecutionsQuery = { limit: DEFAULT_PAGE_SIZE };
  const one = (name: string) => single(params, name);
  const workflow = one('workflow');
  const status = one('status');
  const trigger = one('trigger');
  const since = one('since');
  const until = one('until');
  if (workflow !== undefined) query.workflowId = workflow;
  if (status !== undefined) query.status = choice(status, 'status', EXECUTION_STATUSES);
  if (trigger !== undefined) query.triggerType = trigger;
  if (since !== undefined) query.startedAfter = field('since', () => parseTimeBound(since, 'since', now));
  if (until !== undefined) query.startedBefore = field('until', () => parseTimeBound(until, 'until', now));
  const tags = field('tag', () => parseTags(params.getAll('tag')));
  if (tags !== undefined) query.tags = tags;
  const where = params.getAll('where').filter((text) => text !== '');
  if (where.length > 0) query.where = where.map((text) => field('where', () => parseWhere(text)));
  const node = one('node');
  const nodeType = one('node-type');
  const stepStatus = one('step-status');
  if (node !== undefined) query.node = node;
  if (nodeType !== undefined) query.nodeType = nodeType;
  if (stepStatus !== undefined) query.stepStatus = choice(stepStatus, 'step-status', STEP_STATUSES) as StepStatus;
  const trace = one('trace');
  if (trace !== undefined) {
    if (!/^[0-9a-f]{32}$/.test(trace))
      throw new HttpError(400, `trace ${JSON.stringify(trace)} is not a trace id (32 lowercase hex digits)`, 'trace');
    query.traceId = trace;
  }
  const cursor = one('cursor');
  if (cursor !== undefined) query.cursor = cursor;
  const limit = one('limit');
  if (limit !== undefined) query.limit = integer(limit, 'limit', 1, 1000);
  if (query.startedAfter !== undefined && query.startedBefore !== undefined && query.startedAfter >= query.startedBefore) {
    throw new HttpError(400, `since ${since} is not before until ${until}`, 'since');
  }
  return query;
}

/** `/api/stats`: `workflow`, `since`, `until`. @throws HttpError 400 naming the parameter. */
export function readStatsQuery(params: URLSearchParams, now = Date.now()): StatsQuery {
  const query: StatsQuery = {};
  const workflow = single(params, 'workflow');
  const since = single(params, 'since');
  const until = single(params, 'until');
  if (workflow !== undefined) query.workflowId = workflow;
  if (since !== undefined) query.since = field('since', () => parseTimeBound(since, 'since', now));
  if (until !== undefined) query.until = field('until', () => parseTimeBound(until, 'until', now));
  return query;
}

/** The range `/api/stats/series` reads when the URL names none. */
export const DEFAULT_SERIES_RANGE = '24h';

/**
 * The most runs one `/api/stats/series` reads: what a viewer user can make the database do. The
 * statements' cost is the runs in the range; at 1 000 000 runs a month of every workflow took
 * 6.5 s, while 250 000 took 1–2 s on a loaded 2-core machine (docs/viewer.md, Figures).
 */
export const MAX_SERIES_RUNS = 250_000;

/**
 * `/api/stats/series`: `workflow`, `since` (default 24h ago), `until` (default now), `bucket` (a
 * duration such as 5m; default: the store's choice). `until` is always resolved here, so that the
 * range the answer reports is the one asked for. @throws HttpError 400 naming the parameter.
 */
export function readStatsSeriesQuery(params: URLSearchParams, now = Date.now()): StatsOverTimeQuery {
  const workflow = single(params, 'workflow');
  const since = single(params, 'since') ?? DEFAULT_SERIES_RANGE;
  const until = single(params, 'until');
  const bucket = single(params, 'bucket');
  const query: StatsOverTimeQuery = {
    since: field('since', () => parseTimeBound(since, 'since', now)),
    until: until === undefined ? now : field('until', () => parseTimeBound(until, 'until', now)),
  };
  // With until left to default, a since not before now is the parameter at fault: the user gave no until.
  if (until === undefined && query.since >= now) {
    throw new HttpError(400, `since ${since} is not before now (no until given)`, 'since');
  }
  if (workflow !== undefined) query.workflowId = workflow;
  if (bucket !== undefined) query.bucketMs = field('bucket', () => parseDuration(bucket, 'bucket'));
  return query;
}

/** A parameter given at most once; an empty one (an emptied form field) is not given. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name).filter((value) => value !== '');
  if (values.length > 1) throw new HttpError(400, `${name} is given ${values.length} times; give it once`, name);
  return values[0];
}

/** Runs one of the CLI's parsers, turning its complaint into a 400 that names the parameter. */
function field<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UsageError || error instanceof QueryError) throw new HttpError(400, error.message, name);
    throw error;
  }
}

function choice<T extends string>(value: string, name: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new HttpError(400, `${name} ${JSON.stringify(value)} is not one of ${choices.join(', ')}`, name);
}

function integer(value: string, name: string, min: number, max: number): number {
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new HttpError(400, `${name} ${JSON.stringify(value)} is not a whole number from ${min} to ${max}`, name);
  }
  return parsed;
}
