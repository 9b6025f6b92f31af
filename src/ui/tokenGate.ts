import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistoryHandler } from './createHistoryHandler';
import { sendError, setSecurityHeaders } from './responses';

/** The shortest token `tokenGate` accepts: 16 characters, as `openssl rand -hex 8` prints. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Puts a shared secret in front of a handler, for `flowtrail ui --token`: a request passes with
 * `Authorization: Bearer <token>`, or with the session cookie that opening the printed URL
 * (`?token=<token>`) sets. That URL answers with a redirect to itself without the token, so the
 * secret does not stay in the address bar, the history or a shared link.
 *
 * The cookie holds a random session id made when the gate is made, never the token: cookies are
 * sent to every port of a host, so another local server would otherwise receive the token itself.
 * Its name carries the port the request was addressed to, so two viewers on two ports keep their
 * own, and a restarted viewer replaces its old one instead of adding one more. It is HttpOnly and
 * SameSite=Strict: neither a script nor another site's page can use it.
 *
 * @throws RangeError when the token is shorter than MIN_TOKEN_LENGTH.
 */
export function tokenGate(token: string, handler: HistoryHandler): HistoryHandler {
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new RangeError(`the viewer's token must be ${MIN_TOKEN_LENGTH} characters or more`);
  }
  const expected = digest(token);
  const session = randomBytes(32).toString('base64url');
  const expectedSession = digest(session);
  const matches = (given: string | undefined, wanted: Buffer) => given !== undefined && timingSafeEqual(digest(given), wanted);
  return (req: IncomingMessage, res: ServerResponse) => {
    const cookieName = `flowtrail_session_${/:(\d{1,5})$/.exec(req.headers.host ?? '')?.[1] ?? 'default'}`;
    // Express hands a mounted handler the rest of the path in `url` and the whole in `originalUrl`:
    // the redirect must keep the mount's prefix.
    const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const url = new URL(raw, 'http://viewer.invalid');
    const fromQuery = url.searchParams.get('token') ?? undefined;
    if (fromQuery !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      setSecurityHeaders(res);
      if (!matches(fromQuery, expected)) return sendError(res, 401, 'Not authorized: the token in the URL is wrong');
      url.searchParams.delete('token');
      res.statusCode = 303;
      res.setHeader('Set-Cookie', `${cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict`);
      // One leading slash: `//host/` in Location would send the browser to another host.
      res.setHeader('Location', `${url.pathname.replace(/^\/+/, '/')}${url.search}`);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (matches(bearer, expected) || matches(cookie(req, cookieName), expectedSession)) return handler(req, res);
    setSecurityHeaders(res);
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'Not authorized: open the URL that flowtrail ui printed, with its token');
  };
}

/** Compared as digests: equal lengths for timingSafeEqual, whatever was sent. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
