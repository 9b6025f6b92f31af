// The viewer at the size of issue #15's targets: a SQLite history of 1 000 000 steps (5000 runs of
// 200 steps, written with writeBatch), then the handler's server time per route, and, when Debian's
// Chromium is there, the browser's first render of the list and of a 1000-step run's timeline.
// Part of `npm run bench` (`npm run bench -- viewer`); it needs the built viewer (`npm run build`).
import 'reflect-metadata';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistoryHandler, ExecutionStore } from '../src';
import { atMost, summarize, type BenchOutput, type ResultRow } from './stats';
import { envInt, finishedExecution, log, size } from './support';

const EXECUTIONS = envInt('BENCH_VIEWER_EXECUTIONS', size(5000, 250));
const STEPS_PER_EXECUTION = 200;
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';

/** Issue #15's targets: the list's first answer, the list's first render, a 1000-step timeline's render. */
const LIST_SERVER_MS = 300;
const RENDER_MS = 1000;

export async function runViewer(): Promise<BenchOutput> {
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { executions: EXECUTIONS, steps: EXECUTIONS * STEPS_PER_EXECUTION + 1000 };
  const dir = mkdtempSync(join(tmpdir(), 'flowtrail-viewer-bench-'));
  const store = await ExecutionStore.open({ database: join(dir, 'history.sqlite') });
  try {
    const now = Date.now();
    const spacing = (30 * 86_400_000) / EXECUTIONS;
    let started = Date.now();
    for (let first = 0; first < EXECUTIONS; first += 25) {
      const batch: Parameters<ExecutionStore['writeBatch']>[0] = { executions: [], steps: [] };
      for (let i = first; i < Math.min(EXECUTIONS, first + 25); i++) {
        const rows = finishedExecution(Math.floor(now - 30 * 86_400_000 + i * spacing), STEPS_PER_EXECUTION, i % 20);
        (batch.executions as unknown[]).push(rows.execution);
        (batch.steps as unknown[]).push(...rows.steps);
      }
      await store.writeBatch(batch);
    }
    const long = finishedExecution(now - 1000, 1000, 99);
    await store.writeBatch({ executions: [long.execution], steps: long.steps });
    log(`viewer: ${EXECUTIONS * STEPS_PER_EXECUTION + 1000} steps stored in ${Math.round((Date.now() - started) / 1000)} s`);

    const handler = createHistoryHandler(store);
    const serverMs: number[] = [];
    const server = createServer((req, res) => {
      const start = process.hrtime.bigint();
      res.on('finish', () => serverMs.push(Number(process.hrtime.bigint() - start) / 1e6));
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const measure = async (label: string, path: string, target?: number, repeats = 21) => {
      serverMs.length = 0;
      let bytes = 0;
      for (let i = 0; i < repeats; i++) bytes = (await (await fetch(base + path)).text()).length;
      const sorted = [...serverMs].sort((a, b) => a - b);
      const ms = (value: number | undefined) => `${(value ?? NaN).toFixed(1)} ms`;
      log(
        `viewer: ${label}: first ${ms(serverMs[0])}, median ${ms(sorted[repeats >> 1])}, max ${ms(sorted[repeats - 1])} server time, ${bytes} bytes`,
      );
      const first = serverMs[0] ?? NaN;
      rows.push({
        bench: 'viewer',
        figure: `${label}, first request, server time (${details.steps} steps stored)`,
        value: summarize([first]),
        unit: 'ms',
        ...(target === undefined ? {} : { verdict: atMost(first, target, `< ${target} ms`) }),
      });
      rows.push({ bench: 'viewer', figure: `${label}, server time`, value: summarize(serverMs), unit: 'ms', note: `${bytes} bytes` });
    };
    await measure('GET /api/executions (first page)', '/api/executions', LIST_SERVER_MS);
    await measure('GET /api/executions?workflow&status', '/api/executions?workflow=bench-workflow-3&status=success');
    await measure('GET /api/executions/:id (1000 steps, outlines)', `/api/executions/${long.execution.id}`);
    await measure('GET /api/executions/:id/steps/:stepId', `/api/executions/${long.execution.id}/steps/${long.steps[500]!.id}`);

    if (existsSync(CHROMIUM)) {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      const page = await browser.newPage();
      const drawn = { list: [] as number[], timeline: [] as number[] };
      for (let i = 0; i < 3; i++) {
        started = Date.now();
        await page.goto(`${base}/`);
        await page.waitForSelector('table.executions tbody tr');
        const listMs = Date.now() - started;
        started = Date.now();
        await page.goto(`${base}/executions/${long.execution.id}`);
        await page.waitForSelector('.timeline-row');
        const timelineMs = Date.now() - started;
        drawn.list.push(listMs);
        drawn.timeline.push(timelineMs);
        log(`viewer: browser: list drawn ${listMs} ms after goto, 1000-step timeline ${timelineMs} ms`);
      }
      await browser.close();
      for (const [key, label] of [
        ['list', 'Executions page, goto to rows drawn (Chromium)'],
        ['timeline', 'Execution page of 1000 steps, goto to timeline drawn (Chromium)'],
      ] as const) {
        const value = summarize(drawn[key]);
        rows.push({
          bench: 'viewer',
          figure: label,
          value,
          unit: 'ms',
          verdict: atMost(drawn[key][0] ?? NaN, RENDER_MS, `first < ${RENDER_MS} ms`),
        });
      }
    } else {
      log(`viewer: no Chromium at ${CHROMIUM}: browser figures skipped`);
      details.browser = `no Chromium at ${CHROMIUM}`;
    }
    server.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, details };
}
