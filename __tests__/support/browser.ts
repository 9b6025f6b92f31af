import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Whether the browser suites run (globalSetup decides: required on CI, skipped loudly elsewhere). */
export const chromiumAvailable = process.env.FLOWTRAIL_TEST_CHROMIUM === 'on';

/**
 * Debian's Chromium, headless, with nothing that reaches out to the network: this machine has
 * none, and Chromium's background services would only fail and slow it down.
 */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.FLOWTRAIL_TEST_CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const slow = {
    cpu: Number(process.env.FLOWTRAIL_TEST_CPU_THROTTLE ?? 1),
    latencyMs: Number(process.env.FLOWTRAIL_TEST_LATENCY_MS ?? 0),
    frameDelayMs: Number(process.env.FLOWTRAIL_TEST_FRAME_DELAY_MS ?? 0),
  };
  if (slow.cpu > 1 || slow.latencyMs > 0 || slow.frameDelayMs > 0) slowDown(browser, slow);
  return browser;
}

/**
 * Races between a test's reads and the page's renders show up here before they do on a faster or
 * busier CI machine, with every page the suites open slowed down from before its first navigation:
 * FLOWTRAIL_TEST_CPU_THROTTLE=4 runs it at a quarter of this machine's speed (Chromium's CPU
 * throttling); FLOWTRAIL_TEST_LATENCY_MS=300 answers each of its requests that much later;
 * FLOWTRAIL_TEST_FRAME_DELAY_MS=200 runs its requestAnimationFrame callbacks that much later, so
 * that what the page does after a paint (Preact's effects, then run at their 35 ms fallback) comes
 * well after the render a test may already be reading.
 */
function slowDown(browser: Browser, slow: { cpu: number; latencyMs: number; frameDelayMs: number }): void {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...options: Parameters<Browser['newContext']>): Promise<BrowserContext> => {
    const context = await newContext(...options);
    if (slow.frameDelayMs > 0) {
      await context.addInitScript(`(() => {
        const request = window.requestAnimationFrame.bind(window);
        const cancel = window.cancelAnimationFrame.bind(window);
        const frames = new Map();
        let last = 0;
        window.requestAnimationFrame = (callback) => {
          const id = ++last;
          const timeout = setTimeout(() => frames.set(id, { frame: request((time) => (frames.delete(id), callback(time))) }), ${slow.frameDelayMs});
          frames.set(id, { timeout });
          return id;
        };
        window.cancelAnimationFrame = (id) => {
          const pending = frames.get(id);
          frames.delete(id);
          if (pending?.timeout !== undefined) clearTimeout(pending.timeout);
          if (pending?.frame !== undefined) cancel(pending.frame);
        };
      })()`);
    }
    const newPage = context.newPage.bind(context);
    context.newPage = async (): Promise<Page> => {
      const page = await newPage();
      const cdp = await context.newCDPSession(page);
      if (slow.cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: slow.cpu });
      if (slow.latencyMs > 0) {
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: slow.latencyMs,
          downloadThroughput: -1,
          uploadThroughput: -1,
        });
      }
      return page;
    };
    return context;
  };
}

/**
 * What a page did that it must not: a dialog opened (alert, confirm), a console error (a CSP
 * violation is one), an uncaught exception. Tests expect all three lists empty.
 */
export interface Misbehaviour {
  dialogs: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

export function watch(page: Page): Misbehaviour {
  const seen: Misbehaviour = { dialogs: [], consoleErrors: [], pageErrors: [] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  return seen;
}
