import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { ExecutionStore } from '../../src';
import { chromiumAvailable, launchChromium, watch, type Misbehaviour } from '../support/browser';
import { makeDatabase, pgAvailable, type DatabaseKind, type TestDatabase } from '../support/databases';
import { sleep } from '../support/sleep';
import { Gate, serveViewer, stopServer, ViewerHistory } from '../support/viewerFixture';

// What the page's functions see in the browser; this suite compiles without the DOM's types.
declare const window: Record<string, any>;
declare const document: { activeElement: { closest(selector: string): { getAttribute(name: string): string | null } | null } | null };
declare const requestAnimationFrame: (callback: () => void) => number;

const describeInBrowser = chromiumAvailable ? describe : describe.skip;
const kinds: DatabaseKind[] = ['sqlite', ...(pgAvailable ? (['postgres'] as const) : [])];
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Row {
  name: string;
  lane: string;
  depth: string;
  status: string;
  mark: string;
}

/** The timeline's step rows as drawn, top to bottom. */
function timeline(page: Page): Promise<Row[]> {
  return page.$$eval('.timeline-row[data-step]', (rows) =>
    rows.map((row) => ({
      name: row.querySelector('.timeline-name')!.textContent ?? '',
      lane: row.getAttribute('data-lane') ?? '',
      depth: row.getAttribute('data-depth') ?? '',
      status: row.querySelector('.status')!.textContent ?? '',
      mark: row.querySelector('.timeline-mark')?.textContent ?? '',
    })),
  );
}

