import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, NotFoundError, QueryError } from '../errors';
import type { ExecutionStore } from '../store';
import { viewerAssets } from './assets';
import { MAX_REPLAY_MS, streamEvents } from './eventStream';
import { readExecutionDetail } from './executionDetail';
import { MAX_SERIES_RUNS, readExecutionQuery, readStatsQuery, readStatsSeriesQuery, single } from './executionQuery';
import { HttpError } from './HttpError';
import { pageShell } from './pageShell';
import { sendError, sendJson, setSecurityHeaders } from './responses';
import { summarizeExecution, summarizeStep } from './summaries';

/**
 * What `authorize` answers: `true` lets the request through, `false` answers 401 (who are you?),
 * `403` answers 403 (you may not).
 */
export type AuthorizeResult = boolean | 401 | 403;

export interface HistoryHandlerOptions {
  /**
   * The path the viewer is mounted under, such as `/history`: every page, asset and API route is
   * below it. Requests outside it are answered 404. @default '' (the root)
   */
  basePath?: string;
  /**
   * Called before every request is served, assets included. Without it, every request is served:
   * mount the handler where only trusted people reach it, or give this hook.
   * @default none
   */
  authorize?: (req: IncomingMessage) => AuthorizeResult | Promise<AuthorizeResult>;
  /**
   * Told of an error the handler answered with a 500 (a database that went away, say): the
   * browser is only told that the history could not be read. @default one line on stderr
   */
  onError?: (error: unknown) => void;
  /**
   * The most runs one Stats page range may hold: a bigger one is a 400 naming `since` (counted
   * first over the `started_at` index), so a viewer user cannot make the database read and sort
   * a whole big history. @default 250 000 (1–2 s of work measured; docs/viewer.md)
   */
  statsMaxRuns?: number;
}

/** A plain Node request handler, usable from `node:http`, Express, Fastify or NestJS. */
export type HistoryHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths that are pages of the viewer: each is answered with the same document, the script routes. */
const PAGE = /^\/(?:|executions\/[^/]+|compare|stats)$/;
const EXECUTION = /^\/api\/executions\/([^/]+)$/;
const EXECUTION_DATA = /^\/api\/executions\/([^/]+)\/data$/;
const STEP = /^\/api\/executions\/([^/]+)\/steps\/([^/]+)$/;

/**
 * The history viewer and its JSON API over one store, read-only: it answers GET and HEAD only.
 *
 * - `GET {basePath}/` and the other pages: the viewer.
 * - `GET {basePath}/api/executions?workflow=&status=&trigger=&since=&until=&tag=k=v&where=&cursor=&limit=`:
 *   a page of executions, newest first, without payloads (see docs/viewer.md).
 * - `GET {basePath}/api/executions/:id`: the execution, its steps without payloads, its child
 *   executions and its workflow's stored shape (see executionDetail.ts).
 * - `GET {basePath}/api/executions/:id/data`: its trigger data and metadata.
 * - `GET {basePath}/api/executions/:id/steps/:stepId`: one step with its input, output and error.
 * - `GET {basePath}/api/compare?a=&b=`, `GET {basePath}/api/stats?workflow=&since=&until=`, `GET {basePath}/api/workflows`.
 * - `GET {basePath}/api/stats/series?workflow=&since=&until=&bucket=`: the totals of a range and the
 *   same range in time buckets (`store.getStatsOverTime`), for the Stats page.
 * - `GET {basePath}/api/events?since=`: server-sent events fed by `store.follow()`.
 *
 * @throws ConfigError when `basePath` is not `''` or a path such as `/history`.
 */
