import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { ExecutionStore } from '../../src';
import { chromiumAvailable, launchChromium, watch, type Misbehaviour } from '../support/browser';
import { makeDatabase, pgAvailable, type DatabaseKind, type TestDatabase } from '../support/databases';
import { until } from '../support/until';
import { Gate, serveViewer, stopServer, ViewerHistory, XSS } from '../support/viewerFixture';

// What the page's functions see in the browser; this suite compiles without the DOM's types.
declare const window: Record<string, any>;
declare const location: { href: string };
declare const document: {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): unknown;
  activeElement: {
    getAttribute(name: string): string | null;
    closest(selector: string): { getAttribute(name: string): string | null } | null;
  } | null;
};

// globalSetup decided: on CI a missing Chromium failed the run already; elsewhere it said loudly that these are skipped.
const describeInBrowser = chromiumAvailable ? describe : describe.skip;
const kinds: DatabaseKind[] = ['sqlite', ...(pgAvailable ? (['postgres'] as const) : [])];

/** The ids of the rows the executions table shows, top to bottom, once it has `count` of them. */
async function rows(page: Page, count?: number): Promise<{ workflow: string; status: string }[]> {
  if (count !== undefined) await page.waitForFunction((n) => document.querySelectorAll('table.executions tbody tr').length === n, count);
  return page.$$eval('table.executions tbody tr', (trs) =>
    trs.map((tr) => ({ workflow: tr.children[2]!.textContent ?? '', status: tr.getAttribute('data-status') ?? '' })),
  );
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<unknown[]> {
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run();
    // The summary and the element of each failure, for a readable test failure.
    return result.violations.map((violation: any) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.map((node: any) => `${node.target}: ${node.failureSummary}`),
    }));
  });
  return violations.filter((violation: { impact: string }) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** Waits until a form field shows `value` (the form follows the URL on the next render). */
async function fieldValue(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForFunction(([s, v]) => (document.querySelector(s!) as { value?: string } | null)?.value === v, [selector, value]);
}

describeInBrowser('the viewer in Chromium', () => {
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
      await history.seed();
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
      // Nothing stored ran, nothing broke the CSP, nothing threw.
      const found = { ...seen };
      Object.assign(seen, { dialogs: [], consoleErrors: [], pageErrors: [] });
      expect(found).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [] });
    });

    test('the list shows every run newest first, stored markup as plain text', async () => {
      await page.goto(`${base}/`);
      expect(await rows(page, 5)).toEqual([
        { workflow: XSS.img, status: 'error' },
        { workflow: 'refund', status: 'success' },
        { workflow: 'order-sync', status: 'error' },
        { workflow: 'order-sync', status: 'success' },
        { workflow: 'order-sync', status: 'success' },
      ]);
      expect(await page.textContent('table.executions tbody tr:first-child')).toContain(XSS.url);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.$$eval('img, svg, iframe', (found) => found.length)).toBe(0);
    });

    test('filters go into the URL and come back with the back button', async () => {
      await page.goto(`${base}/`);
      await rows(page, 5);
      await page.selectOption('select[name=status]', 'error');
      await page.fill('input[name=workflow]', 'order-sync');
      await page.click('button[type=submit]');
      expect(await rows(page, 1)).toEqual([{ workflow: 'order-sync', status: 'error' }]);
      expect(new URL(page.url()).search).toBe('?workflow=order-sync&status=error');
      await page.fill('input[name=workflow]', '');
      await page.fill('input[name=tag]', 'tenant=acme');
      // The list these filters give holds the same one row as the one before: wait for its answer.
      const tagged = page.waitForResponse((response) => new URL(response.url()).searchParams.get('tag') === 'tenant=acme');
      await page.press('input[name=tag]', 'Enter');
      await page.waitForURL(/tag=/);
      expect(new URL(page.url()).searchParams.getAll('tag')).toEqual(['tenant=acme']);
      const answer = (await (await tagged).json()) as { items: { workflowId: string; status: string }[] };
      expect(answer.items.map(({ workflowId, status }) => ({ workflow: workflowId, status }))).toEqual([
        { workflow: 'order-sync', status: 'error' },
      ]);
      expect(await rows(page, 1)).toEqual([{ workflow: 'order-sync', status: 'error' }]);
      await page.goBack();
      expect(new URL(page.url()).search).toBe('?workflow=order-sync&status=error');
      await fieldValue(page, 'input[name=workflow]', 'order-sync');
      await fieldValue(page, 'input[name=tag]', '');
      await page.goBack();
      expect(await rows(page, 5)).toHaveLength(5);
      await fieldValue(page, 'select[name=status]', '');
      await page.goForward();
      expect(await rows(page, 1)).toHaveLength(1);
      // A URL opened as it is, shared say, shows the same page.
      await page.goto(`${base}/?where=${encodeURIComponent('output.code=05')}`);
      expect(await rows(page, 1)).toEqual([{ workflow: 'order-sync', status: 'success' }]);
      // A bad filter is said next to the table, naming the field, not thrown.
      await page.goto(`${base}/?where=nonsense`);
      expect(await page.textContent('[role=alert]')).toMatch(/^where: /);
      expect(await page.getAttribute('input[name=where]', 'aria-invalid')).toBe('true');
      // The browser logs the 400 it was answered: expected here.
      seen.consoleErrors = seen.consoleErrors.filter((text) => !text.includes('400 (Bad Request)'));
    });

    test('Load more reads the next keyset page until there is none', async () => {
      await page.goto(`${base}/?limit=2`);
      const first = await rows(page, 2);
      await page.click('button:text("Load more")');
      const second = await rows(page, 4);
      expect(second.slice(0, 2)).toEqual(first);
      await page.click('button:text("Load more")');
      expect(await rows(page, 5)).toHaveLength(5);
      await page.waitForSelector('.pager:text("5 shown")');
      expect(await page.locator('button:text("Load more")').count()).toBe(0);
    });

    test('the keyboard alone reaches a run, its steps and the inspector', async () => {
      await page.goto(`${base}/?workflow=order-sync&status=error`);
      await rows(page, 1);
      const focused = () => page.evaluate(() => document.activeElement?.closest('[class]')?.getAttribute('class') ?? null);
      const tabTo = async (test: () => Promise<boolean>) => {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          if (await test()) return;
        }
        throw new Error('never reached by Tab');
      };
      await tabTo(async () => (await page.evaluate(() => document.activeElement?.getAttribute('class'))) === 'id');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.timeline-row');
      await tabTo(async () => (await focused())?.startsWith('timeline-row') ?? false);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.inspector h2:has-text("fetch")');
      await page.keyboard.press('ArrowDown');
      await page.waitForSelector('.inspector h2:has-text("charge")');
      await page.waitForSelector('.inspector .step-error');
    });

    test('a run that starts appears without a reload, and its end shows', async () => {
      await page.goto(`${base}/`);
      await rows(page, 5);
      await page.evaluate(() => ((window as { __sameDocument?: boolean }).__sameDocument = true));
      const gate = new Gate();
      const held = history.startHeld(gate, 'live');
      await page.waitForSelector('tr[data-status=running]', { timeout: 5000 });
      expect((await rows(page))[0]).toEqual({ workflow: 'held-sync', status: 'running' });
      gate.release();
      await held;
      await history.logger.flush();
      await page.waitForSelector('tbody tr:first-child[data-status=success]', { timeout: 5000 });
      expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    });

    test("with the browser's clock ten minutes ahead, a run that starts still appears; with status=running it leaves the list when it ends", async () => {
      const skewed = await browser.newPage();
      const skewSeen = watch(skewed);
      try {
        await skewed.clock.setSystemTime(Date.now() + 10 * 60_000);
        await skewed.goto(`${base}/?status=running`);
        await skewed.waitForSelector('main h1');
        await rows(skewed, 0);
        const gate = new Gate();
        const held = history.startHeld(gate, 'skewed');
        await skewed.waitForSelector('tr[data-status=running]', { timeout: 5000 });
        gate.release();
        await held;
        await history.logger.flush();
        // It ended: it no longer meets status=running, so it leaves the list without a reload.
        await rows(skewed, 0);
      } finally {
        await skewed.close();
      }
      expect(skewSeen).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [] });
    });

    test("on a running execution's page, its running step shows, then its end, without a reload", async () => {
      const gate = new Gate();
      const held = history.startHeld(gate, 'step-live');
      let id: string | undefined;
      await until(async () => {
        await history.logger.flush();
        id = (await store.listExecutions({ workflowId: 'held-sync', status: 'running' })).items[0]?.id;
        return id !== undefined;
      }, 'the held run stored as running');
      await page.goto(`${base}/executions/${id}`);
      await page.waitForSelector('.timeline-row.row-running:has(.timeline-name:text-is("wait"))', { timeout: 5000 });
      expect(await page.textContent('.timeline-row.row-running .timeline-duration')).toBe('running');
      await page.evaluate(() => ((window as { __sameDocument?: boolean }).__sameDocument = true));
      gate.release();
      await held;
      await history.logger.flush();
      await page.waitForSelector('.timeline-row.row-success:has(.timeline-name:text-is("wait"))', { timeout: 5000 });
      expect(await page.$$('.timeline-row.row-running')).toHaveLength(0);
      expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    });

    test('the inspector shows input, output and error, redacted and truncated values marked as such', async () => {
      await page.goto(`${base}/?${new URLSearchParams({ tag: 'tenant=acme', status: 'success' })}`);
      await rows(page, 1);
      await page.click('table.executions tbody tr a');
      await page.waitForSelector('.timeline');
      await page.click('.timeline button:has(.timeline-name:text-is("fetch"))');
      await page.waitForSelector('.inspector .json-tree');
      expect(new URL(page.url()).searchParams.get('step')).toBeTruthy();
      const fetchOutput = page.locator('.inspector .json-tree').nth(1);
      await expect(fetchOutput.locator('.marker-truncated').textContent()).resolves.toBe('truncated');
      // Not even for one render may fetch's payloads (its output, truncated) show under charge's heading.
      await page.evaluate(`(() => {
        const stale = () => (document.querySelector('.inspector h2')?.textContent ?? '').includes('charge') &&
          document.querySelector('.inspector .marker-truncated') !== null;
        window.__staleInspector = false;
        new MutationObserver(() => { if (stale()) window.__staleInspector = true; })
          .observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      await page.click('.timeline button:has(.timeline-name:text-is("charge"))');
      await page.waitForSelector('.inspector h2:has-text("charge")');
      const redacted = page.locator('.inspector .json-row:has(.json-key:text("password")) .marker-redacted');
      // The heading shows before the step's payloads arrive: wait for them, then count.
      await redacted.first().waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.inspector .json-tree').length >= 2);
      expect(await redacted.count()).toBe(2);
      expect(await page.evaluate('window.__staleInspector')).toBe(false);
      // Copy buttons: the payload as JSON, and the replay test of this step.
      const stepId = new URL(page.url()).searchParams.get('step')!;
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
      await page.click('.inspector h3:has-text("Input") button');
      await page.waitForSelector('.inspector h3:has-text("Input") [role=status]:text("Copied")');
      expect(JSON.parse(await page.evaluate(() => window.navigator.clipboard.readText()))).toMatchObject({
        orderId: 'o-1',
        password: '[REDACTED]',
      });
      expect(await page.textContent('pre.snippet')).toContain(`await replayStep(store, "${stepId}", new YourNode());`);
      await page.click('.inspector h3:has-text("Replay") button');
      await page.waitForSelector('.inspector h3:has-text("Replay") [role=status]:text("Copied")');
      expect(await page.evaluate(() => window.navigator.clipboard.readText())).toBe(await page.textContent('pre.snippet'));
      // Keyboard: the tree's branches are native disclosures.
      const branch = page.locator('.inspector details.json-branch').first();
      await branch.locator('summary').focus();
      await page.keyboard.press('Enter');
      expect(await branch.getAttribute('open')).toBeNull();

      await page.goto(`${base}/?workflow=order-sync&status=error`);
      await rows(page, 1);
      await page.click('table.executions tbody tr a');
      await page.click('.timeline button:has(.timeline-name:text-is("charge"))');
      await page.waitForSelector('.inspector .step-error');
      expect(await page.textContent('.inspector .step-error')).toBe('card declined: amount below zero');
      expect(await page.textContent('.inspector')).toContain('none recorded');
    });

    test('stored script, onerror and javascript: payloads stay inert on the execution page', async () => {
      await page.goto(`${base}/?status=error&trigger=${encodeURIComponent(XSS.url)}`);
      await rows(page, 1);
      await page.click('table.executions tbody tr:first-child a');
      await page.waitForSelector('.timeline');
      await page.click('.timeline-row:first-child button');
      await page.waitForSelector('.inspector .json-tree');
      const text = await page.textContent('main');
      for (const payload of [XSS.script, XSS.img, XSS.url, XSS.svg, XSS.code]) expect(text).toContain(payload);
      // The replay snippet holds the stored ids as string literals only: pasted, it is the same ten lines of code.
      const snippet = (await page.textContent('pre.snippet'))!;
      expect(snippet.split('\n')).toHaveLength(10);
      expect(snippet).toContain(`(${JSON.stringify(XSS.code).slice(1, -1).replace('\u2028', '\\u2028')})`);
      expect(snippet).not.toContain('\u2028');
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.$$eval('img, svg, iframe, object, embed', (found) => found.length)).toBe(0);
      expect(await page.$$eval('script', (found) => found.map((script) => script.getAttribute('src')))).toEqual(['/assets/app.js']);
      // No link leads anywhere but the viewer itself.
      const hrefs = await page.$$eval('a', (links) => links.map((link) => link.getAttribute('href') ?? ''));
      for (const href of hrefs) expect(href).toMatch(/^\//);
    });

    test('axe finds no serious or critical accessibility violation on either page', async () => {
      const audit = () => seriousViolations(page);
      await page.goto(`${base}/`);
      await rows(page);
      await page.waitForSelector('table.executions tbody tr');
      expect(await audit()).toEqual([]);
      await page.click('table.executions tbody tr:nth-child(3) a');
      await page.click('.timeline-row:first-child button');
      await page.waitForSelector('.inspector .json-tree');
      expect(await audit()).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await audit()).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });
    });

    test('two ticked runs compare side by side, the changed paths highlighted', async () => {
      await page.goto(`${base}/?workflow=order-sync&status=success`);
      await rows(page, 2);
      expect(await page.textContent('.compare-pick')).toBe('Tick two runs to compare them.');
      const ids = await page.$$eval('table.executions tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-id')!));
      await page.check(`input[aria-label="Compare ${ids[0]}"]`);
      await page.check(`input[aria-label="Compare ${ids[1]}"]`);
      await page.click('.compare-pick a');
      await page.waitForSelector('table.compare-steps');
      // A is the older run (o-1, 120 charged, code 05), B the newer (o-2).
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ a: ids[1], b: ids[0] });
      const charge = page.locator('table.compare-steps tr[data-node=charge]');
      expect(await charge.getAttribute('class')).toBe('changed');
      const code = charge.locator('.path-change:has(code:text-is("$.code"))');
      expect(await code.locator('del').textContent()).toBe('"05"');
      expect(await code.locator('ins').textContent()).toBe('"00"');
      expect(await charge.locator('.path-change:has(code:text-is("$.password"))').count()).toBe(0);
      expect(await page.textContent('.compare-summary')).toContain('2 node steps in both, 2 changed; 0 only in A, 0 only in B.');
      expect(await seriousViolations(page)).toEqual([]);
      // The ids typed in the form are the same comparison, swapped.
      await page.fill('input[name=a]', ids[0]!);
      await page.fill('input[name=b]', ids[1]!);
      await page.click('form button[type=submit]');
      await page.waitForFunction((b) => new URL(location.href).searchParams.get('b') === b, ids[1]);
      await page.waitForSelector('table.compare-steps tr[data-node=charge] ins:text-is("\\"05\\"")');
      await page.fill('input[name=b]', 'no-such-run');
      await page.click('form button[type=submit]');
      await page.waitForSelector('[role=alert]');
      seen.consoleErrors = seen.consoleErrors.filter((text) => !text.includes('404 (Not Found)'));
    });

    test('an execution of 1000 steps renders its timeline, draws only the rows in view, and walks by keyboard', async () => {
      // How fast is measured in bench/viewer.ts, not here: a test never asserts on time.
      const id = await history.runLong(1000);
      await page.goto(`${base}/executions/${id}`);
      await page.waitForSelector('.timeline-row');
      expect(await page.textContent('#steps-heading')).toBe('Steps (1000)');
      const drawn = await page.$$eval('.timeline-row', (rows) => rows.length);
      expect(drawn).toBeGreaterThan(5);
      expect(drawn).toBeLessThan(100);
      // In start order, one after another: each bar starts where the one before it does or later.
      const lefts = await page.$$eval('.timeline-bar', (bars) =>
        bars.map((bar) => parseFloat((bar as unknown as { style: { left: string } }).style.left)),
      );
      expect(lefts).toEqual([...lefts].sort((a, b) => a - b));

      await page.click('.timeline-row:first-child button');
      // The row a key moves to is drawn and focused as part of handling the key (its render
      // included), not a frame later: a key pressed meanwhile would go to the page and be lost.
      // Where the focus is is noted right after each key's handler and the render it asked for.
      await page.evaluate(() => {
        window.__focusAfterKey = [];
        window.addEventListener('keydown', () =>
          window.queueMicrotask(() =>
            window.__focusAfterKey.push(document.activeElement?.closest('.timeline-row')?.getAttribute('aria-posinset') ?? null),
          ),
        );
      });
      await page.keyboard.press('End');
      await page.waitForSelector('.timeline-row[aria-posinset="1000"].selected');
      expect(await page.$$eval('.timeline-row', (rows) => rows.length)).toBeLessThan(100);
      expect(await page.evaluate(() => document.activeElement?.closest('.timeline-row')?.getAttribute('aria-posinset'))).toBe('1000');
      await page.keyboard.press('ArrowUp');
      await page.waitForSelector('.timeline-row[aria-posinset="999"].selected');
      expect(await page.evaluate(() => window.__focusAfterKey)).toEqual(['1000', '999']);
      expect(new URL(page.url()).searchParams.get('step')).toBe(await page.getAttribute('.timeline-row.selected', 'data-step'));
      await page.waitForSelector('.inspector .json-tree');
    });
  });
});
