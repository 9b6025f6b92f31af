import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MIN_TOKEN_LENGTH } from '../src';

/**
 * The token the examples ask for: `HISTORY_TOKEN`, refused when too short to guard anything, or
 * one made up (and printed by the example) when it is not set.
 */
export function historyToken(): string {
  const given = process.env.HISTORY_TOKEN;
  if (!given) return randomBytes(16).toString('hex');
  if (given.length < MIN_TOKEN_LENGTH) throw new Error(`HISTORY_TOKEN must be ${MIN_TOKEN_LENGTH} characters or more`);
  return given;
}

/**
 * The mounting examples' `authorize` hook: whether the request carries `token`, as a bearer token
 * (scripts) or as the password of Basic authentication (what a browser asks for on a 401 with
 * `WWW-Authenticate: Basic`). Your app would check its own session or roles here instead.
 */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const [scheme = '', value = ''] = (req.headers.authorization ?? '').split(' ', 2);
  let given: string | undefined;
  if (scheme.toLowerCase() === 'bearer') given = value;
  if (scheme.toLowerCase() === 'basic') given = Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':');
  // Compared as digests, in constant time: equal lengths whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** Resolves on the first SIGTERM or Ctrl-C. */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