export function createHistoryHandler(store: ExecutionStore, options: HistoryHandlerOptions = {}): HistoryHandler {
  const basePath = resolveBasePath(options.basePath);
  const authorize = options.authorize;
  if (authorize !== undefined && typeof authorize !== 'function') throw new ConfigError('authorize', authorize, 'a function');
  const onError = options.onError ?? reportError;
  const statsMaxRuns = options.statsMaxRuns ?? MAX_SERIES_RUNS;
  if (!Number.isSafeInteger(statsMaxRuns) || statsMaxRuns < 0)
    throw new ConfigError('statsMaxRuns', statsMaxRuns, 'a whole number, at least 0');
  const shell = Buffer.from(pageShell(basePath));

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Express hands a mounted handler the rest of the path in `url` and the whole in `originalUrl`.
    const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    // URL() resolves dot segments (also %2e-encoded): `/x/../history/api` would be served under a
    // prefix the host app guards at `/history`. A path that is not already in its plain form is refused.
    if (!isPlainPath(raw)) throw new HttpError(404, 'Not found');
    const url = new URL(raw, 'http://viewer.invalid');
    const mountedAt = mountPrefix(raw, req.url ?? '/');
    if (mountedAt !== undefined && mountedAt !== basePath) {
      throw new HttpError(
        404,
        `Mounted at ${mountedAt} with basePath ${JSON.stringify(basePath)}: give createHistoryHandler the path it is mounted at`,
      );
    }
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) throw new HttpError(404, 'Not found');
    if (authorize) {
      const verdict = await authorize(req);
      if (verdict === false || verdict === 401) throw new HttpError(401, 'Not authorized');
      if (verdict === 403) throw new HttpError(403, 'Forbidden');
      if (verdict !== true) throw new HttpError(403, 'Forbidden');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, 'The history viewer is read-only: GET and HEAD only');
    }
    const path = url.pathname.slice(basePath.length) || '/';
    const params = url.searchParams;

    if (PAGE.test(path)) {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end(shell);
      return;
    }
    if (path.startsWith('/assets/')) return serveAsset(req, res, path.slice('/assets/'.length));
    if (path === '/api/executions') {
      // The server's clock, read before the list: the page's live stream starts from it, not from
      // the browser's clock, which may be minutes off.
      const now = Date.now();
      const page = await store.listExecutions(readExecutionQuery(params));
      const matchingSteps =
        page.matchingSteps && Object.fromEntries(Object.entries(page.matchingSteps).map(([id, steps]) => [id, steps.map(summarizeStep)]));
      return sendJson(res, 200, {
        items: page.items.map(summarizeExecution),
        nextCursor: page.nextCursor,
        now,
        ...(matchingSteps ? { matchingSteps } : {}),
      });
    }
    let match = EXECUTION.exec(path);
    if (match) {
      return sendJson(res, 200, await readExecutionDetail(store, decode(match[1]!)));
    }
    match = EXECUTION_DATA.exec(path);
    if (match) {
      const id = decode(match[1]!);
      const execution = await store.getExecution(id);
      if (!execution) throw new HttpError(404, `No execution with id ${JSON.stringify(id)}`);
      return sendJson(res, 200, {
        triggerData: execution.triggerData ?? null,
        metadata: execution.metadata ?? null,
        errorStack: execution.errorStack,
      });
    }
    match = STEP.exec(path);
    if (match) {
      const [executionId, stepId] = [decode(match[1]!), decode(match[2]!)];
      const step = await store.getStep(stepId);
      if (!step || step.executionId !== executionId)
        throw new HttpError(404, `No step with id ${JSON.stringify(stepId)} in execution ${JSON.stringify(executionId)}`);
      return sendJson(res, 200, {
        step: summarizeStep(step),
        input: step.inputData ?? null,
        output: step.outputData ?? null,
        errorMessage: step.errorMessage,
        errorStack: step.errorStack,
      });
    }
    if (path === '/api/compare') {
      const a = single(params, 'a');
      const b = single(params, 'b');
      if (a === undefined) throw new HttpError(400, 'a (the first execution id) is missing', 'a');
      if (b === undefined) throw new HttpError(400, 'b (the second execution id) is missing', 'b');
      return sendJson(res, 200, await store.compareExecutions(a, b));
    }
    if (path === '/api/stats') return sendJson(res, 200, await store.getStats(readStatsQuery(params)));
    if (path === '/api/stats/series') {
      const query = { ...readStatsSeriesQuery(params), maxRuns: statsMaxRuns };
      // One read: the range's totals come with its buckets, from the same statements.
      const series = await store.getStatsOverTime(query).catch((error: unknown) => {
        // The store names its own fields; the browser is told the URL's.
        if (error instanceof QueryError && error.field === 'bucketMs') throw new HttpError(400, error.message, 'bucket');
        throw error;
      });
      return sendJson(res, 200, series);
    }
    if (path === '/api/workflows') return sendJson(res, 200, { workflows: await store.listWorkflowIds() });
    if (path === '/api/events') {
      const now = Date.now();
      const since = single(params, 'since');
      let from: number | undefined;
      if (since !== undefined) {
        from = /^[0-9]{1,16}$/.test(since) ? Number(since) : NaN;
        if (!Number.isSafeInteger(from)) throw new HttpError(400, 'since is not a time in epoch milliseconds', 'since');
        from = Math.max(from, now - MAX_REPLAY_MS);
      }
      return streamEvents(store, req, res, { since: from, workflowId: single(params, 'workflow'), onError });
    }
    throw new HttpError(404, 'Not found');
  };

  return (req, res) => {
    setSecurityHeaders(res);
    serve(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendError(res, error.status, error.message, error.field);
      if (error instanceof QueryError) return sendError(res, 400, error.message, error.field);
      if (error instanceof NotFoundError) return sendError(res, 404, error.message);
      // Not echoed to the browser: a database error can name hosts, users and SQL.
      onError(error);
      return sendError(res, 500, 'The history could not be read (see the server log)');
    });
  };
}

function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): void {
  const asset = viewerAssets().get(name);
  if (!asset) throw new HttpError(404, `No asset ${JSON.stringify(name)} (was the viewer built? npm run build)`);
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', asset.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.statusCode = 200;
  res.end(req.method === 'HEAD' ? undefined : gzip ? asset.gzipped : asset.body);
}

function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`flowtrail viewer: ${message.replace(/\s+/g, ' ')}\n`);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'The path is not valid percent-encoding');
  }
}

function resolveBasePath(basePath: unknown): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return '';
  if (typeof basePath !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(basePath)) {
    throw new ConfigError('basePath', basePath, "'' or a path such as /history");
  }
  return basePath.replace(/\/$/, '');
}

/**
 * Where a router (Express) mounted the handler: the part of `originalUrl`'s path that it took off
 * `url`'s. Undefined when nothing was taken off (node:http, or a router that keeps `url` whole).
 */
function mountPrefix(original: string, rest: string): string | undefined {
  const path = (target: string) => target.replace(/[?#].*$/s, '');
  const whole = path(original);
  const tail = path(rest) === '/' && !whole.endsWith('/') ? '' : path(rest);
  if (whole === path(rest) || !whole.endsWith(tail)) return undefined;
  return whole.slice(0, whole.length - tail.length);
}

/** A request target's path with no dot segment (plain or percent-encoded), no empty segment and no backslash. */
function isPlainPath(target: string): boolean {
  const end = target.search(/[?#]/);
  const path = end === -1 ? target : target.slice(0, end);
  if (!path.startsWith('/') || path.includes('//') || path.includes('\\')) return false;
  return !path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment) || /%2f|%5c/i.test(segment));
}
