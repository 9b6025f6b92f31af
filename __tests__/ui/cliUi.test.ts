import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ExecutionStore } from '../../src';
import { cli, CLI_MAIN } from '../support/cli';
import { cliArgs, makeDatabase, type TestDatabase } from '../support/databases';
import { ViewerHistory } from '../support/viewerFixture';

/** Starts `flowtrail ui` and resolves with the URL it printed, and a way to stop it with Ctrl-C. */
function startUi(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI_MAIN, 'ui', ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /flowtrail viewer: (\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`flowtrail ui exited ${code}: ${stderr}`)));
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

/** The status of GET `url` sent with this Host header. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}api/executions`, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('flowtrail ui', () => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
    const history = new ViewerHistory(store);
    await history.seed();
    await history.close();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  test('serves the history read-only on loopback, prints its URL, and stops on Ctrl-C with exit code 0', async () => {
    const ui = startUi([...cliArgs(db), '--port', '0']);
    const url = await ui.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const list = (await (await fetch(`${url}api/executions`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(5);
    expect((await fetch(url)).headers.get('content-security-policy')).toContain("script-src 'self'");
    // A page of another site pointing its name at 127.0.0.1 (DNS rebinding) is refused; loopback names pass.
    const port = new URL(url).port;
    expect(await statusWithHost(url, `evil.example:${port}`)).toBe(421);
    expect(await statusWithHost(url, `localhost:${port}`)).toBe(200);
    expect(await statusWithHost(url, `[::1]:${port}`)).toBe(200);
    // An open live stream does not keep the process from stopping.
    const stream = await fetch(`${url}api/events`);
    expect(stream.status).toBe(200);
    ui.child.kill('SIGINT');
    expect(await ui.exited).toBe(0);
    expect(ui.output().stderr).toContain('read-only');
  });

  test('off loopback it refuses to start without a token; with one, every request needs it', async () => {
    const refused = await cli(['ui', ...cliArgs(db), '--host', '0.0.0.0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--host 0\.0\.0\.0 .*--token/);
    const short = await cli(['ui', ...cliArgs(db), '--host', '0.0.0.0', '--token', 'fifteen-chars!!']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/16 characters or more/);

    const token = 'correct-horse-battery';
    const ui = startUi([...cliArgs(db), '--port', '0', '--host', '127.0.0.1'], { FLOWTRAIL_UI_TOKEN: token });
    try {
      const url = await ui.url;
      expect(url).toMatch(new RegExp(`/\\?token=${token}$`));
      const bare = url.replace(/\?.*$/, '');
      expect((await fetch(`${bare}api/executions`)).status).toBe(401);
      expect((await fetch(`${bare}api/executions`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${bare}api/executions`, { headers: { Authorization: 'Bearer wrong-token-here' } })).status).toBe(401);
      const opened = await fetch(url, { redirect: 'manual' });
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe('/');
      const cookie = opened.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect((await fetch(`${bare}api/executions`, { headers: { Cookie: cookie.split(';')[0]! } })).status).toBe(200);
      expect((await fetch(`${bare}?token=nope`, { redirect: 'manual' })).status).toBe(401);
    } finally {
      ui.child.kill('SIGINT');
      await ui.exited;
    }
  });

  test('a port in use is a clear error with exit code 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const result = await cli(['ui', ...cliArgs(db), '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const bad = await cli(['ui', ...cliArgs(db), '--port', '70000']);
    expect(bad.code).toBe(2);
    const help = await cli(['ui', '--help']);
    expect(help.stdout).toContain('4848');
  });
});
