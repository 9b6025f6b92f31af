import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ENV_VARS, ExecutionLogger, ExecutionStep, WorkflowExecution, type ExecutionStore, type LoggerConfig } from '../src';
import { resolveLoggerConfig } from '../src/config/LoggerConfig';
import { retentionPlan } from '../src/logger/retentionPlan';
import type { NewExecution } from '../src/store/types';
import { databaseKinds, makeDatabase, tempDir, type TestDatabase } from './support/databases';

const DAY = 86_400_000;

/**
 * The logger's retention rules (`retention`, `retentionDays`) applied by `runRetentionCleanup()`
 * on every database kind, through the store's chunked cleanup.
 */
describe.each(databaseKinds)('retention rules on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let logger: ExecutionLogger | undefined;
  const savedEnv: NodeJS.ProcessEnv = {};

  beforeEach(async () => {
    // The logger reads process.env: these tests set only what they name.
    for (const name of Object.values(CONFIG_ENV_VARS)) {
      savedEnv[name as string] = process.env[name as string];
      delete process.env[name as string];
    }
    db = makeDatabase(kind);
    store = await db.open();
  });

  afterEach(async () => {
    await logger?.shutdown();
    logger = undefined;
    await store.close();
    await db.drop();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const makeLogger = async (config: LoggerConfig) => {
    logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10, writerThread: false, recoverOnStart: false, ...config });
    await logger.ready;
    return logger;
  };

  /** Rows named `<status>-<age in days>` (and `-<n>` when several share both), started that long ago. */
  let now = 0;
  const row = (name: string, status: NewExecution['status'], ageDays: number, workflowId = 'wf'): NewExecution & { id: string } => ({
    id: name,
    workflowId,
    workflowName: workflowId,
    triggerType: 'manual',
    status,
    startedAt: now - ageDays * DAY,
  });
  const write = async (...rows: (NewExecution & { id: string })[]) => {
    await store.writeBatch({
      executions: rows,
      steps: rows.map((execution) => ({
        id: `${execution.id}-s0`,
        executionId: execution.id,
        nodeId: 'n',
        nodeType: 't',
        stepIndex: 0,
        startedAt: execution.startedAt,
        status: 'success',
      })),
    });
  };
  const remaining = async () => (await store.dataSource.getRepository(WorkflowExecution).find()).map((execution) => execution.id).sort();

  beforeEach(() => {
    now = Date.now();
  });

  test('each status is kept for its own age; running executions never go', async () => {
    await makeLogger({ retention: { success: '7d', error: '90d', interrupted: '30d' } });
    await write(
      row('success-10', 'success', 10),
      row('success-5', 'success', 5),
      row('error-100', 'error', 100),
      row('error-40', 'error', 40),
      row('interrupted-40', 'interrupted', 40),
      row('interrupted-20', 'interrupted', 20),
      row('running-200', 'running', 200),
    );
    expect(await logger!.runRetentionCleanup()).toBe(3);
    expect(await remaining()).toEqual(['error-40', 'interrupted-20', 'running-200', 'success-5']);
    // Their steps went with them.
    const steps = await store.getStepsOf(await remaining());
    expect(
      [...steps.entries()]
        .filter(([, of]) => of.length === 1)
        .map(([id]) => id)
        .sort(),
    ).toEqual(await remaining());
    expect(await store.dataSource.getRepository(ExecutionStep).count()).toBe(4);
    expect(await logger!.runRetentionCleanup()).toBe(0);
  });

  test('retentionDays is the age of every status retention does not name', async () => {
    await makeLogger({ retentionDays: 10, retention: { error: '90d' } });
    await write(
      row('success-20', 'success', 20),
      row('success-5', 'success', 5),
      row('interrupted-20', 'interrupted', 20),
      row('error-20', 'error', 20),
      row('error-100', 'error', 100),
      row('running-100', 'running', 100),
    );
    expect(await logger!.runRetentionCleanup()).toBe(3);
    expect(await remaining()).toEqual(['error-20', 'running-100', 'success-5']);
  });

  test('a status set to false has no age limit', async () => {
    await makeLogger({ retentionDays: 1, retention: { error: false } });
    await write(row('error-1000', 'error', 1000), row('success-2', 'success', 2), row('interrupted-2', 'interrupted', 2));
    expect(await logger!.runRetentionCleanup()).toBe(2);
    expect(await remaining()).toEqual(['error-1000']);
  });

  test('maxPerWorkflow keeps the newest finished executions of each workflow, after the ages', async () => {
    await makeLogger({ retention: { maxPerWorkflow: 2 } });
    await write(
      ...[1, 2, 3, 4].map((age) => row(`a-${age}`, 'success', age, 'a')),
      row('a-error-5', 'error', 5, 'a'),
      row('a-running-6', 'running', 6, 'a'),
      row('b-1', 'success', 1, 'b'),
      row('b-2', 'error', 2, 'b'),
      row('c-40', 'success', 40, 'c'), // past the default 30 days
    );
    expect(await logger!.runRetentionCleanup()).toBe(4);
    expect(await remaining()).toEqual(['a-1', 'a-2', 'a-running-6', 'b-1', 'b-2']);
  });

  test('without retention, every status is kept 30 days and long-silent instances go, as before', async () => {
    await makeLogger({});
    await write(
      row('success-31', 'success', 31),
      row('error-31', 'error', 31),
      row('interrupted-31', 'interrupted', 31),
      row('success-29', 'success', 29),
      row('running-31', 'running', 31),
    );
    await store.heartbeat({ id: 'gone', hostname: 'h', pid: 1, startedAt: now - 40 * DAY }, now - 40 * DAY);
    expect(await logger!.runRetentionCleanup()).toBe(3);
    expect(await remaining()).toEqual(['running-31', 'success-29']);
    expect((await store.listInstances()).map((instance) => instance.id)).not.toContain('gone');
  });

  test('with ages per status, instances silent past the longest age go', async () => {
    await makeLogger({ retention: { success: '1d', error: '60d', interrupted: '2d' } });
    await store.heartbeat({ id: 'gone', hostname: 'h', pid: 1, startedAt: now - 70 * DAY }, now - 70 * DAY);
    await store.heartbeat({ id: 'quiet', hostname: 'h', pid: 2, startedAt: now - 50 * DAY }, now - 50 * DAY);
    await write(row('error-50', 'error', 50), row('error-70', 'error', 70), row('success-2', 'success', 2));
    expect(await logger!.runRetentionCleanup()).toBe(2);
    expect(await remaining()).toEqual(['error-50']);
    const instances = (await store.listInstances()).map((instance) => instance.id);
    expect(instances).not.toContain('gone');
    expect(instances).toContain('quiet');
  });

  test('the largest ages and counts accepted remove nothing; a fraction of a day is a whole number of ms', async () => {
    await write(row('success-2', 'success', 2), row('error-2', 'error', 2), row('interrupted-2', 'interrupted', 2));
    await makeLogger({ retention: { success: '100000d', error: '14285w', interrupted: false, maxPerWorkflow: Number.MAX_SAFE_INTEGER } });
    expect(await logger!.runRetentionCleanup()).toBe(0);
    await logger!.shutdown();
    // 1.0000001 days is 86 400 008.64 ms: the cut-off must reach the database as an integer.
    await makeLogger({ retentionDays: 1.0000001 });
    expect(await logger!.runRetentionCleanup()).toBe(3);
    expect(await remaining()).toEqual([]);
  });

  test('the store takes any finite age in ms, fractions and absurd sizes included', async () => {
    await write(row('success-2', 'success', 2), row('error-2', 'error', 2));
    for (const maxAgeMs of [1e300, Number.MAX_VALUE, 3 * DAY + 0.5]) {
      expect(await store.countOldExecutions(maxAgeMs)).toBe(0);
      expect(await store.cleanupOldExecutions(maxAgeMs, { status: 'error' })).toBe(0);
    }
    expect(await store.countOldExecutions(DAY + 0.36)).toBe(2);
    expect(await store.cleanupOldExecutions(DAY + 0.36)).toBe(2);
  });

  test('rules come from the config file and the environment, key by key', async () => {
    const dir = tempDir('flowtrail-retention-');
    const file = join(dir, 'flowtrail.config.json');
    writeFileSync(file, JSON.stringify({ retention: { success: '1d', error: '3d', maxPerWorkflow: 100 } }));
    process.env.FLOWTRAIL_RETENTION_ERROR = '10d';
    process.env.FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW = '1';
    await makeLogger({ configFile: file, retention: { interrupted: '1d' } });
    await write(
      row('success-2', 'success', 2),
      row('error-5', 'error', 5, 'e'),
      row('error-6', 'error', 6, 'e'),
      row('error-11', 'error', 11),
      row('interrupted-2', 'interrupted', 2),
    );
    // Ages: success 1d (file), error 10d (env over file), interrupted 1d (code); then 1 per workflow (env).
    expect(await logger!.runRetentionCleanup()).toBe(4);
    expect(await remaining()).toEqual(['error-5']);
  });
});

