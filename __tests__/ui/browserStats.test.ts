import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { uuidv7, type ExecutionStore, type NewExecution, type StatsBucket } from '../../src';
import { formatDuration } from '../../ui/format';
import { formatRate } from '../../ui/statsRange';
import { chromiumAvailable, launchChromium, watch, type Misbehaviour } from '../support/browser';
import { makeDatabase, pgAvailable, type DatabaseKind, type TestDatabase } from '../support/databases';
import { serveViewer, stopServer, ViewerHistory } from '../support/viewerFixture';

// What the page's functions see in the browser; this suite compiles without the DOM's types.
declare const window: Record<string, any>;
declare const document: { querySelector(selector: string): { value?: string } | null };

const describeInBrowser = chromiumAvailable ? describe : describe.skip;
const kinds: DatabaseKind[] = ['sqlite', ...(pgAvailable ? (['postgres'] as const) : [])];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function seriousViolations(page: Page): Promise<unknown[]> {
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run();
    return result.violations.map((violation: any) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.map((node: any) => `${node.target}: ${node.failureSummary}`),
    }));
  });
  return violations.filter((violation: { impact: string }) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** What the page shows once it has drawn `bars` bars: its range, totals and each bar's and point's figures. */
async function shown(page: Page, bars: number) {
  await page.waitForFunction((n) => (window as any).document.querySelectorAll('#chart-runs g.chart-bar').length === n, bars);
  const range = await page.$eval('.stats-range', (p) => ({
    since: Number(p.getAttribute('data-since')),
    until: Number(p.getAttribute('data-until')),
    bucketMs: Number(p.getAttribute('data-bucket-ms')),
  }));
  const totals = await page.$$eval('dl.stats-totals > div', (divs) =>
    Object.fromEntries(divs.map((div) => [div.getAttribute('data-total'), div.querySelector('dd')?.textContent ?? ''])),
  );
  const barFigures = await page.$$eval('#chart-runs g.chart-bar', (gs) =>
    gs.map((g) => ['start', 'total', 'success', 'error', 'interrupted', 'running'].map((name) => Number(g.getAttribute(`data-${name}`)))),
  );
  const points = (chart: string, series: string) =>
    page.$$eval(`#${chart} g[data-series=${series}] circle`, (circles) =>
      circles.map((circle) => [Number(circle.getAttribute('data-start')), Number(circle.getAttribute('data-value'))]),
    );
  return {
    range,
    totals,
    bars: barFigures,
    failure: await points('chart-failure-rate', 'failure'),
    p50: await points('chart-durations', 'p50'),
    p95: await points('chart-durations', 'p95'),
  };
}

/** The same figures as the store reads them for that range. */
async function fromStore(store: ExecutionStore, range: { since: number; until: number }, workflowId?: string) {
  const stats = await store.getStats({ workflowId, since: range.since, until: range.until });
  const series = await store.getStatsOverTime({ workflowId, since: range.since, until: range.until });
  const finished = stats.success + stats.error + stats.interrupted;
  const line = (value: (bucket: StatsBucket) => number | null) =>
    series.buckets.filter((bucket) => value(bucket) !== null).map((bucket) => [bucket.start, value(bucket)]);
  return {
    range: { since: series.since, until: series.until, bucketMs: series.bucketMs },
    totals: {
      runs: String(stats.total),
      'failure-rate': formatRate(finished === 0 ? null : stats.error / finished) || '—',
      p50: formatDuration(stats.p50DurationMs) || '—',
      p95: formatDuration(stats.p95DurationMs) || '—',
    },
    bars: series.buckets.map((b) => [b.start, b.total, b.success, b.error, b.interrupted, b.running]),
    failure: line((bucket) => bucket.failureRate),
    p50: line((bucket) => bucket.p50DurationMs),
    p95: line((bucket) => bucket.p95DurationMs),
  };
}

async function fieldValue(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForFunction(([s, v]) => document.querySelector(s!)?.value === v, [selector, value]);
}

describeInBrowser('the Stats page in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(kinds)('over %s', (kind) => {
    let db: TestDatabase;
    let store: ExecutionStore;
    let history: ViewerHistory;
    let server: Server;
    let base: string;
    let page: Page;
    let seen: Misbehaviour;

    beforeAll(async () => {
      db = makeDatabase(kind);
      store = await db.open();
      history = new ViewerHistory(store);
      // Runs of real decorated workflows, now; and a nightly job's older runs, written as a batch.
      await history.seed();
      const now = Date.now();
      const nightly = (ago: number, status: 'success' | 'error', durationMs: number): NewExecution & { id: string } => ({
        id: uuidv7(now - ago),
        workflowId: 'nightly',
        workflowName: 'Nightly',
        triggerType: 'schedule',
        status,
        startedAt: now - ago,
        completedAt: now - ago + durationMs,
        durationMs,
      });
      await store.writeBatch({
        executions: [
          nightly(3 * HOUR, 'success', 100),
          nightly(3 * HOUR - 1000, 'error', 300),
          nightly(5 * DAY, 'success', 50),
          nightly(6 * DAY, 'success', 70),
          nightly(40 * DAY, 'error', 10),
        ],
      });
      ({ server, url: base } = await serveViewer(store, { basePath: '/history' }));
      page = await browser.newPage();
      seen = watch(page);
    });
    afterAll(async () => {
      await page?.close();
      await stopServer(server);
      await history.close();
      await store.close();
      await db.drop();
    });
    afterEach(() => {
      const found = { ...seen };
      Object.assign(seen, { dialogs: [], consoleErrors: [], pageErrors: [] });
      expect(found).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [] });
    });

    test('the totals and every bar and point are the store’s figures for the range', async () => {
      await page.goto(`${base}/stats`);
      const day = await shown(page, 48);
      expect(day.range.until - day.range.since).toBe(DAY);
      expect(day).toEqual(await fromStore(store, day.range));
      // Five runs of the decorated workflows and the nightly two of three hours ago.
      expect(day.totals.runs).toBe('7');
      expect(day.bars.filter((bar) => bar[1]! > 0).length).toBeGreaterThanOrEqual(2);
      expect(await page.getAttribute('nav a[aria-current=page]', 'href')).toBe('/history/stats');
    });

    test('the range and the workflow go into the URL, survive a reload and come back with the back button', async () => {
      await page.goto(`${base}/stats`);
      await shown(page, 48);
      await page.selectOption('select[name=range]', '7d');
      await page.click('button[type=submit]');
      await page.waitForURL(/since=7d/);
      const week = await shown(page, 56);
      expect(new URL(page.url()).search).toBe('?since=7d');
      expect(week).toEqual(await fromStore(store, week.range));
      expect(week.totals.runs).toBe('9');

      await page.selectOption('select[name=workflow]', 'nightly');
      await page.click('button[type=submit]');
      await page.waitForURL(/workflow=nightly/);
      expect(new URL(page.url()).search).toBe('?workflow=nightly&since=7d');
      await page.waitForFunction(() => (window as any).document.querySelector('[data-total=runs] dd')?.textContent === '4');
      const nightly = await shown(page, 56);
      expect(nightly).toEqual(await fromStore(store, nightly.range, 'nightly'));
      expect(nightly.totals).toEqual({ runs: '4', 'failure-rate': '25.0%', p50: '70ms', p95: '300ms' });

      await page.reload();
      await shown(page, 56);
      await fieldValue(page, 'select[name=workflow]', 'nightly');
      await fieldValue(page, 'select[name=range]', '7d');
      expect((await shown(page, 56)).totals.runs).toBe('4');

      await page.goBack();
      expect(new URL(page.url()).search).toBe('?since=7d');
      await fieldValue(page, 'select[name=workflow]', '');
      await page.waitForFunction(() => (window as any).document.querySelector('[data-total=runs] dd')?.textContent === '9');
      await page.goBack();
      expect(new URL(page.url()).search).toBe('');
      await fieldValue(page, 'select[name=range]', '24h');
      await shown(page, 48);
    });

    test('a custom range is held in the URL in UTC and read back into its fields', async () => {
      await page.goto(`${base}/stats?since=30d`);
      const month = await shown(page, 60);
      // Forty days ago is outside the last thirty.
      expect(month.totals.runs).toBe('9');
      await page.selectOption('select[name=range]', 'custom');
      await page.fill('input[name=from]', '2026-01-01T00:00');
      await page.fill('input[name=to]', '2026-01-02T00:00');
      await page.click('button[type=submit]');
      await page.waitForURL(/until=/);
      const url = new URL(page.url());
      const since = new Date('2026-01-01T00:00').getTime();
      expect(Date.parse(url.searchParams.get('since')!)).toBe(since);
      expect(url.searchParams.get('since')).toMatch(/Z$/);
      const custom = await shown(page, 48);
      expect(custom.range).toEqual({ since, until: since + DAY, bucketMs: 30 * 60_000 });
      expect(custom.totals.runs).toBe('0');
      await page.reload();
      await fieldValue(page, 'select[name=range]', 'custom');
      await fieldValue(page, 'input[name=from]', '2026-01-01T00:00');
      await fieldValue(page, 'input[name=to]', '2026-01-02T00:00');
    });

    test('a range that ends before it starts is said next to the form, naming the field', async () => {
      await page.goto(`${base}/stats?since=2026-01-02T00:00Z&until=2026-01-01T00:00Z`);
      await page.waitForSelector('[role=alert]');
      expect(await page.textContent('[role=alert]')).toMatch(/^until: /);
      await fieldValue(page, 'select[name=range]', 'custom');
      expect(await page.getAttribute('input[name=to]', 'aria-invalid')).toBe('true');
      expect(await page.locator('svg.chart').count()).toBe(0);
      // The browser logs the 400 it was answered: expected here.
      seen.consoleErrors = seen.consoleErrors.filter((text) => !text.includes('400 (Bad Request)'));
    });

    test('a range holding more runs than the server reads is said next to the form, naming since', async () => {
      const bounded = await serveViewer(store, { basePath: '/history', statsMaxRuns: 5 });
      try {
        await page.goto(`${bounded.url}/stats?since=30d`);
        await page.waitForSelector('[role=alert]');
        expect(await page.textContent('[role=alert]')).toMatch(/^since: .*the range holds 9 runs; at most 5 are read/);
        expect(await page.locator('svg.chart').count()).toBe(0);
        // One workflow's runs fit.
        await page.goto(`${bounded.url}/stats?since=30d&workflow=nightly`);
        await shown(page, 60);
      } finally {
        await stopServer(bounded.server);
      }
      seen.consoleErrors = seen.consoleErrors.filter((text) => !text.includes('400 (Bad Request)'));
    });

    test('axe-core finds no serious violation, in the light theme and the dark', async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await page.goto(`${base}/stats?since=7d`);
        await shown(page, 56);
        await page.click('details.stats-table summary');
        expect(await seriousViolations(page)).toEqual([]);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    });
  });
});
