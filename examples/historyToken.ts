import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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
