/**
 * The history viewer mounted in an Express app, behind the app's own check:
 * `npm run example:express` (or `npx tsc -p tsconfig.run.json && node build/examples/express.js`).
 *
 * It records the demo's runs into the history (`FLOWTRAIL_DB`, or ./.flowtrail/history.sqlite),
 * then serves its own route at `/` and the viewer at `/history/`, which asks for `HISTORY_TOKEN`
 * (one is made up and printed when it is not set): scripts send `Authorization: Bearer <token>`,
 * a browser asks for it as the password. `PORT` (default 3000; 0 for any free port) and `HOST`
 * (default 127.0.0.1) say where. SIGTERM or Ctrl-C stops it: open live streams are ended, the
 * history's tail is written and the database closed.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHistoryHandler, ExecutionLogger, ExecutionStore, WorkflowRunner } from '../src';
import { recordDemoRuns } from './demoRuns';
import { hasToken, historyToken, stopSignal } from './historyToken';

async function main(): Promise<void> {
  const token = historyToken();
  const store = await ExecutionStore.open();
  const logger = new ExecutionLogger(store);
  await logger.ready;
  await recordDemoRuns(new WorkflowRunner({ logger }));
  await logger.flush();

  const app = express();
  app.get('/', (_req, res) => {
    res.json({ app: 'shop', orders: 3, history: '/history/' });
  });
  // Without credentials the viewer answers 401; this header makes a browser ask for them.
  app.use('/history', (req, res, next) => {
    if (!req.headers.authorization) res.setHeader('WWW-Authenticate', 'Basic realm="flowtrail history"');
    next();
  });
  // Mounted at /history, the handler is given /history/... in req.originalUrl: basePath says so.
  app.use('/history', createHistoryHandler(store, { basePath: '/history', authorize: (req) => hasToken(req, token) }));

  const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { address, port } = server.address() as AddressInfo;
  const origin = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  console.log(`Express app: ${origin}/`);
  console.log(`History viewer: ${origin}/history/`);
  if (!process.env.HISTORY_TOKEN) console.log(`Its token (any user name, this password; or HISTORY_TOKEN=): ${token}`);

  await stopSignal();
  // Live streams hold their connections open: end them, so that close() returns now.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  await logger.shutdown();
  await store.close();
  console.log('Stopped.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
