import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistoryHandler } from './createHistoryHandler';
import { sendError, setSecurityHeaders } from './responses';

const COOKIE = 'flowtrail_token';

/**
 * Puts a shared secret in front of a handler, for `flowtrail ui --token`: a request passes with
 * `Authorization: Bearer <token>`, or with the cookie that opening the printed URL
 * (`?token=<token>`) sets. That URL answers with a redirect to itself without the token, so the
 * secret does not stay in the address bar, the history or a shared link; the cookie is HttpOnly and
 * SameSite=Strict, so neither a script nor another site's page can use it.
 */
export function tokenGate(token: string, handler: HistoryHandler): HistoryHandler {
  const expected = digest(token);
  const matches = (given: string | undefined) => given !== undefined && timingSafeEqual(digest(given), expected);
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://viewer.invalid');
    const fromQuery = url.searchParams.get('token') ?? undefined;
    if (fromQuery !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      setSecurityHeaders(res);
      if (!matches(fromQuery)) return sendError(res, 401, 'Not authorized: the token in the URL is wrong');
      url.searchParams.delete('token');
      res.statusCode = 303;
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      res.setHeader('Location', `${url.pathname}${url.search}`);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (matches(bearer) || matches(cookie(req, COOKIE))) return handler(req, res);
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
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
