import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MIN_TOKEN_LENGTH, tokenGate } from '../../src';

const TOKEN = 'a-token-of-enough-length';

/** A real server whose handler behind the gate answers 200 `inner`. */
async function gated(token = TOKEN): Promise<{ server: Server; base: string }> {
  const server = createServer(tokenGate(token, (_req, res) => res.end('inner')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** GET a raw request target (fetch would normalize `/.//x`), with headers. */
function get(base: string, target: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(`${base}${target}`, { headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.path = target;
    req.on('error', reject);
    req.end();
  });
}

describe('tokenGate', () => {
  test(`a token shorter than ${MIN_TOKEN_LENGTH} characters is refused`, () => {
    expect(() => tokenGate('x'.repeat(MIN_TOKEN_LENGTH - 1), () => undefined)).toThrow(RangeError);
    expect(() => tokenGate('x'.repeat(MIN_TOKEN_LENGTH), () => undefined)).not.toThrow();
  });

  test('the cookie holds a session id, never the token, under a name of its own per port', async () => {
    const one = await gated();
    const two = await gated();
    try {
      const opened = await get(one.base, `/?token=${TOKEN}`);
      expect(opened.status).toBe(303);
      const cookie = String(opened.headers['set-cookie']).split(';')[0]!;
      expect(cookie).not.toContain(TOKEN);
      expect(cookie).not.toContain(encodeURIComponent(TOKEN));
      expect((await get(one.base, '/', { Cookie: cookie })).status).toBe(200);
      // The other viewer's gate neither accepts it nor shares its name.
      expect((await get(two.base, '/', { Cookie: cookie })).status).toBe(401);
      const other = String((await get(two.base, `/?token=${TOKEN}`)).headers['set-cookie']).split('=')[0];
      expect(other).not.toBe(cookie.split('=')[0]);
      // A viewer started again on the same port replaces its cookie instead of adding another.
      expect(cookie.split('=')[0]).toBe(`flowtrail_session_${new URL(one.base).port}`);
      // The token itself as the cookie's value is not a session.
      expect((await get(one.base, '/', { Cookie: `${cookie.split('=')[0]}=${TOKEN}` })).status).toBe(401);
    } finally {
      one.server.close();
      two.server.close();
    }
  });

  test('behind a router that sets originalUrl (Express), the redirect keeps the mount prefix', async () => {
    const gate = tokenGate(TOKEN, (_req, res) => res.end('inner'));
    const server = createServer((req, res) => {
      // What an Express router mounted at /admin/history does before calling the handler.
      Object.assign(req, { originalUrl: req.url, url: req.url!.replace(/^\/admin\/history/, '') || '/' });
      gate(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const opened = await get(base, `/admin/history/executions/x?token=${TOKEN}&a=1`);
      expect(opened.status).toBe(303);
      expect(opened.headers.location).toBe('/admin/history/executions/x?a=1');
    } finally {
      server.close();
    }
  });

  test('the redirect that drops the token never points at another host', async () => {
    const { server, base } = await gated();
    try {
      for (const target of [`/.//evil.example/?token=${TOKEN}`, `/..//evil.example/x?token=${TOKEN}&a=1`]) {
        const opened = await get(base, target);
        expect(opened.status).toBe(303);
        const location = String(opened.headers.location);
        expect(location).toMatch(/^\/(?!\/)/);
        expect(new URL(location, base).host).toBe(new URL(base).host);
      }
    } finally {
      server.close();
    }
  });
});
