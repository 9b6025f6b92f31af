import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createHistoryHandler, LoggedWorkflow, type ExecutionStore } from '../../src';
import { chromiumAvailable, launchChromium, watch, type Misbehaviour } from '../support/browser';
import { makeDatabase, type TestDatabase } from '../support/databases';
import { Gate, serveViewer, stopServer, ViewerHistory } from '../support/viewerFixture';

// What the page's functions see in the browser; this suite compiles without the DOM's types.
declare const document: {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): unknown;
  activeElement: { id: string } | null;
};

const describeInBrowser = chromiumAvailable ? describe : describe.skip;

/**
 * What `read` gives once it equals `expected`, or what it last gave after 5 s (for the assertion to
 * show). After a navigation the page draws the previous state until its own effects ran.
 */
async function settled<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 5000;
  let shown = await read();
  while (JSON.stringify(shown) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    shown = await read();
  }
  return shown;
}

/** The rows the executions table shows, once it has `count` of them: workflow and status. */
async function rows(page: Page, expected: number | string[]): Promise<string[]> {
  const read = () =>
    page.$$eval('table.executions tbody tr', (trs) => trs.map((tr) => `${tr.children[2]!.textContent} ${tr.getAttribute('data-status')}`));
  if (typeof expected === 'number') {
    await page.waitForFunction((n) => document.querySelectorAll('table.executions tbody tr').length === n, expected);
    return read();
  }
  // Waits for these rows, not only for their count: after a navigation the previous list stays
  // drawn until the new page's answer arrives, and it may have as many rows.
  return settled(read, expected);
}

/**
 * Expects the values of the form's fields named `name`, in order, to become `expected`: the URL
 * changes (back, forward) before the form is drawn from it.
 */
async function expectFields(page: Page, name: string, expected: string[]): Promise<void> {
  const read = () =>
    page.$$eval(`form.filters [name=${name}]`, (inputs) => inputs.map((input) => (input as unknown as { value: string }).value));
  expect(await settled(read, expected)).toEqual(expected);
}

/** The URL's query, as pairs. */
function query(page: Page): [string, string][] {
  return [...new URL(page.url()).searchParams];
}

