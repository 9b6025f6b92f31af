import { chromium, type Browser, type Page } from 'playwright-core';

/** Whether the browser suites run (globalSetup decides: required on CI, skipped loudly elsewhere). */
export const chromiumAvailable = process.env.FLOWTRAIL_TEST_CHROMIUM === 'on';

/**
 * Debian's Chromium, headless, with nothing that reaches out to the network: this machine has
 * none, and Chromium's background services would only fail and slow it down.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
