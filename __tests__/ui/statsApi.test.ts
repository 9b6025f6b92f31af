import { request, type Server } from 'node:http';
import type { ExecutionStore } from '../../src';
import { databaseKinds, makeDatabase, type TestDatabase } from '../support/databases';
import { serveViewer, stopServer, ViewerHistory } from '../support/viewerFixture';

function get(url: string): Promise<{ status: number; type: string; json: any }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
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
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), json });
      });
    })
      .on('error', reject)
      .end();
  });
}

// The series route reads through the store's query API alone: SQLite and the two servers.
describe.each(databaseKinds.filter((kind) => kind !== 'better-sqlite3'))('/api/stats/series on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let history: ViewerHistory;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    history = new ViewerHistory(store);
    await history.seed();
    ({ server, url: base } = await serveViewer(store, { basePath: '/history' }));
  });
  afterAll(async () => {
    await stopServer(server);
    await history.close();
    await store.close();
    await db.drop();
  });

  test('the totals of the range and its buckets, which add up to them', async () => {
    const answer = await get(`${base}/api/stats/series?since=1h&workflow=order-sync`);
    expect(answer.status).toBe(200);
    const { totals, buckets, bucketMs, since, until } = answer.json;
    expect(until - since).toBe(3_600_000);
    expect(bucketMs).toBe(60_000);
    expect(buckets).toHaveLength(60);
    const stats = await store.getStats({ workflowId: 'order-sync', since, until });
    expect(totals).toEqual({
      total: stats.total,
      success: stats.success,
      error: stats.error,
      interrupted: stats.interrupted,
      running: stats.running,
      failureRate: 1 / 3,
      p50DurationMs: stats.p50DurationMs,
      p95DurationMs: stats.p95DurationMs,
    });
    expect(totals).toMatchObject({ total: 3, success: 2, error: 1 });
    const sum = (key: string) => buckets.reduce((total: number, bucket: Record<string, number>) => total + bucket[key]!, 0);
    expect([sum('total'), sum('success'), sum('error')]).toEqual([3, 2, 1]);
    expect(buckets).toEqual((await store.getStatsOverTime({ workflowId: 'order-sync', since, until })).buckets);
  });

  test('without parameters, the last 24 hours of every workflow; with bucket, that size', async () => {
    const day = await get(`${base}/api/stats/series`);
    expect(day.json.until - day.json.since).toBe(24 * 3_600_000);
    expect(day.json.totals.total).toBe((await store.getStats({})).total);
    const sized = await get(`${base}/api/stats/series?since=2h&bucket=10m`);
    expect(sized.json.bucketMs).toBe(600_000);
    expect(sized.json.buckets).toHaveLength(12);
    const dated = await get(`${base}/api/stats/series?since=2026-01-01T00:00Z&until=2026-01-02T00:00Z`);
    expect([dated.json.since, dated.json.until]).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)]);
    expect(dated.json.totals.total).toBe(0);
  });

  test('bad parameters are a 400 naming the parameter', async () => {
    const field = async (query: string) => {
      const answer = await get(`${base}/api/stats/series?${query}`);
      expect(answer.status).toBe(400);
      return answer.json.error.field;
    };
    expect(await field('since=never')).toBe('since');
    expect(await field('since=1h&until=2h')).toBe('until');
    expect(await field('until=tomorrow')).toBe('until');
    expect(await field('bucket=fast')).toBe('bucket');
    expect(await field('bucket=1s&since=30d')).toBe('bucket');
    expect(await field('workflow=a&workflow=b')).toBe('workflow');
    // A start in the future, until left to default: since is at fault, the user gave no until.
    expect(await field(`since=${new Date(Date.now() + 3_600_000).toISOString()}`)).toBe('since');
    expect(await field(`since=${new Date(Date.now() + 3_600_000).toISOString()}&until=2026-01-01T00:00Z`)).toBe('until');
  });

  test('a range holding more runs than statsMaxRuns is a 400 naming since, counted with the workflow', async () => {
    const bounded = await serveViewer(store, { statsMaxRuns: 2 });
    try {
      const refused = await get(`${bounded.url}/api/stats/series?since=1h&workflow=order-sync`);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatchObject({ field: 'since', message: expect.stringContaining('holds 3 runs; at most 2') });
      const narrower = await get(`${bounded.url}/api/stats/series?since=1h&workflow=no-such-workflow`);
      expect(narrower.status).toBe(200);
    } finally {
      await stopServer(bounded.server);
    }
    await expect(serveViewer(store, { statsMaxRuns: -1 })).rejects.toThrow(/statsMaxRuns/);
  });

  test('/stats is a page of the viewer', async () => {
    const page = await get(`${base}/stats`);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
  });
});
