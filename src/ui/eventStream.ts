import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionStore, FollowEvent } from '../store';
import { summarizeExecution, summarizeStep } from './summaries';

/** How far back a client may ask the stream to start: enough to cover the list it just loaded. */
export const MAX_REPLAY_MS = 60 * 60_000;

/** A comment line every so often, so that proxies and the browser keep an idle stream open. */
const KEEP_ALIVE_MS = 15_000;

/** How often each stream's follower looks for new rows: live enough for a person, light on the database. */
const POLL_INTERVAL_MS = 250;

/**
 * `/api/events`: server-sent events fed by `store.follow()`, one `execution` or `step` event per
 * history event, its row summarized (no payloads). The follow ends when the client goes away, or
 * when the store closes.
 */
export function streamEvents(
  store: ExecutionStore,
  req: IncomingMessage,
  res: ServerResponse,
  options: { since?: number; workflowId?: string; onError: (error: unknown) => void },
): void {
  const stop = new AbortController();
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  keepAlive.unref();
  const end = () => stop.abort();
  req.on('close', end);
  res.on('close', end);
  const events = store.follow({
    since: options.since,
    workflowId: options.workflowId,
    signal: stop.signal,
    pollIntervalMs: POLL_INTERVAL_MS,
  });
  void (async () => {
    try {
      for await (const event of events) {
        if (stop.signal.aborted) break;
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(eventData(event))}\n\n`);
      }
    } catch (error) {
      // The stream is already 200: say it in the stream (without the database's words, which go
      // to onError as every other failure's do), then end it; the browser reconnects.
      options.onError(error);
      if (!res.destroyed) res.write(`event: failure\ndata: ${JSON.stringify({ message: 'Reading the history failed' })}\n\n`);
    } finally {
      clearInterval(keepAlive);
      req.removeListener('close', end);
      if (!res.writableEnded) res.end();
    }
  })();
}

function eventData(event: FollowEvent): object {
  return event.type === 'execution'
    ? { change: event.change, execution: summarizeExecution(event.execution) }
    : { change: event.change, step: summarizeStep(event.step) };
}
