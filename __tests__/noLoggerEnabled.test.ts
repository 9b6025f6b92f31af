import { ExecutionLogger, LoggedNode, LoggedWorkflow, type ExecutionStore, type LoggerConfig } from '../src';
import { executionContext } from '../src/logger/context';
import { makeDatabase, type TestDatabase } from './support/databases';
import { sleep } from './support/sleep';

/**
 * While no logger in the process can record a step, a decorated call does not look up the async
 * context at all (issue #16, target 1); every way a logger starts or stops recording keeps that
 * in step: enabling later, several loggers, shutdown (with executions still running past it).
 */

class Echo {
  constructor(readonly id: string) {}

  @LoggedNode()
  async execute(input: { n: number; ms?: number }): Promise<number> {
    if (input.ms) await sleep(input.ms);
    return input.n;
  }
}

/** Records with the default logger: `flow(id, logger)` sets it first. */
class Flow {
  constructor(readonly id: string) {}

  @LoggedWorkflow()
  async run(n: number, ms = 0): Promise<number> {
    const a = await new Echo('a').execute({ n, ms });
    return (await new Echo('b').execute({ n: a })) * 2;
  }
}

let db: TestDatabase;
let store: ExecutionStore;
const loggers: ExecutionLogger[] = [];

async function startLogger(config: LoggerConfig = {}): Promise<ExecutionLogger> {
  const logger = new ExecutionLogger(store, { configFile: false, spoolDir: false, flushIntervalMs: 10, ...config });
  loggers.push(logger);
  await logger.ready;
  return logger;
}

/** How many times the decorated calls in `body` looked up the async context. */
async function lookups(body: () => Promise<unknown>): Promise<number> {
  const getStore = jest.spyOn(executionContext, 'getStore');
  try {
    await body();
    return getStore.mock.calls.length;
  } finally {
    getStore.mockRestore();
  }
}

function flow(id: string, logger: ExecutionLogger): Flow {
  ExecutionLogger.setDefault(logger);
  return new Flow(id);
}

async function stepsOf(workflowId: string): Promise<number> {
  const { items } = await store.listExecutions({ workflowId });
  let steps = 0;
  for (const execution of items) steps += (await store.getSteps(execution.id)).length;
  return steps;
}

beforeEach(async () => {
  db = makeDatabase('sqlite');
  store = await db.open();
});

afterEach(async () => {
  await Promise.all(loggers.splice(0).map((logger) => logger.shutdown()));
  ExecutionLogger.setDefault(null);
  await store.close();
  await db.drop();
});

test('with every logger disabled, a decorated node and workflow never look up the context, and record nothing', async () => {
  const a = await startLogger({ enabled: false });
  const b = await startLogger({ enabled: false });
  expect(await lookups(() => new Echo('alone').execute({ n: 1 }))).toBe(0);
  expect(await lookups(() => flow('flow-a', a).run(2))).toBe(0);
  expect(await lookups(() => flow('flow-b', b).run(3))).toBe(0);
  await Promise.all([a.flush(), b.flush()]);
  expect((await store.listExecutions()).items).toEqual([]);
});

test('a logger enabled later records again; one enabled twice and disabled once no longer counts', async () => {
  const logger = await startLogger({ enabled: false });
  logger.setEnabled(true);
  logger.setEnabled(true);
  expect(await flow('later', logger).run(1)).toBe(2);
  await logger.flush();
  expect(await stepsOf('later')).toBe(2);

  logger.setEnabled(false);
  expect(await lookups(() => flow('off-again', logger).run(1))).toBe(0);
  await logger.flush();
  expect(await stepsOf('off-again')).toBe(0);
});

test('with several loggers, any one enabled is enough: each records its own workflows, the disabled one none', async () => {
  const off = await startLogger({ enabled: false });
  const on = await startLogger();
  await flow('by-on', on).run(1);
  await flow('by-off', off).run(1);
  await Promise.all([on.flush(), off.flush()]);
  expect(await stepsOf('by-on')).toBe(2);
  expect(await stepsOf('by-off')).toBe(0);

  on.setEnabled(false);
  off.setEnabled(true);
  await flow('by-off-now', off).run(1);
  await off.flush();
  expect(await stepsOf('by-off-now')).toBe(2);
});

test('after shutdown, a logger counts while executions it recorded still run: their steps are recorded, then no lookup', async () => {
  const logger = await startLogger({ shutdownGraceMs: 5_000 });
  const running = flow('across-shutdown', logger).run(4, 100);
  await sleep(10);
  const stopping = logger.shutdown();
  expect(await running).toBe(8);
  await stopping;
  expect(await stepsOf('across-shutdown')).toBe(2);
  expect(await lookups(() => flow('after-shutdown', logger).run(1))).toBe(0);
});

test('past the grace period, an execution still running records its later steps (to where they go), then stops counting', async () => {
  // Its late records have no spool to go to: dropped, and reported (not as a warning on the test's output).
  const logger = await startLogger({ shutdownGraceMs: 20, onError: () => undefined });
  let lateStep = 0;
  const spy = jest.spyOn(logger, 'runNode').mockImplementation(function (this: ExecutionLogger, ...args) {
    lateStep++;
    return ExecutionLogger.prototype.runNode.apply(this, args);
  });
  const running = flow('outlives-grace', logger).run(4, 200);
  await sleep(10);
  await logger.shutdown();
  const before = lateStep;
  expect(await running).toBe(8);
  // The second node runs after shutdown() resolved: it still goes through the recorder.
  expect(lateStep).toBe(before + 1);
  spy.mockRestore();
  expect(await lookups(() => flow('after', logger).run(1))).toBe(0);
});
