import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ExecutionLogger, WorkflowRunner, type ExecutionStore, type WorkflowExecution } from '../../src';
import { recordDemoRuns, runBurst } from '../../examples/demoRuns';
import { chromiumAvailable, launchChromium, watch, type Misbehaviour } from '../support/browser';
import { makeDatabase, tempDir, type TestDatabase } from '../support/databases';
import { serveViewer, stopServer } from '../support/viewerFixture';

// What the page's functions see in the browser; this suite compiles without the DOM's types.
declare const document: { querySelectorAll(selector: string): { length: number }; body: unknown };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const describeInBrowser = chromiumAvailable ? describe : describe.skip;

/** Where the README's images live; written only when asked, so that a test run never changes the tree. */
const README_IMAGES = join(__dirname, '..', '..', 'docs', 'images');
const UPDATE = process.env.FLOWTRAIL_UPDATE_SCREENSHOTS === '1';
const VIEWPORT = { width: 1200, height: 800 };
const SCHEMES = ['light', 'dark'] as const;

/** A PNG's width and height, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The relative luminance (0 black, 1 white) of a CSS `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
  return (0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0)) / 255;
}

describeInBrowser('the README screenshots, from the demo’s history', () => {
  let browser: Browser;
  let db: TestDatabase;
  let store: ExecutionStore;
  let server: Server;
  let base: string;
  let page: Page;
  let seen: Misbehaviour;
  let newest: WorkflowExecution[];
  let parallel: WorkflowExecution;
  const spoolDir = tempDir('flowtrail-screenshots-spool-');
  const out = tempDir('flowtrail-screenshots-');

  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
    // What `npm run demo` records, run the same way: the burst, then one run of each example.
    const logger = new ExecutionLogger(store, { configFile: false, spoolDir, writerThread: false, onError: () => undefined });
    await logger.ready;
    const runner = new WorkflowRunner({ logger });
    await runBurst(runner);
    await recordDemoRuns(runner);
    await logger.shutdown();
    newest = (await store.listExecutions({ limit: 50 })).items;
    parallel = (await store.listExecutions({ workflowId: 'order-processing', triggerType: 'manual', limit: 1 })).items[0]!;
    ({ server, url: base } = await serveViewer(store));
    browser = await launchChromium();
    // Fixed size, language and clock zone: the images change only when the viewer does.
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    seen = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
    await store.close();
    await db.drop();
    rmSync(spoolDir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });
  afterEach(() => {
    const found = { ...seen };
    Object.assign(seen, { dialogs: [], consoleErrors: [], pageErrors: [] });
    expect(found).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [] });
  });

  /** Saves the page as `name`-`scheme`.png in the temp folder, and in docs/images when updating; checks its size. */
  async function shoot(name: string, scheme: string): Promise<void> {
    const file = `${name}-${scheme}.png`;
    const png = await page.screenshot({ path: join(out, file), animations: 'disabled', caret: 'hide' });
    expect(pngSize(png)).toEqual(VIEWPORT);
    expect(readFileSync(join(out, file)).length).toBe(png.length);
    if (UPDATE) {
      mkdirSync(README_IMAGES, { recursive: true });
      writeFileSync(join(README_IMAGES, file), png);
    }
  }

  /** The page's background is dark in dark mode and light in light mode. */
  async function expectScheme(scheme: (typeof SCHEMES)[number]): Promise<void> {
    const background = luminance(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
    if (scheme === 'dark') expect(background).toBeLessThan(0.2);
    else expect(background).toBeGreaterThan(0.8);
  }

  test.each(SCHEMES)('the executions list, %s', async (scheme) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelectorAll('table.executions tbody tr').length === 50);
    // The 50 newest runs, newest first: the demo's examples, then the burst.
    const ids = await page.$$eval('table.executions tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(ids).toEqual(newest.map((execution) => execution.id));
    const workflows = await page.$$eval('table.executions tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
    for (const workflow of ['crm-sync', 'invoice-run', 'tax-calculation', 'refund-approval', 'payment-capture', 'order-processing']) {
      expect(workflows).toContain(workflow);
    }
    expect(await page.getAttribute('tr:has(td:text-is("payment-capture"))', 'data-status')).toBe('error');
    await expectScheme(scheme);
    await shoot('executions', scheme);
  });

  test.each(SCHEMES)('an execution with its timeline and a step in the inspector, %s', async (scheme) => {
    const steps = await store.getSteps(parallel.id);
    const merge = steps.find((step) => step.nodeId === 'merge')!;
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${base}/executions/${encodeURIComponent(parallel.id)}?step=${encodeURIComponent(merge.id)}`);
    await page.waitForFunction((n) => document.querySelectorAll('.timeline-row').length === n, steps.length);
    // In start order on the page: the parallel branches may have started either way round.
    const names = await page.$$eval('.timeline-name', (found) => found.map((name) => name.textContent ?? ''));
    expect(names.sort()).toEqual(steps.map((step) => step.nodeName || step.nodeId).sort());
    await page.waitForSelector('.inspector .json-tree, .inspector details');
    expect(await page.textContent('.inspector')).toContain('confirmation');
    await expectScheme(scheme);
    await shoot('execution', scheme);
  });
});
