/**
 * The history viewer in a NestJS HTTP application (Express platform):
 * `npm run example:nestjs` (or `npx tsc -p tsconfig.run.json && node build/examples/nestjs/viewer.js`).
 *
 * FlowtrailModule gives the store; `main` mounts the viewer on it with `app.use('/history', …)`,
 * next to the app's own controller. It records the demo's runs first (`FLOWTRAIL_DB`, or
 * ./.flowtrail/history.sqlite). `/history/` asks for `HISTORY_TOKEN` (made up and printed when not
 * set), as a bearer token or a Basic password; `PORT` (default 3000, 0 for any) and `HOST`
 * (default 127.0.0.1) say where. SIGTERM or Ctrl-C closes the app: open live streams are ended,
 * the history's tail written, the database closed, and the process exits 0.
 */
import 'reflect-metadata';
import type { NextFunction, Request, Response } from 'express';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHistoryHandler, ExecutionLogger, ExecutionStore, WorkflowRunner } from '../../src';
import { FlowtrailModule } from '../../src/nestjs';
import { recordDemoRuns } from '../demoRuns';
import { hasToken, historyToken, stopSignal } from '../historyToken';

@Controller()
class ShopController {
  @Get()
  index() {
    return { app: 'shop', framework: 'nestjs', history: '/history/' };
  }
}

@Module({
  imports: [FlowtrailModule.forRoot()],
  controllers: [ShopController],
})
class AppModule {}

async function main(): Promise<void> {
  const token = historyToken();
  // forceCloseConnections: app.close() also ends the viewer's open live streams.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'], forceCloseConnections: true });
  await recordDemoRuns(new WorkflowRunner({ logger: app.get(ExecutionLogger) }));
  await app.get(ExecutionLogger).flush();

  // app.use is Express's: mounted at /history, the handler finds the whole path in req.originalUrl.
  // A global prefix (app.setGlobalPrefix) applies to controllers only, not to this.
  const history = createHistoryHandler(app.get(ExecutionStore), { basePath: '/history', authorize: (req) => hasToken(req, token) });
  app.use('/history', (req: Request, res: Response, next: NextFunction) => {
    // Without credentials the viewer answers 401; this header makes a browser ask for them.
    if (!req.headers.authorization) res.setHeader('WWW-Authenticate', 'Basic realm="flowtrail history"');
    next();
  });
  app.use('/history', history);

  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
  const origin = await app.getUrl();
  console.log(`NestJS app: ${origin}/`);
  console.log(`History viewer: ${origin}/history/`);
  if (!process.env.HISTORY_TOKEN) console.log(`Its token (any user name, this password; or HISTORY_TOKEN=): ${token}`);

  // Not app.enableShutdownHooks(): that re-raises the signal once closed, so the process would end
  // killed by SIGTERM rather than exit 0. app.close() runs the same hooks (FlowtrailModule writes
  // the history's tail, then closes the store).
  await stopSignal();
  await app.close();
  console.log('Stopped.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
