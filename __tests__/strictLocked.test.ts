import { ExecutionLogger, LoggedNode, LoggedWorkflow, type ExecutionStore } from '../src';
import { sqliteDatabase, tempDir, type TestDatabase } from './support/databases';
import { holdWriteLock } from './support/dbFaults';
import { until } from './support/until';

/**
 * Strict mode waits for durability, not for a lock: while SQLite is locked by another process,
 * the first record finds out (after the busy timeout) and the records after it are made durable
 * in the spool, instead of each one waiting out the busy timeout again.
 */

class Step {
  constructor(readonly id: string) {}

  @LoggedNode()
  execute(n: number): number {
    return n + 1;
  }
}

class ThreeSteps {
  readonly id = 'three';

  @LoggedWorkflow()
  async run(n: number): Promise<number> {
    let value = n;
    for (const id of ['a', 'b', 'c']) value = await Promise.resolve(new Step(id).execute(value));
    return value;
  }
}

describe('strict mode while SQLite is locked by another connection', () => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeEach(async () => {
    db = sqliteDatabase();
    store = await db.open({ busyTimeoutMs: 300 });
  });

  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  test('the first record waits out the busy timeout; every later one is fsync’ed to the spool and the workflows go on', async () => {
    const spoolDir = tempDir('flowtrail-spool-');
    const logger = new ExecutionLogger(store, {
      configFile: false,
      durability: 'strict',
      spoolDir,
      retryDelayMs: 50,
      maxRetryDelayMs: 5000,
    });
    ExecutionLogger.setDefault(logger);
    await logger.ready;
    const release = await holdWriteLock(db);
    const results: number[] = [];
    for (let n = 0; n < 5; n++) results.push(await new ThreeSteps().run(n * 10));
    expect(results).toEqual([3, 13, 23, 33, 43]);
    const whileLocked = logger.stats();
    // 5 workflows × (1 execution + 3 steps), starts and completions: every one persisted somewhere.
    expect(whileLocked.spooled).toBeGreaterThan(0);
    // Not one failed attempt per record (each waiting out the busy timeout): the backoff holds.
    expect(whileLocked.failedWrites).toBeLessThanOrEqual(2);
    expect(whileLocked.dropped).toBe(0);

    await release();
    await until(
      async () => (await store.listExecutions()).items.filter((e) => e.status === 'success').length === 5,
      'the spool to be replayed',
    );
    await logger.shutdown();
    for (const execution of (await store.listExecutions()).items) {
      expect((await store.getSteps(execution.id)).map((step) => step.status)).toEqual(['success', 'success', 'success']);
    }
  });
});
