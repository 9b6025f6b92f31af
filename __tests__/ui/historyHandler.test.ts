import { request, type IncomingHttpHeaders } from 'node:http';
import type { Server } from 'node:http';
import { ConfigError, createHistoryHandler, type ExecutionStore, type FollowOptions } from '../../src';
import { CONTENT_SECURITY_POLICY } from '../../src/ui';
import { databaseKinds, makeDatabase, type TestDatabase } from '../support/databases';
import { Gate, serveViewer, stopServer, ViewerHistory, XSS } from '../support/viewerFixture';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

function get(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function expectSecurityHeaders(answer: Answer): void {
  expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
}

/** Every execution the API lists for `query`, page after page. */
async function listAll(base: string, query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const answer = await get(`${base}/api/executions?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    ids.push(...answer.json.items.map((item: { id: string }) => item.id));
    cursor = answer.json.nextCursor;
  } while (cursor);
  return ids;
}

// The handler reads through the store's query API alone: SQLite and the two servers.
describe.each(databaseKinds.filter((kind) => kind !== 'better-sqlite3'))('the history handler on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let history: ViewerHistory;
  let server: Server;
  let base: string;
  const follows: FollowOptions[] = [];

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    history = new ViewerHistory(store);
    await history.seed();
    // The real follow, with its options kept: the stream's signal must be aborted when the client leaves.
    const follow = store.follow.bind(store);
    store.follow = (options?: FollowOptions) => {
      follows.push(options ?? {});
      return follow(options);
    };
    ({ server, url: base } = await serveViewer(store));
  });

  afterAll(async () => {
    await stopServer(server);
    await history.close();
    await store.close();
    await db.drop();
  });

  test('lists executions newest first, without payloads, with filters read as the CLI reads them', async () => {
    const before = Date.now();
    const all = await get(`${base}/api/executions`);
    // The server's clock as it read the page, for the page's live stream to start from.
    expect(all.json.now).toBeGreaterThanOrEqual(before);
    expect(all.json.now).toBeLessThanOrEqual(Date.now());
    expectSecurityHeaders(all);
    expect(all.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(all.json.items.map((item: { workflowId: string }) => item.workflowId)).toEqual([
      XSS.img,
      'refund',
      'order-sync',
      'order-sync',
      'order-sync',
    ]);
    for (const item of all.json.items) {
      expect(item).not.toHaveProperty('triggerData');
      expect(item).not.toHaveProperty('metadata');
      expect(item.hasTriggerData).toBe(true);
    }
    // No stored "<" reaches the body as one: JSON that no sniffer can read as markup.
    expect(all.text).not.toMatch(/[<>]/);
    expect(all.json.items[0].workflowName).toBe(XSS.script);

    const ordersOf = async (query: string) =>
      (await get(`${base}/api/executions?${query}`)).json.items.map((item: { tags: { tenant: string } }) => item.tags.tenant);
    expect(await ordersOf('workflow=order-sync&status=success')).toEqual(['globex', 'acme']);
    expect(await ordersOf('tag=tenant%3Dacme')).toEqual(['acme', 'acme']);
    expect(await ordersOf('trigger=webhook&status=error')).toEqual(['acme']);
    const where = await get(`${base}/api/executions?where=${encodeURIComponent('output.code=05')}`);
    expect(where.json.items).toHaveLength(1);
    const [matched] = Object.values(where.json.matchingSteps as Record<string, { nodeId: string; outputData?: unknown }[]>);
    expect(matched!.map((step) => step.nodeId)).toEqual(['charge']);
    expect(matched![0]).not.toHaveProperty('outputData');
    expect((await get(`${base}/api/executions?since=1h&until=2999-01-01`)).json.items).toHaveLength(5);
    expect((await get(`${base}/api/executions?until=2000-01-01`)).json.items).toHaveLength(0);
    expect((await get(`${base}/api/executions?trace=${'ab'.repeat(16)}`)).json.items).toHaveLength(0);
    // Keyset pages: every run once, in order, whatever the page size.
    const ids = all.json.items.map((item: { id: string }) => item.id);
    expect(await listAll(base, '', 2)).toEqual(ids);
    expect(await listAll(base, 'workflow=order-sync', 1)).toEqual(ids.slice(2));
  });

  test('a bad parameter is a 400 naming it, as JSON', async () => {
    const cases: [string, string][] = [
      ['status=bogus', 'status'],
      ['where=zzz', 'where'],
      [`where=${encodeURIComponent('output.amount>lots')}`, 'where'],
      ['since=yesterday', 'since'],
      ['since=1h&until=2h', 'since'],
      ['tag=novalue', 'tag'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['step-status=done', 'step-status'],
      ['workflow=a&workflow=b', 'workflow'],
      ['trace=not-a-trace', 'trace'],
      // Refused by the store itself (a QueryError), not by the handler's parsing.
      ['cursor=not-a-cursor', 'cursor'],
    ];
    for (const [query, field] of cases) {
      const answer = await get(`${base}/api/executions?${query}`);
      expect({ query, status: answer.status, field: answer.json?.error?.field }).toEqual({ query, status: 400, field });
      expect(typeof answer.json.error.message).toBe('string');
      expectSecurityHeaders(answer);
    }
    expect((await get(`${base}/api/stats?since=never`)).json.error.field).toBe('since');
    expect((await get(`${base}/api/compare?a=x`)).json.error.field).toBe('b');
  });

  test('an execution comes with its steps without payloads; a step brings its payloads on demand, redaction and truncation as stored', async () => {
    const [failed] = (await get(`${base}/api/executions?workflow=order-sync&status=error`)).json.items;
    const detail = await get(`${base}/api/executions/${failed.id}`);
    expect(detail.status).toBe(200);
    expect(detail.json.execution).toMatchObject({ id: failed.id, status: 'error', errorMessage: 'card declined: amount below zero' });
    expect(detail.json.steps.map((step: { nodeId: string; status: string }) => [step.nodeId, step.status])).toEqual([
      ['fetch', 'success'],
      ['charge', 'error'],
    ]);
    for (const step of detail.json.steps) for (const key of ['inputData', 'outputData', 'errorStack']) expect(step).not.toHaveProperty(key);
    const charge = detail.json.steps[1];
    expect(charge).toMatchObject({ hasInput: true, hasOutput: false, hasErrorStack: true });
    const data = await get(`${base}/api/executions/${failed.id}/steps/${charge.id}`);
    expect(data.json.input).toMatchObject({ amount: -1, password: '[REDACTED]' });
    expect(data.json.errorMessage).toBe('card declined: amount below zero');
    expect(data.json.errorStack).toContain('card declined');

    const [big] = (await get(`${base}/api/executions?tag=tenant%3Dacme&status=success`)).json.items;
    const bigSteps = (await get(`${base}/api/executions/${big.id}`)).json.steps;
    const fetched = await get(`${base}/api/executions/${big.id}/steps/${bigSteps[0].id}`);
    expect(fetched.json.output).toMatchObject({ _truncated: true, _originalSize: expect.any(Number), _preview: expect.any(String) });
    const trigger = await get(`${base}/api/executions/${big.id}/data`);
    expect(trigger.json.triggerData).toMatchObject({ orderId: 'o-1', password: '[REDACTED]' });

    expect((await get(`${base}/api/executions/nope`)).status).toBe(404);
    expect((await get(`${base}/api/executions/${big.id}/steps/nope`)).status).toBe(404);
    expect((await get(`${base}/api/executions/%E0%A4%A`)).status).toBe(400);
  });

  test('compare, stats and the workflow list answer from the store', async () => {
    const [b, a] = (await get(`${base}/api/executions?workflow=order-sync&status=success`)).json.items;
    const compared = await get(`${base}/api/compare?a=${a.id}&b=${b.id}`);
    expect(compared.status).toBe(200);
    expect(compared.json.a.id).toBe(a.id);
    expect((await get(`${base}/api/compare?a=${a.id}&b=missing`)).status).toBe(404);
    const stats = await get(`${base}/api/stats?workflow=order-sync`);
    expect(stats.json).toMatchObject({ total: 3, success: 2, error: 1 });
    expect((await get(`${base}/api/workflows`)).json.workflows).toEqual(expect.arrayContaining(['order-sync', 'refund', XSS.img]));
  });

  test('pages, assets and refusals: no inline script, no path out of the asset map, read-only', async () => {
    for (const path of ['/', '/executions/some-id', '/compare']) {
      const page = await get(`${base}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expectSecurityHeaders(page);
      // Every script is a file of ours: nothing inline the CSP would have to allow.
      expect(page.text.match(/<script[^>]*>/g)).toEqual(['<script defer src="/assets/app.js">']);
    }
    const script = await get(`${base}/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expectSecurityHeaders(script);
    expect((await get(`${base}/assets/app.js`, { headers: { 'If-None-Match': script.headers.etag! } })).status).toBe(304);
    for (const path of [
      '/assets/../package.json',
      '/assets/..%2F..%2Fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/',
      '/nope',
    ]) {
      const answer = await get(`${base}${path}`);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expectSecurityHeaders(answer);
    }
    const post = await get(`${base}/api/executions`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  test('/api/events streams a new run and its end, and stops following when the client leaves', async () => {
    const gate = new Gate();
    const events: { type: string; data: any }[] = [];
    const before = follows.length;
    const req = request(`${base}/api/events`);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) });
      }
    });
    const held = history.startHeld(gate, 'sse');
    const seen = async (test: (event: { type: string; data: any }) => boolean) => {
      for (let i = 0; i < 200 && !events.some(test); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      return events.find(test);
    };
    const started = await seen((e) => e.type === 'execution' && e.data.execution.workflowId === 'held-sync');
    expect(started?.data).toMatchObject({ change: 'new', execution: { status: 'running' } });
    expect(started?.data.execution).not.toHaveProperty('triggerData');
    expect(await seen((e) => e.type === 'step' && e.data.step.nodeId === 'wait' && e.data.step.status === 'running')).toBeDefined();
    gate.release();
    await held;
    await history.logger.flush();
    expect(await seen((e) => e.type === 'execution' && e.data.change === 'updated' && e.data.execution.status === 'success')).toBeDefined();

    expect(follows.length).toBe(before + 1);
    const signal = follows[before]!.signal!;
    expect(signal.aborted).toBe(false);
    req.destroy();
    for (let i = 0; i < 100 && !signal.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(signal.aborted).toBe(true);
  });
});

describe('the history handler options', () => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  test('authorize answers 401 or 403 before anything is read, asset or API', async () => {
    let verdict: boolean | 401 | 403 = false;
    const { server, url } = await serveViewer(store, { authorize: async () => verdict });
    try {
      for (const path of ['/api/executions', '/assets/app.js', '/']) {
        verdict = false;
        const denied = await get(`${url}${path}`);
        expect({ path, status: denied.status }).toEqual({ path, status: 401 });
        expect(denied.json.error.status).toBe(401);
        expectSecurityHeaders(denied);
        verdict = 403;
        expect((await get(`${url}${path}`)).status).toBe(403);
        verdict = true;
        expect((await get(`${url}${path}`)).status).toBe(200);
      }
    } finally {
      await stopServer(server);
    }
  });

  test("a live stream whose reads fail says so in the stream without the database's words, which go to onError", async () => {
    const own = makeDatabase('sqlite');
    const failing = await own.open();
    const errors: unknown[] = [];
    const { server, url } = await serveViewer(failing, { onError: (error) => errors.push(error) });
    try {
      const req = request(`${url}/api/events`);
      const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise((resolve) => response.on('end', resolve));
      // The history's tables gone under the stream: the next poll fails.
      await failing.dataSource.query('DROP TABLE execution_steps');
      await failing.dataSource.query('DROP TABLE execution_tags');
      await failing.dataSource.query('DROP TABLE workflow_executions');
      await ended;
      expect(text).toContain('event: failure\ndata: {"message":"Reading the history failed"}');
      expect(text).not.toMatch(/no such table|workflow_executions|SQLITE/i);
      expect(errors.map((error) => String(error))).toEqual([expect.stringMatching(/no such table/)]);
    } finally {
      await stopServer(server);
      await failing.close();
      await own.drop();
    }
  });

  test('basePath puts everything below it, the page included, and nothing outside', async () => {
    const { server, url } = await serveViewer(store, { basePath: '/history/' });
    const root = url.replace(/\/history\/$/, '');
    try {
      expect((await get(`${root}/history/api/executions`)).status).toBe(200);
      const page = await get(`${root}/history`);
      expect(page.text).toContain('<script defer src="/history/assets/app.js">');
      expect(page.text).toContain('data-base="/history"');
      expect((await get(`${root}/history/assets/app.js`)).status).toBe(200);
      expect((await get(`${root}/api/executions`)).status).toBe(404);
      expect((await get(`${root}/historyx/api/executions`)).status).toBe(404);
      // Paths that only resolve into the prefix are refused, not served: a host app guarding
      // `/history` would never see them as its own. Sent as they are (a URL string would be resolved first).
      const { hostname, port } = new URL(root);
      for (const path of [
        '/x/../history/api/executions',
        '/x/%2e%2e/history/api/executions',
        '/history/./api/executions',
        '//history/api/executions',
        '/history/api%2fexecutions',
      ]) {
        const answer = await new Promise<number>((resolve, reject) => {
          request({ hostname, port, path }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end();
        });
        expect({ path, status: answer }).toEqual({ path, status: 404 });
      }
    } finally {
      await stopServer(server);
    }
    expect(() => createHistoryHandler(store, { basePath: 'history' })).toThrow(ConfigError);
    expect(() => createHistoryHandler(store, { basePath: '/a"b' })).toThrow(ConfigError);
  });
});