describeInBrowser('the Executions page filter form in Chromium', () => {
  let browser: Browser;
  let db: TestDatabase;
  let store: ExecutionStore;
  let history: ViewerHistory;
  let server: Server;
  let base: string;
  let page: Page;
  let seen: Misbehaviour;

  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
    history = new ViewerHistory(store);
    await history.seed();
    // Runs with two tags each, for filters on two at once.
    const logger = history.logger;
    class Ship {
      readonly id = 'ship';
      @LoggedWorkflow({ logger, triggerType: 'queue', tags: (_self, [tags]: [Record<string, string>]) => tags })
      async run(tags: Record<string, string>): Promise<object> {
        return { shipped: tags };
      }
    }
    for (const tags of [
      { tenant: 'acme', region: 'eu' },
      { tenant: 'acme', region: 'us' },
      { tenant: 'globex', region: 'eu' },
    ])
      await new Ship().run(tags);
    await history.logger.flush();
    ({ server, url: base } = await serveViewer(store));
    browser = await launchChromium();
    page = await browser.newPage();
    seen = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
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

  test('two tags and two where tests go into the URL, survive a reload and come back with the back button', async () => {
    await page.goto(`${base}/`);
    await rows(page, 8);
    await page.fill('input[name=tag]', 'tenant=acme');
    await page.click('button[aria-label="Add a tag filter"]');
    // The new field takes the focus, so the next tag is typed straight in.
    await page.waitForFunction(() => document.activeElement?.id === 'filter-tag-1');
    await page.keyboard.type('region=eu');
    await page.keyboard.press('Enter');
    await page.waitForURL(/region/);
    expect(query(page)).toEqual([
      ['tag', 'tenant=acme'],
      ['tag', 'region=eu'],
    ]);
    expect(await rows(page, ['ship success'])).toEqual(['ship success']);

    await page.reload();
    expect(await rows(page, ['ship success'])).toEqual(['ship success']);
    await expectFields(page, 'tag', ['tenant=acme', 'region=eu']);

    // Now two where tests instead: each alone matches more runs than both together.
    await page.fill('#filter-tag-0', '');
    await page.fill('#filter-tag-1', '');
    await page.fill('input[name=where]', 'output.amount>10');
    await page.click('button[aria-label="Add a where filter"]');
    await page.fill('#filter-where-1', 'output.amount<100');
    await page.click('button[type=submit]');
    await page.waitForURL(/where/);
    expect(query(page)).toEqual([
      ['where', 'output.amount>10'],
      ['where', 'output.amount<100'],
    ]);
    expect(await rows(page, ['order-sync success'])).toEqual(['order-sync success']);
    await page.reload();
    expect(await rows(page, ['order-sync success'])).toEqual(['order-sync success']);
    await expectFields(page, 'where', ['output.amount>10', 'output.amount<100']);
    await expectFields(page, 'tag', ['']);

    await page.goBack();
    await page.waitForURL(/tag=/);
    expect(await rows(page, ['ship success'])).toEqual(['ship success']);
    await expectFields(page, 'tag', ['tenant=acme', 'region=eu']);
    await expectFields(page, 'where', ['']);
    await page.goForward();
    await page.waitForURL(/where=/);
    await expectFields(page, 'where', ['output.amount>10', 'output.amount<100']);
  });

  test('trace and limit from the URL are kept when the form is applied, until removed', async () => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    await page.goto(`${base}/?trace=${trace}&limit=2`);
    await page.waitForSelector('p.empty');
    await page.fill('input[name=workflow]', 'order-sync');
    await page.click('button[type=submit]');
    await page.waitForURL(/workflow=/);
    expect(query(page)).toEqual([
      ['workflow', 'order-sync'],
      ['trace', trace],
      ['limit', '2'],
    ]);
    expect(await page.textContent('form.filters')).toContain(trace);
    await page.click(`button[aria-label="Remove trace ${trace}"]`);
    await page.click('button[type=submit]');
    await page.waitForURL((url) => !url.searchParams.has('trace'));
    expect(query(page)).toEqual([
      ['workflow', 'order-sync'],
      ['limit', '2'],
    ]);
    expect(await rows(page, ['order-sync error', 'order-sync success'])).toEqual(['order-sync error', 'order-sync success']);
    expect(await page.isVisible('button:text("Load more")')).toBe(true);
  });

  test('a list whose answer is cut short by the next navigation is dropped, not read as an empty answer', async () => {
    // The answer for workflow=order-sync sends its headers at once and its body only when released.
    const body = new Gate();
    const handler = createHistoryHandler(store);
    const held = createServer((req, res) => {
      if (req.url?.startsWith('/api/executions?') && req.url.includes('workflow=order-sync')) {
        const end = res.end.bind(res) as (chunk: string) => void;
        Object.assign(res, {
          end: (chunk: string) => {
            res.flushHeaders();
            void body.opened.then(() => end(chunk));
            return res;
          },
        });
      }
      return handler(req, res);
    });
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(held.address() as AddressInfo).port}`;
    const heldRead = (request: { url(): string }) => request.url().includes('workflow=order-sync');
    try {
      await page.goto(`${url}/?status=error`);
      const errors = await rows(page, 2);
      const headers = page.waitForResponse(heldRead);
      const cut = page.waitForEvent('requestfailed', heldRead);
      await page.fill('input[name=workflow]', 'order-sync');
      await page.click('button[type=submit]');
      await headers;
      // Back while that body is still to come: the page aborts the read in the middle of it.
      await page.goBack();
      await cut;
      body.release();
      await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(null), 100)));
      expect(seen.pageErrors).toEqual([]);
      expect(await rows(page, errors)).toEqual(errors);
    } finally {
      body.release();
      // Left before its server stops: the page's event stream is not cut under the next test.
      await page.goto('about:blank');
      await stopServer(held);
    }
  });

  test('a Load more answer that comes after the filters changed is dropped, not added to the new list', async () => {
    // The next page's answer (a read with a cursor) is held until released.
    const answer = new Gate();
    const handler = createHistoryHandler(store);
    const held = createServer((req, res) => {
      if (req.url?.startsWith('/api/executions?') && req.url.includes('cursor=')) return void answer.opened.then(() => handler(req, res));
      return handler(req, res);
    });
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(held.address() as AddressInfo).port}`;
    const nextPage = (request: { url(): string }) => request.url().includes('cursor=');
    try {
      await page.goto(`${url}/?limit=2`);
      await rows(page, 2);
      const asked = page.waitForRequest(nextPage);
      await page.click('button:text("Load more")');
      await asked;
      const ended = Promise.race([page.waitForEvent('requestfinished', nextPage), page.waitForEvent('requestfailed', nextPage)]);
      await page.fill('input[name=workflow]', 'order-sync');
      await page.click('button[type=submit]');
      const orderSync = ['order-sync error', 'order-sync success'];
      expect(await rows(page, orderSync)).toEqual(orderSync);
      answer.release();
      await ended;
      await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(null), 100)));
      // Every run listed still meets workflow=order-sync: none of the unfiltered list's second page.
      expect(await rows(page, orderSync)).toEqual(orderSync);
      expect(await page.isVisible('button:text("Load more")')).toBe(true);
    } finally {
      answer.release();
      await page.goto('about:blank');
      await stopServer(held);
    }
  });

  test('a broken percent-escape in the URL is ignored and said, not a blank page', async () => {
    await page.goto(`${base}/?workflow=%E0%A4%A&status=error`);
    expect(await page.textContent('p.ignored')).toContain('workflow');
    // The other filter still applies; the broken one is not turned into U+FFFD and searched for.
    expect(await rows(page, 2)).toEqual([expect.stringMatching(/ error$/), 'order-sync error']);
    await expectFields(page, 'workflow', ['']);

    await page.goto(`${base}/executions/%E0%A4%A`);
    expect(await page.textContent('h1')).toBe('Not found');
    expect(await page.textContent('main [role=alert]')).toContain('not valid percent-encoding');
    await page.click('main a:text("Executions")');
    expect(await rows(page, 8)).toHaveLength(8);
  });
});