describe('the store calls a logger makes (retentionPlan)', () => {
  const plan = (options: LoggerConfig) => retentionPlan(resolveLoggerConfig({ configFile: false, ...options }, {}).retention);

  test('the defaults make the one call retentionDays always made', () => {
    expect(plan({})).toEqual([{ maxAgeMs: 30 * DAY }]);
    expect(plan({ retentionDays: 7, retention: { success: '7d' } })).toEqual([{ maxAgeMs: 7 * DAY }]);
  });

  test('the longest age goes first for every status, then the shorter ones by status, then the count', () => {
    expect(plan({ retention: { success: '7d', error: '90d', maxPerWorkflow: 10 } })).toEqual([
      { maxAgeMs: 90 * DAY },
      { maxAgeMs: 7 * DAY, status: 'success' },
      { maxAgeMs: 30 * DAY, status: 'interrupted' },
      { keepPerWorkflow: 10 },
    ]);
  });

  test('a status without age limit leaves the others narrowed to their status', () => {
    expect(plan({ retention: { error: false, maxPerWorkflow: 0 } })).toEqual([
      { maxAgeMs: 30 * DAY, status: 'success' },
      { maxAgeMs: 30 * DAY, status: 'interrupted' },
      { keepPerWorkflow: 0 },
    ]);
    expect(plan({ retention: { success: false, error: false, interrupted: false } })).toEqual([]);
  });
});
