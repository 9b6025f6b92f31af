import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionLogger, LoggedNode, LoggedWorkflow, type ErrorContext, type ExecutionStore, type LoggerConfig } from '../src';
import { capText } from '../src/logger/errorDetails';
import { databaseKinds, tempDir, useStorePerTest } from './support/databases';

/** Error text is data from anyone: it is redacted like data and capped, wherever it is stored. */

const SECRET = 'sk_live_4242';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe.each(databaseKinds)('error text on %s', (kind) => {
  const current = useStorePerTest(kind);
  let logger: ExecutionLogger;
  const reports: ErrorContext[] = [];

  function start(store: ExecutionStore, config: LoggerConfig = {}): ExecutionLogger {
    logger = new ExecutionLogger(store, { configFile: false, spoolDir: false, onError: (_e, context) => reports.push(context), ...config });
    ExecutionLogger.setDefault(logger);
    return logger;
  }

  afterEach(() => logger.shutdown());

  class Charge {
    readonly id = 'charge';

    @LoggedNode()
    execute(kind: string): never {
      if (kind === 'object') throw { status: 401, headers: { authorization: `Bearer ${SECRET}` }, apiKey: SECRET };
      if (kind === 'cause') throw new Error('charge failed', { cause: { request: { token: SECRET, amount: 5 } } });
      if (kind === 'url') throw new Error(`connect ECONNREFUSED postgres://app:${SECRET}@db.internal:5432/x?sslpassword=${SECRET}`);
      throw new Error('m'.repeat(20_000_000), { cause: new Error('c'.repeat(5_000_000)) });
    }
  }

  class Flow {
    readonly id = 'flow';

    @LoggedWorkflow()
    async run(kind: string): Promise<string> {
      try {
        new Charge().execute(kind);
      } catch (error) {
        if (kind === 'huge') throw error;
      }
      return 'handled';
    }
  }

  test('a thrown object and a cause object are redacted like data; URL credentials in a message are masked', async () => {
    start(current.store);
    for (const kind of ['object', 'cause', 'url']) expect(await new Flow().run(kind)).toBe('handled');
    await logger.shutdown();
    const steps = (await current.store.listExecutions()).items.length;
    expect(steps).toBe(3);
    for (const execution of (await current.store.listExecutions()).items) {
      const [step] = await current.store.getSteps(execution.id);
      expect(step).toMatchObject({ status: 'error' });
      expect(`${step!.errorMessage}\n${step!.errorStack}`).not.toContain(SECRET);
    }
    const [object, cause, url] = (await current.store.listExecutions()).items.reverse();
    expect(JSON.parse((await current.store.getSteps(object!.id))[0]!.errorMessage!)).toEqual({
      status: 401,
      headers: { authorization: '[REDACTED]' },
      apiKey: '[REDACTED]',
    });
    expect((await current.store.getSteps(cause!.id))[0]!.errorStack).toContain('Caused by: {"request":{"token":"[REDACTED]","amount":5}}');
    expect((await current.store.getSteps(url!.id))[0]!.errorMessage).toBe(
      'connect ECONNREFUSED postgres://app:***@db.internal:5432/x?sslpassword=***',
    );
  });

  test('a 20 MB message is stored capped, for the step and the execution, and recording goes on', async () => {
    start(current.store);
    await expect(new Flow().run('huge')).rejects.toThrow('mmmm');
    expect(await new Flow().run('url')).toBe('handled');
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ failedWrites: 0, rejected: 0, dropped: 0 });
    const [, huge] = (await current.store.listExecutions()).items;
    const [step] = await current.store.getSteps(huge!.id);
    const execution = await current.store.getExecution(huge!.id);
    for (const row of [step!, execution!]) {
      expect(Buffer.byteLength(row.errorMessage!, 'utf8')).toBeLessThanOrEqual(4096);
      expect(Buffer.byteLength(row.errorStack!, 'utf8')).toBeLessThanOrEqual(16_384);
      expect(row.errorMessage).toMatch(/^m+… \[cut at 4096 of 20000000 bytes\]$/);
      expect(row.errorStack).toMatch(/^Error: m+… \[cut at 16384 of \d+ bytes\]$/);
    }
  });

  test('maxErrorMessageSize and maxErrorStackSize set the caps', async () => {
    start(current.store, { maxErrorMessageSize: 300, maxErrorStackSize: 600 });
    await expect(new Flow().run('huge')).rejects.toThrow();
    await logger.shutdown();
    const [execution] = (await current.store.listExecutions()).items;
    const [step] = await current.store.getSteps(execution!.id);
    expect(Buffer.byteLength(step!.errorMessage!, 'utf8')).toBeLessThanOrEqual(300);
    expect(Buffer.byteLength(step!.errorStack!, 'utf8')).toBeLessThanOrEqual(600);
  });

  test('what the spool keeps while the database is down is the redacted text too', async () => {
    const spoolDir = tempDir('flowtrail-spool-');
    start(current.store, {
      spoolDir,
      maxQueueSize: 2,
      maxBatchSize: 1,
      writerThread: false,
      retryDelayMs: 50,
      maxRetryDelayMs: 50,
      shutdownTimeoutMs: 100,
    });
    await logger.ready;
    // Fault injection: every write fails, so records past the bound go to the spool.
    const spy = jest.spyOn(current.store, 'writeBatch').mockRejectedValue(new Error('connect ECONNREFUSED (injected)'));
    try {
      for (const kind of ['object', 'cause', 'url', 'object', 'cause', 'url']) await new Flow().run(kind);
      await logger.flush();
      expect(logger.stats().spooled).toBeGreaterThan(0);
      const spooled = filesUnder(spoolDir)
        .filter((file) => file.endsWith('.jsonl'))
        .map((file) => readFileSync(file, 'utf8'))
        .join('');
      expect(spooled).toContain('[REDACTED]');
      expect(spooled).not.toContain(SECRET);
    } finally {
      spy.mockRestore();
    }
  });
});

test('capText cuts between code points and says where', () => {
  expect(capText('short', 300)).toBe('short');
  const cut = capText('é'.repeat(400), 300);
  expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(300);
  expect(cut).toMatch(/^é+… \[cut at 300 of 800 bytes\]$/);
  const emoji = capText('🚀'.repeat(200), 300);
  expect(emoji).toMatch(/^(🚀)+… \[cut at 300 of 800 bytes\]$/u);
});