describeInBrowser('the Execution page’s timeline and graph in Chromium', () => {
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
    let run: { id: string; childId: string };

    beforeAll(async () => {
      db = makeDatabase(kind);
      store = await db.open();
      history = new ViewerHistory(store);
      run = await history.runFulfilment();
      ({ server, url: base } = await serveViewer(store));
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

    test('parallel steps are in different lanes, a sequence in order, retries and skips said in words', async () => {
      await page.goto(`${base}/executions/${run.id}`);
      await page.waitForSelector('.timeline-row');
      const rows = await timeline(page);
      const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
      expect(rows.map((row) => row.name)).toEqual([
        'Validate',
        expect.stringMatching(/^(Price|Stock)$/),
        expect.stringMatching(/^(Price|Stock)$/),
        'CRM sync',
        'CRM sync (attempt 1/3)',
        'CRM sync (attempt 2/3)',
        expect.any(String),
        expect.any(String),
        expect.any(String),
        expect.any(String),
      ]);
      // price and stock overlapped: two lanes; validate ran alone before them.
      expect(byName.Validate!.lane).toBe('0');
      expect(new Set([byName.Price!.lane, byName.Stock!.lane])).toEqual(new Set(['0', '1']));
      // The retry's tries sit under it, the failed one marked as such in words.
      expect(byName['CRM sync']).toMatchObject({ depth: '0', status: 'success', mark: '2 tries' });
      expect(byName['CRM sync (attempt 1/3)']).toMatchObject({ depth: '1', status: 'error', mark: 'try 1' });
      expect(byName['CRM sync (attempt 2/3)']).toMatchObject({ depth: '1', status: 'success', mark: 'try 2' });
      expect(byName['Manual review']).toMatchObject({ status: 'skipped', mark: 'not taken' });
      expect(byName['Auto-approve']).toMatchObject({ status: 'success', mark: '' });
      // Bars are placed through the CSSOM: the style attribute is what Chromium wrote, not markup the CSP refused.
      expect(await page.$$eval('.timeline-bar', (bars) => bars.every((bar) => bar.getAttribute('style')?.includes('left')))).toBe(true);
    });

    test('the step that started a child execution expands it in place and links to its page', async () => {
      await page.goto(`${base}/executions/${run.id}`);
      const invoice = page.locator('.timeline-row:has(.timeline-name:text-is("Invoice"))');
      const expand = invoice.locator('.timeline-expand');
      expect(await expand.getAttribute('aria-expanded')).toBe('false');
      expect(await invoice.locator('a.timeline-open').getAttribute('href')).toBe(`/executions/${run.childId}`);
      expect(await page.locator('.timeline-row:has(.timeline-name:text-is("Look up rate"))').count()).toBe(0);
      await expand.click();
      await page.waitForSelector('.timeline-row[data-depth="1"]:has(.timeline-name:text-is("Apply rate"))');
      expect(await expand.getAttribute('aria-expanded')).toBe('true');
      const rows = await timeline(page);
      expect(rows.slice(-3).map(({ name, depth, lane }) => ({ name, depth, lane }))).toEqual([
        { name: 'Invoice', depth: '0', lane: expect.any(String) },
        { name: 'Look up rate', depth: '1', lane: '0' },
        { name: 'Apply rate', depth: '1', lane: '0' },
      ]);
      // A child's step opens in the inspector, read from the child execution.
      await page.click('.timeline-row:has(.timeline-name:text-is("Apply rate")) > button:first-child');
      await page.waitForSelector('.inspector .json-tree');
      expect(await page.textContent('.inspector')).toContain('tax: 20');
      expect(await page.textContent('pre.snippet')).toContain(`of ${run.childId} replays`);
      expect(await seriousViolations(page)).toEqual([]);
      await expand.click();
      expect(await page.locator('.timeline-row:has(.timeline-name:text-is("Apply rate"))').count()).toBe(0);
      await invoice.locator('a.timeline-open').click();
      await page.waitForSelector('h1:has-text("Tax")');
      expect(await page.getAttribute('dd a.id', 'href')).toBe(`/executions/${run.id}`);
    });

    test('the graph colours each node by its status in words, and a click selects its step', async () => {
      await page.goto(`${base}/executions/${run.id}`);
      await page.waitForSelector('.graph-node-item');
      const nodes = await page.$$eval('.graph-node-item', (items) =>
        items.map((item) => [item.getAttribute('data-node'), item.querySelector('.graph-node-status')!.textContent]),
      );
      expect(Object.fromEntries(nodes)).toEqual({
        validate: 'success',
        price: 'success',
        stock: 'success',
        crm: 'success',
        large: 'success',
        review: 'skipped',
        auto: 'success',
        invoice: 'success',
      });
      // Layers: validate first, its two branches side by side in the next column.
      const left = (id: string) =>
        page.$eval(`.graph-node-item[data-node="${id}"]`, (item) => (item as unknown as { offsetLeft: number }).offsetLeft);
      expect(await left('validate')).toBeLessThan(await left('price'));
      expect(await left('price')).toBe(await left('stock'));
      expect(await left('stock')).toBeLessThan(await left('large'));
      await page.click('.graph-node-item[data-node="stock"] button');
      await page.waitForSelector('.inspector h2:has-text("Stock")');
      expect(await page.getAttribute('.timeline-row.selected', 'data-step')).toBe(new URL(page.url()).searchParams.get('step'));
      expect(await page.getAttribute('.graph-node-item[data-node="stock"] button', 'aria-current')).toBe('true');
      expect(await seriousViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await seriousViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });

      // A node the run never reached has no step: it says `not run` and cannot be chosen.
      await page.goto(`${base}/executions/${await history.runBroken()}`);
      await page.waitForSelector('.graph-node-item');
      expect(await page.getAttribute('.graph-node-item[data-node="charge"]', 'data-status')).toBe('error');
      expect(await page.textContent('.graph-node-item[data-node="notify"] .graph-node-status')).toBe('not run');
      expect(await page.isDisabled('.graph-node-item[data-node="notify"] button')).toBe(true);

      // A run with no stored shape (decorated classes, not the runner) says so, and draws nothing.
      await history.seed();
      const [decorated] = (await store.listExecutions({ workflowId: 'refund', limit: 1 })).items;
      await page.goto(`${base}/executions/${decorated!.id}`);
      await page.waitForSelector('.timeline-row');
      expect(await page.textContent('.graph-section .empty')).toContain('No workflow graph was stored');
      expect(await page.locator('.graph, svg').count()).toBe(0);
    });

    test('arrow keys, Home and End walk the steps, tries and a child’s steps included', async () => {
      await page.goto(`${base}/executions/${run.id}`);
      await page.click('.timeline-row:has(.timeline-name:text-is("Invoice")) .timeline-expand');
      await page.waitForSelector('.timeline-row:has(.timeline-name:text-is("Apply rate"))');
      const focusedName = () => page.evaluate(() => document.activeElement?.closest('.timeline-row')?.getAttribute('data-step') ?? null);
      const nameOf = (stepId: string | null) => page.textContent(`.timeline-row[data-step="${stepId}"] .timeline-name`);
      await page.click('.timeline-row:first-child > button:first-child');
      await page.keyboard.press('End');
      await page.waitForSelector('.timeline-row.selected:has(.timeline-name:text-is("Apply rate"))');
      expect(await nameOf(await focusedName())).toBe('Apply rate');
      await page.keyboard.press('ArrowUp');
      await page.waitForSelector('.timeline-row.selected:has(.timeline-name:text-is("Look up rate"))');
      await page.keyboard.press('Home');
      await page.waitForSelector('.timeline-row.selected:has(.timeline-name:text-is("Validate"))');
      for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
      await page.waitForSelector('.timeline-row.selected:has(.timeline-name:text-is("CRM sync (attempt 1/3)"))');
      expect(await nameOf(await focusedName())).toBe('CRM sync (attempt 1/3)');
      await page.waitForSelector('.inspector .step-error');
      expect(await page.textContent('.inspector .step-error')).toBe('CRM busy');
    });

    test('a step whose id would break a CSS selector is still walked by keyboard', async () => {
      // Step ids are stored strings like any other: a history written by other tools may hold these.
      const ids = ['step "1', 'step"] , [data-step="step 3', 'step 3'];
      const startedAt = Date.now() - 1000;
      await store.writeBatch({
        executions: [
          {
            id: 'hostile-ids',
            workflowId: 'hostile',
            workflowName: 'Hostile ids',
            triggerType: 'manual',
            status: 'success',
            startedAt,
            completedAt: startedAt + 3,
            durationMs: 3,
          },
        ],
        steps: ids.map((id, index) => ({
          id,
          executionId: 'hostile-ids',
          nodeId: `n${index}`,
          nodeType: 'noop',
          nodeName: null,
          stepIndex: index,
          startedAt: startedAt + index,
          completedAt: startedAt + index + 1,
          durationMs: 1,
          status: 'success' as const,
        })),
      });
      await page.goto(`${base}/executions/hostile-ids`);
      await page.click('.timeline-row:first-child > button:first-child');
      // Home focuses the first row: an id quoted into a selector unescaped would throw or find another row.
      for (const [key, id] of [
        ['End', ids[2]],
        ['Home', ids[0]],
        ['ArrowDown', ids[1]],
        ['ArrowDown', ids[2]],
      ] as const) {
        await page.keyboard.press(key);
        await page.waitForFunction((want) => document.activeElement?.closest('.timeline-row')?.getAttribute('data-step') === want, id);
        expect(new URL(page.url()).searchParams.get('step')).toBe(id);
      }
    });
    test('a child collapsed or left while it loads stays collapsed, and its read is aborted', async () => {
      const url = `${base}/api/executions/${run.childId}`;
      // The child's read is held until the test lets it through.
      let gate = new Gate();
      await page.route(url, async (route) => {
        await gate.opened;
        await route.continue().catch(() => undefined);
      });
      const outcome = () =>
        Promise.race([
          page.waitForEvent('requestfinished', (request) => request.url() === url).then(() => 'finished'),
          page.waitForEvent('requestfailed', (request) => request.url() === url).then(() => 'aborted'),
        ]);
      try {
        await page.goto(`${base}/executions/${run.id}`);
        const expand = page.locator('.timeline-row:has(.timeline-name:text-is("Invoice")) .timeline-expand');
        let read = outcome();
        await expand.click();
        await page.waitForSelector('.timeline-note:has-text("Loading the child execution")');
        await expand.click();
        gate.release();
        const first = await read;
        await rendered(page);
        expect(await expand.getAttribute('aria-expanded')).toBe('false');
        expect(await page.locator('.timeline-row:has(.timeline-name:text-is("Apply rate"))').count()).toBe(0);
        expect(first).toBe('aborted');

        // Leaving the page while the child loads aborts its read too.
        gate = new Gate();
        read = outcome();
        await expand.click();
        await page.waitForSelector('.timeline-note:has-text("Loading the child execution")');
        await page.click('.breadcrumb a');
        await page.waitForSelector('h1:has-text("Executions")');
        gate.release();
        expect(await read).toBe('aborted');
      } finally {
        gate.release();
        await page.unroute(url);
      }
    });

    test('while a run is followed, a child it starts can be expanded without a reload', async () => {
      const started = new Gate();
      const finished = new Gate();
      const running = history.startHeldInvoicing(started, finished);
      try {
        let parentId: string | undefined;
        for (let i = 0; i < 500 && !parentId; i++) {
          await history.logger.flush();
          parentId = (await store.listExecutions({ workflowId: 'held-invoicing', limit: 1 })).items[0]?.id;
          if (!parentId) await sleep(10);
        }
        await page.goto(`${base}/executions/${parentId}`);
        await page.waitForSelector('.timeline-row:has(.timeline-name:text-is("Hold"))');
        expect(await page.locator('.timeline-expand').count()).toBe(0);
        started.release();
        const expand = page.locator('.timeline-row:has(.timeline-name:text-is("Invoice")) .timeline-expand');
        await expand.waitFor({ timeout: 10_000 });
        await expand.click();
        await page.waitForSelector('.timeline-row[data-depth="1"]:has(.timeline-name:text-is("Apply rate"))');
      } finally {
        started.release();
        finished.release();
        await running;
        await history.logger.flush();
      }
    });

    test('a ?step= naming a child’s step expands that child on load, and a collapse then stays', async () => {
      const apply = (await store.getStepOutlines(run.childId)).find((outline) => outline.nodeId === 'apply')!;
      await page.goto(`${base}/executions/${run.id}?${new URLSearchParams({ step: apply.id })}`);
      await page.waitForSelector('.inspector h2:has-text("Apply rate")');
      expect(await page.getAttribute('.timeline-row.selected', 'data-depth')).toBe('1');
      const expand = page.locator('.timeline-row:has(.timeline-name:text-is("Invoice")) .timeline-expand');
      expect(await expand.getAttribute('aria-expanded')).toBe('true');
      await page.waitForSelector('.inspector .json-tree');
      expect(await page.textContent('.inspector')).toContain('tax: 20');
      await expand.click();
      await rendered(page);
      expect(await expand.getAttribute('aria-expanded')).toBe('false');
      expect(await page.locator('.timeline-row:has(.timeline-name:text-is("Apply rate"))').count()).toBe(0);
    });
    test('a run with more children than are sent says the latest of them are shown', async () => {
      const startedAt = Date.now() - 60_000;
      const run = (id: string, at: number, parentExecutionId?: string) => ({
        ...{ id, workflowId: 'fan-out', workflowName: '', triggerType: 'manual', status: 'success' as const },
        ...{ startedAt: at, completedAt: at + 1, durationMs: 1, ...(parentExecutionId ? { parentExecutionId } : {}) },
      });
      const children = Array.from({ length: 201 }, (_, i) => run(`fan-out-${i}`, startedAt + 10 + i, 'fan-out'));
      await store.writeBatch({ executions: [run('fan-out', startedAt), ...children], steps: [] });
      await page.goto(`${base}/executions/fan-out`);
      expect(await page.textContent('.steps p.empty')).toBe(
        'It started more than 200 child executions: only the latest 200 can be shown in place.',
      );
    });
    test('a step that started several children lists each on a row of its own, each expanded on its own', async () => {
      const startedAt = Date.now() - 60_000;
      const run = (id: string, parentExecutionId?: string) => ({
        ...{ id, workflowId: parentExecutionId ? 'batch-item' : 'batch', workflowName: '', triggerType: 'manual' },
        ...{ status: 'success' as const, startedAt, completedAt: startedAt + 9, durationMs: 9 },
        ...(parentExecutionId ? { parentExecutionId, parentStepId: 'batch-loop' } : {}),
      });
      const oneStep = (id: string, executionId: string, nodeId: string) => ({
        ...{ id, executionId, nodeId, nodeType: 'function', nodeName: null, stepIndex: 0 },
        ...{ startedAt: startedAt + 1, completedAt: startedAt + 2, durationMs: 1, status: 'success' as const },
      });
      const ids = ['batch-1', 'batch-2', 'batch-3'];
      await store.writeBatch({
        executions: [run('batch'), ...ids.map((id) => run(id, 'batch'))],
        steps: [oneStep('batch-loop', 'batch', 'loop'), ...ids.map((id) => oneStep(`${id}-step`, id, `work in ${id}`))],
      });
      await page.goto(`${base}/executions/batch`);
      await page.waitForSelector('.timeline-child-row');
      expect(await page.$$eval('.timeline-child-row', (rows) => rows.map((row) => row.getAttribute('data-child')))).toEqual(ids);
      expect(await page.locator('.timeline-row[data-step="batch-loop"] .timeline-expand').count()).toBe(0);
      await page.click('.timeline-child-row[data-child="batch-2"] .timeline-expand');
      await page.waitForSelector('.timeline-row[data-depth="2"]:has(.timeline-name:text-is("work in batch-2"))');
      expect((await timeline(page)).map((row) => row.name)).toEqual(['loop', 'work in batch-2']);
      expect(await page.getAttribute('.timeline-child-row[data-child="batch-3"] a.timeline-open', 'href')).toBe('/executions/batch-3');
      expect(await seriousViolations(page)).toEqual([]);
    });
  });
});

/** Resolves once the page has run what its last answers scheduled: their promise callbacks and Preact's render. */
async function rendered(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => setTimeout(() => requestAnimationFrame(() => setTimeout(resolve, 0)), 0)));
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<unknown[]> {
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
