import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistoryHandler } from './createHistoryHandler';
import { sendError, setSecurityHeaders } from './responses';

/** `localhost`, `127.x.x.x` and `[::1]`, with or without a port. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/**
 * Answers only requests addressed to a loopback name, for `flowtrail ui` without a token: a web
 * page elsewhere that points its own domain at 127.0.0.1 (DNS rebinding) would otherwise be
 * same-origin with the viewer and could read the history. Its requests carry that domain in
 * `Host`, and are refused.
 */
export function loopbackHostGate(handler: HistoryHandler): HistoryHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (LOOPBACK_HOST.test(req.headers.host ?? '')) return handler(req, res);
    setSecurityHeaders(res);
    sendError(res, 421, 'This viewer answers only at localhost or 127.0.0.1 (start it with --token to serve another name)');
  };
}
