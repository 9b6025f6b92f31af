import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { createHistoryHandler, type ExecutionStore } from '../../src';
import { makeDatabase, tempDir, type TestDatabase } from '../support/databases';
import { stopServer, ViewerHistory } from '../support/viewerFixture';

const root = join(__dirname, '..', '..');
const TOKEN = 'mount-test-token';
const bearer = { Authorization: `Bearer ${TOKEN}` };
const DEMO_WORKFLOWS = ['order-processing', 'payment-capture', 'refund-approval', 'invoice-run', 'crm-sync'];

/** An example started as a child process on a free port, in a folder of its own, with the URL it printed. */
function startExample(script: string, dir: string, token = TOKEN) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [join(root, 'build', 'examples', script)], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HISTORY_TOKEN: token, FLOWTRAIL_DB: join(dir, 'history.sqlite'), NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const viewer = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /History viewer: (\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`${script} exited ${code}: ${stderr}`)));
  });
  return { child, viewer, exited, output: () => ({ stdout, stderr }) };
}

/** The viewer's script and stylesheet, as the page names them. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]*\/assets\/[^"]+)"/g)].map((match) => match[1]!);
}

describe('the mounting examples, run as an application runs them', () => {
  beforeAll(() => {
    // The examples as `npm run example:*` runs them: compiled by tsconfig.run.json into build/.
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.run.json'], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  describe.each([
    ['Express', 'express.js', /^Express app: (\S+)$/m, { app: 'shop', orders: 3, history: '/history/' }],
    ['NestJS', 'nestjs/viewer.js', /^NestJS app: (\S+)$/m, { app: 'shop', framework: 'nestjs', history: '/history/' }],
  ])('%s', (_name, script, appLine, appBody) => {
    let dir: string;
    let example: ReturnType<typeof startExample>;
    let viewer: string;

    beforeAll(async () => {
      dir = tempDir('flowtrail-mount-');
      example = startExample(script, dir);
      viewer = await example.viewer;
    }, 60_000);
    afterAll(() => {
      if (example.child.exitCode === null) example.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test('prints its URLs and serves the viewer at /history/ with the runs it recorded', async () => {
      expect(viewer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/history\/$/);
      const appUrl = appLine.exec(example.output().stdout)?.[1];
      expect(appUrl).toBe(viewer.replace(/history\/$/, ''));

      const page = await fetch(viewer, { headers: bearer });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const assets = assetsOf(await page.text());
      expect(assets.length).toBeGreaterThanOrEqual(2);
      for (const asset of assets) {
        expect(asset.startsWith('/history/assets/')).toBe(true);
        const answer = await fetch(new URL(asset, viewer), { headers: bearer });
        expect([asset, answer.status]).toEqual([asset, 200]);
        expect((await answer.text()).length).toBeGreaterThan(100);
      }

      const list = (await (await fetch(`${viewer}api/executions`, { headers: bearer })).json()) as {
        items: { workflowId: string; status: string }[];
      };
      expect(new Set(list.items.map((item) => item.workflowId))).toEqual(new Set([...DEMO_WORKFLOWS, 'tax-calculation']));
      expect(list.items.find((item) => item.workflowId === 'payment-capture')?.status).toBe('error');
      // An execution page of the viewer, by its own path.
      expect((await fetch(`${viewer}executions/x`, { headers: { Authorization: `Basic ${btoa(`anyone:${TOKEN}`)}` } })).status).toBe(200);
    });

    test('authorize refuses a request without the token, or with a wrong one, and the browser is asked for it', async () => {
      const attempts: Record<string, string>[] = [
        {},
        { Authorization: 'Bearer wrong-token' },
        { Authorization: `Basic ${btoa('anyone:wrong')}` },
      ];
      for (const headers of attempts) {
        for (const path of ['', 'api/executions', 'assets/app.js']) {
          const refused = await fetch(`${viewer}${path}`, { headers });
          expect([path, refused.status]).toEqual([path, 401]);
        }
      }
      expect((await fetch(viewer)).headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    test('paths outside /history are the app’s own', async () => {
      const app = viewer.replace(/history\/$/, '');
      const home = await fetch(app);
      expect(home.status).toBe(200);
      expect(await home.json()).toEqual(appBody);
      // The app's own 404s: not the viewer's JSON error, and no token asked for.
      for (const path of ['historyx', 'api/executions', 'orders/history']) {
        const other = await fetch(`${app}${path}`);
        expect([path, other.status]).toEqual([path, 404]);
        expect(other.headers.get('www-authenticate')).toBeNull();
        expect(await other.text()).not.toContain('"error":{"status"');
      }
    });

    test('SIGTERM ends an open live stream, closes the database and exits 0', async () => {
      const stream = await fetch(`${viewer}api/events`, { headers: bearer });
      expect(stream.status).toBe(200);
      example.child.kill('SIGTERM');
      expect(await example.exited).toBe(0);
      expect(example.output().stdout).toMatch(/Stopped\.\n$/);
      expect(example.output().stderr).toBe('');
    });

    test('a HISTORY_TOKEN too short to guard anything is refused before it serves', async () => {
      const short = startExample(script, dir, 'short-token');
      await expect(short.viewer).rejects.toThrow(/HISTORY_TOKEN must be 16 characters or more/);
      expect(await short.exited).not.toBe(0);
    });
  });
});

describe('createHistoryHandler in an Express router mounted at a nested prefix', () => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
    const history = new ViewerHistory(store);
    await history.seed();
    await history.close();
    // Express hands the handler `/api/executions` in req.url and the whole path in req.originalUrl.
    const admin = express.Router();
    admin.get('/', (_req, res) => void res.send('admin home'));
    admin.use('/history', createHistoryHandler(store, { basePath: '/admin/history' }));
    // The same handler mounted without its basePath: every request is outside '' + originalUrl's prefix.
    admin.use('/forgot', createHistoryHandler(store));
    const app = express();
    app.use('/admin', admin);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stopServer(server);
    await store.close();
    await db.drop();
  });

  test('pages, assets and API answer at /admin/history, from req.originalUrl', async () => {
    const page = await fetch(`${origin}/admin/history/`);
    expect(page.status).toBe(200);
    const assets = assetsOf(await page.text());
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset.startsWith('/admin/history/assets/')).toBe(true);
      expect((await fetch(`${origin}${asset}`)).status).toBe(200);
    }
    const list = (await (await fetch(`${origin}/admin/history/api/executions?workflow=order-sync&status=error`)).json()) as {
      items: { workflowId: string; status: string }[];
    };
    expect(list.items.map((item) => [item.workflowId, item.status])).toEqual([['order-sync', 'error']]);
    expect((await fetch(`${origin}/admin/history`)).status).toBe(200);
    expect(await (await fetch(`${origin}/admin/`)).text()).toBe('admin home');
  });

  test('mounted without the basePath it is under, the 404 says what to give', async () => {
    const answer = await fetch(`${origin}/admin/forgot/api/executions`);
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(
      /give createHistoryHandler the path it is mounted at/,
    );
  });

  test('a path that reaches the prefix only once resolved is refused, not served', async () => {
    for (const path of ['/admin/x/..%2fhistory/api/executions', '/admin/history/%2e%2e/history/api/executions']) {
      // Sent as written (a URL, as fetch takes, would resolve the dot segments first).
      const status = await new Promise<number>((resolve, reject) =>
        get({ host: '127.0.0.1', port: new URL(origin).port, path }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject),
      );
      expect([path, status]).toEqual([path, 404]);
    }
  });
});
