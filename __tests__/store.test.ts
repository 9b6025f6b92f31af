import { execFile } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ConfigError,
  ExecutionLogger,
  ExecutionStep,
  ExecutionStore,
  NotFoundError,
  QueryError,
  StoreOpenError,
  WorkflowExecution,
  uuidv7,
  type NewExecution,
  type NewStep,
} from '../src';
import { nextRetentionChunk } from '../src/store/Retention';
import { databaseKinds, makeDatabase, tempDir, type TestDatabase } from './support/databases';

const run = promisify(execFile);

function execution(overrides: Partial<NewExecution> = {}): NewExecution & { id: string } {
  const startedAt = overrides.startedAt ?? Date.now();
  return {
    id: uuidv7(startedAt),
    workflowId: 'wf-1',
    workflowName: 'Workflow one',
    triggerType: 'manual',
    status: 'success',
    startedAt,
    ...overrides,
  };
}

function step(executionId: string, stepIndex: number, overrides: Partial<NewStep> = {}): NewStep & { id: string } {
  const startedAt = overrides.startedAt ?? Date.now();
  return {
    id: uuidv7(startedAt),
    executionId,
    nodeId: `node-${stepIndex}`,
    nodeType: 'transform',
    stepIndex,
    startedAt,
    status: 'success',
    ...overrides,
  };
}

test('the sqlite3 native module loads and runs a query', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const db = new sqlite3.Database(':memory:');
  const row = await new Promise<{ answer: number; version: string }>((resolve, reject) =>
    db.get('SELECT 6 * 7 AS answer, sqlite_version() AS version', (error: Error | null, result: { answer: number; version: string }) =>
      error ? reject(error) : resolve(result),
    ),
  );
  db.close();
  expect(row.answer).toBe(42);
  expect(row.version).toMatch(/^3\.\d+\.\d+$/);
});

describe.each(databaseKinds)('ExecutionStore on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = await db.open();
  });

  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  test('round-trips every column, nulls and zeros included', async () => {
    const full = execution({
      workflowName: 'Ünïcödé 🚀 名前',
      triggerType: 'webhook',
      triggerData: { body: { nested: [1, 'two', null, true, { deep: 'ö' }] }, headers: { 'x-id': '1' } },
      status: 'error',
      startedAt: 1_700_000_000_123,
      completedAt: 1_700_000_000_123,
      durationMs: 0,
      errorMessage: 'boom',
      errorStack: 'Error: boom\n    at somewhere',
      metadata: { version: 3, tags: ['a'] },
      parentExecutionId: uuidv7(),
      parentStepId: uuidv7(),
      instanceId: uuidv7(),
    });
    const bare = execution({ workflowId: 'wf-bare', status: 'running' });
    await store.writeBatch({ executions: [full, bare] });
    const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, text: `row ${i} ✓` })) };
    const fullStep = step(full.id, 0, {
      nodeName: 'Node ✨',
      completedAt: full.startedAt,
      durationMs: 0,
      status: 'error',
      inputData: big,
      outputData: 'plain string',
      errorMessage: 'bad',
      errorStack: 'stack',
      instanceId: full.instanceId,
    });
    const bareStep = step(full.id, 1, { status: 'skipped' });
    await store.writeBatch({ steps: [fullStep, bareStep] });

    const readFull = await store.getExecution(full.id, { steps: true });
    expect(readFull).toMatchObject({
      ...full,
      steps: [
        { ...fullStep, inputData: big },
        {
          ...bareStep,
          nodeName: null,
          completedAt: null,
          durationMs: null,
          inputData: null,
          outputData: null,
          errorMessage: null,
          errorStack: null,
          instanceId: null,
        },
      ],
    });
    expect(readFull?.durationMs).toBe(0);
    expect(typeof readFull?.startedAt).toBe('number');
    expect(readFull?.steps?.[0]?.durationMs).toBe(0);

    const readBare = await store.getExecution(bare.id);
    expect(readBare).toMatchObject({
      triggerData: null,
      completedAt: null,
      durationMs: null,
      errorMessage: null,
      metadata: null,
      parentExecutionId: null,
    });
    expect(readBare?.steps).toBeUndefined();
  });

  test('the single-row API of the original task creates and updates rows', async () => {
    const startedAt = Date.now();
    const id = await store.createExecution({ workflowId: 'wf', workflowName: 'W', triggerType: 'test', status: 'running', startedAt });
    const stepId = await store.addStep({ executionId: id, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt, status: 'running' });
    await store.updateStep(stepId, { status: 'success', completedAt: startedAt + 5, durationMs: 5, outputData: { ok: true } });
    await store.updateExecution(id, { status: 'success', completedAt: startedAt + 7, durationMs: 7 });
    const read = await store.getExecution(id, { steps: true });
    expect(read).toMatchObject({ status: 'success', durationMs: 7, steps: [{ id: stepId, status: 'success', outputData: { ok: true } }] });
    await expect(store.updateExecution('missing', { status: 'error' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.updateStep('missing', { status: 'error' })).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a batch is one transaction: a failing row leaves nothing behind', async () => {
    const parent = execution();
    const duplicateIndex = [step(parent.id, 0), step(parent.id, 0)];
    await expect(store.writeBatch({ executions: [parent], steps: duplicateIndex })).rejects.toThrow();
    expect(await store.getExecution(parent.id)).toBeNull();
  });

  test('replaying a batch changes nothing', async () => {
    const parent = execution({ status: 'running' });
    const batch = {
      executions: [parent],
      steps: [step(parent.id, 0)],
      executionUpdates: [{ id: parent.id, patch: { status: 'success' as const, durationMs: 3 } }],
    };
    await store.writeBatch(batch);
    await store.writeBatch(batch);
    const read = await store.getExecution(parent.id, { steps: true });
    expect(read).toMatchObject({ status: 'success', durationMs: 3 });
    expect(read?.steps).toHaveLength(1);
  });

  test('a batch larger than one statement is chunked under the parameter limit', async () => {
    const parent = execution();
    const steps = Array.from({ length: 5000 }, (_, i) => step(parent.id, i));
    await store.writeBatch({ executions: [parent], steps });
    const count = await store.dataSource.getRepository(ExecutionStep).count({ where: { executionId: parent.id } });
    expect(count).toBe(5000);
  });

  test.each([
    ['one JSON parameter', true],
    ['bound parameters (the writer thread)', false],
  ])('updates of different shapes, an unknown id and more rows than one statement apply exactly: %s', async (_path, jsonBatches) => {
    store.jsonBatches = jsonBatches;
    const parent = execution({ status: 'running' });
    const steps = Array.from({ length: 2500 }, (_, i) => step(parent.id, i, { status: 'running' }));
    await store.writeBatch({ executions: [parent], steps });
    const completedAt = parent.startedAt + 9;
    const stepUpdates = steps.map(({ id }, i) => ({
      id,
      patch:
        i % 3 === 0
          ? { status: 'success' as const, completedAt, durationMs: i, outputData: { i, text: `out ${i} ✓ "q" \\ ` } }
          : i % 3 === 1
            ? { status: 'error' as const, completedAt, durationMs: i, errorMessage: `failed ${i}`, errorStack: null }
            : { status: 'skipped' as const },
    }));
    await store.writeBatch({
      executionUpdates: [
        { id: parent.id, patch: { status: 'error', completedAt, durationMs: 9, errorMessage: 'e', metadata: { m: 1 } } },
        { id: uuidv7(), patch: { status: 'success' } },
      ],
      stepUpdates: [...stepUpdates, { id: uuidv7(), patch: { status: 'success' as const } }],
    });
    const read = await store.getExecution(parent.id, { steps: true });
    expect(read).toMatchObject({ status: 'error', completedAt, durationMs: 9, errorMessage: 'e', metadata: { m: 1 } });
    expect(read?.steps).toHaveLength(2500);
    read?.steps?.forEach((row, i) => {
      if (i % 3 === 0)
        expect(row).toMatchObject({
          status: 'success',
          completedAt,
          durationMs: i,
          outputData: { i, text: `out ${i} ✓ "q" \\ ` },
          errorMessage: null,
        });
      else if (i % 3 === 1)
        expect(row).toMatchObject({ status: 'error', durationMs: i, errorMessage: `failed ${i}`, errorStack: null, outputData: null });
      else expect(row).toMatchObject({ status: 'skipped', completedAt: null, durationMs: null });
    });
    expect(await store.dataSource.getRepository(WorkflowExecution).count()).toBe(1);
  });

  test('characters the JSON path cannot carry are stored as bound parameters store them', async () => {
    // U+0000 (SQLite's JSON cuts text there, PostgreSQL's json refuses it) and lone surrogates
    // (PostgreSQL's json refuses them) send their chunk down the bound-parameter path instead.
    const nul = 'a\u0000b';
    const lone = 'x\uD800y';
    const storedNul = kind === 'postgres' ? 'a\uFFFDb' : nul;
    const rows = [execution({ workflowName: 'plain' }), execution({ workflowName: nul }), execution({ workflowName: lone })];
    await store.writeBatch({
      executions: rows,
      steps: rows.map((row) => step(row.id, 0, { nodeName: row.workflowName, status: 'running' })),
    });
    const read = await Promise.all(rows.map((row) => store.getExecution(row.id, { steps: true })));
    expect(read.map((row) => row?.workflowName)).toEqual(['plain', storedNul, 'x\uFFFDy']);
    expect(read.map((row) => row?.steps?.[0]?.nodeName)).toEqual(['plain', storedNul, 'x\uFFFDy']);
    // The same characters in an update, beside ordinary updates of the same shape.
    await store.writeBatch({
      stepUpdates: read.map((row, i) => ({
        id: row!.steps![0]!.id,
        patch: { status: 'error' as const, errorMessage: [`ok`, nul, lone][i] },
      })),
    });
    const updated = await Promise.all(rows.map((row) => store.getExecution(row.id, { steps: true })));
    expect(updated.map((row) => row?.steps?.[0]?.errorMessage)).toEqual(['ok', storedNul, 'x\uFFFDy']);
  });

  test('concurrent batches do not collide on the shared connection', async () => {
    const parents = Array.from({ length: 50 }, () => execution());
    await Promise.all(parents.map((parent) => store.writeBatch({ executions: [parent], steps: [step(parent.id, 0), step(parent.id, 1)] })));
    expect(await store.dataSource.getRepository(WorkflowExecution).count()).toBe(50);
    expect(await store.dataSource.getRepository(ExecutionStep).count()).toBe(100);
  });

  test('pages through 1000 executions with no row lost or repeated while inserts happen', async () => {
    const base = 1_700_000_000_000;
    // Many rows share a started_at, so the id tiebreak is exercised.
    const rows = Array.from({ length: 1000 }, (_, i) => execution({ startedAt: base + Math.floor(i / 3) }));
    await store.writeBatch({ executions: rows });
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const result: { items: WorkflowExecution[]; nextCursor: string | null } = await store.listExecutions({ limit: 37, cursor });
      seen.push(...result.items.map((item) => item.id));
      cursor = result.nextCursor;
      // Newer rows arriving mid-scan must not shift later pages.
      await store.writeBatch({ executions: [execution({ startedAt: base + 10_000 + page++ })] });
    } while (cursor);
    const expected = rows
      .slice()
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);
    expect(seen.slice(seen.length - 1000)).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('filters by workflow, status, trigger and time range', async () => {
    const base = 1_700_000_000_000;
    await store.writeBatch({
      executions: [
        execution({ workflowId: 'a', status: 'success', triggerType: 'manual', startedAt: base }),
        execution({ workflowId: 'a', status: 'error', triggerType: 'webhook', startedAt: base + 10 }),
        execution({ workflowId: 'b', status: 'error', triggerType: 'webhook', startedAt: base + 20 }),
        execution({ workflowId: 'b', status: 'running', triggerType: 'schedule', startedAt: base + 30 }),
      ],
    });
    const ids = async (query: object) => (await store.listExecutions(query)).items.map((e) => `${e.workflowId}@${e.startedAt - base}`);
    expect(await ids({ workflowId: 'a' })).toEqual(['a@10', 'a@0']);
    expect(await ids({ status: 'error' })).toEqual(['b@20', 'a@10']);
    expect(await ids({ triggerType: 'webhook', workflowId: 'b' })).toEqual(['b@20']);
    expect(await ids({ startedAfter: base + 10, startedBefore: base + 30 })).toEqual(['b@20', 'a@10']);
    await expect(store.listExecutions({ limit: 0 })).rejects.toBeInstanceOf(QueryError);
    await expect(store.listExecutions({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(QueryError);
  });

  test('stats match hand-computed values', async () => {
    const base = 1_700_000_000_000;
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000];
    await store.writeBatch({
      executions: [
        ...durations.map((durationMs, i) =>
          execution({ workflowId: 's', status: i < 7 ? 'success' : 'error', durationMs, startedAt: base + i }),
        ),
        execution({ workflowId: 's', status: 'running', startedAt: base + 100 }),
        execution({ workflowId: 's', status: 'interrupted', durationMs: 99_999, startedAt: base + 101 }),
        execution({ workflowId: 'other', status: 'success', durationMs: 5, startedAt: base + 102 }),
      ],
    });
    const stats = await store.getStats({ workflowId: 's' });
    expect(stats).toEqual({
      total: 12,
      success: 7,
      error: 3,
      running: 1,
      interrupted: 1,
      successRate: 7 / 11,
      minDurationMs: 10,
      avgDurationMs: 145, // (10+…+90 + 1000) / 10
      p50DurationMs: 50, // nearest rank: ceil(0.5 × 10) = 5th
      p95DurationMs: 1000, // ceil(0.95 × 10) = 10th
      maxDurationMs: 1000,
    });
    const since = await store.getStats({ workflowId: 's', since: base + 5 });
    expect(since).toMatchObject({ total: 7, success: 2, error: 3, minDurationMs: 60, p50DurationMs: 80 });
    const empty = await store.getStats({ workflowId: 'nothing' });
    expect(empty).toEqual({
      total: 0,
      success: 0,
      error: 0,
      running: 0,
      interrupted: 0,
      successRate: null,
      minDurationMs: null,
      avgDurationMs: null,
      p50DurationMs: null,
      p95DurationMs: null,
      maxDurationMs: null,
    });
  });

  test('retention removes exactly the old executions and their steps', async () => {
    const now = Date.now();
    const day = 86_400_000;
    const old = Array.from({ length: 450 }, (_, i) => execution({ startedAt: now - 40 * day + i }));
    const oldRunning = execution({ startedAt: now - 40 * day, status: 'running' });
    const recent = Array.from({ length: 30 }, (_, i) => execution({ startedAt: now - 5 * day + i }));
    const all = [...old, oldRunning, ...recent];
    await store.writeBatch({ executions: all, steps: all.flatMap((e) => [step(e.id, 0), step(e.id, 1)]) });

    await store.heartbeat({ id: 'gone', hostname: 'h', pid: 1, startedAt: now - 40 * day }, now - 40 * day);
    await store.heartbeat({ id: 'alive', hostname: 'h', pid: 2, startedAt: now - 40 * day }, now);
    expect(await store.cleanupOldExecutions(30 * day)).toBe(450);
    expect((await store.listInstances()).map((i) => i.id)).toEqual(['alive']);
    const remaining = (await store.dataSource.getRepository(WorkflowExecution).find()).map((e) => e.id).sort();
    expect(remaining).toEqual([oldRunning.id, ...recent.map((e) => e.id)].sort());
    const stepOwners = new Set((await store.dataSource.getRepository(ExecutionStep).find()).map((s) => s.executionId));
    expect([...stepOwners].sort()).toEqual(remaining);
    expect(await store.cleanupOldExecutions(30 * day)).toBe(0);
  });

  test('count-based retention keeps the newest finished runs of each workflow', async () => {
    const base = 1_700_000_000_000;
    const a = Array.from({ length: 8 }, (_, i) => execution({ workflowId: 'a', startedAt: base + i }));
    const b = Array.from({ length: 3 }, (_, i) => execution({ workflowId: 'b', startedAt: base + i }));
    await store.writeBatch({ executions: [...a, ...b], steps: a.map((e) => step(e.id, 0)) });
    expect(await store.cleanupExcessExecutions(5)).toBe(3);
    const left = await store.listExecutions({ workflowId: 'a' });
    expect(left.items.map((e) => e.id)).toEqual(
      a
        .slice(3)
        .reverse()
        .map((e) => e.id),
    );
    expect((await store.listExecutions({ workflowId: 'b' })).items).toHaveLength(3);
    expect(await store.dataSource.getRepository(ExecutionStep).count()).toBe(5);
  });

  test('SQL-looking and hostile strings are stored and matched literally', async () => {
    const nasty = [
      "'; DROP TABLE workflow_executions; --",
      'Robert"); DELETE FROM execution_steps; --',
      "' OR '1'='1",
      '%_\\%',
      '$1 ?',
      '😀'.repeat(1000),
      'x'.repeat(4096),
      'nul\u0000byte',
    ];
    // PostgreSQL text cannot hold U+0000: it is stored as U+FFFD there (JSON keeps it escaped).
    const stored = (value: string) => (kind === 'postgres' ? value.replaceAll('\u0000', '\uFFFD') : value);
    for (const value of nasty) {
      const row = execution({ workflowId: value, workflowName: value, triggerType: value, errorMessage: value, triggerData: { value } });
      await store.writeBatch({ executions: [row], steps: [step(row.id, 0, { nodeId: value, nodeType: value, nodeName: value })] });
      const page = await store.listExecutions({ workflowId: value });
      expect(page.items.map((e) => e.id)).toEqual([row.id]);
      const read = await store.getExecution(row.id, { steps: true });
      expect(read).toMatchObject({
        workflowName: stored(value),
        triggerType: stored(value),
        errorMessage: stored(value),
        triggerData: { value },
      });
      expect((await store.listExecutions({ triggerType: value })).items.map((e) => e.id)).toEqual([row.id]);
      expect(read?.steps?.[0]).toMatchObject({ nodeId: stored(value), nodeType: stored(value), nodeName: stored(value) });
      expect((await store.getStats({ workflowId: value })).total).toBe(1);
    }
    expect((await store.listExecutions({ workflowId: "' OR '1'='1" })).items).toHaveLength(1);
    expect(await store.dataSource.getRepository(WorkflowExecution).count()).toBe(nasty.length);
  });

  test('users query the exported entities with TypeORM', async () => {
    const parent = execution({ workflowId: 'orm', status: 'error' });
    await store.writeBatch({ executions: [parent], steps: [step(parent.id, 0, { status: 'error', nodeId: 'http' })] });
    const failed = await store.dataSource
      .getRepository(ExecutionStep)
      .createQueryBuilder('step')
      .innerJoinAndSelect('step.execution', 'execution')
      .where('step.status = :status', { status: 'error' })
      .getMany();
    expect(failed).toHaveLength(1);
    expect(failed[0]?.execution?.workflowId).toBe('orm');
  });
});

describe.each(databaseKinds.filter((kind) => kind === 'postgres'))('a session the %s server ends', (kind) => {
  test('while the pool hands a connection to TypeORM: the error has a listener, so it cannot end the process', async () => {
    const db = makeDatabase(kind);
    const store = await db.open();
    try {
      const pool = (store.dataSource.driver as unknown as { master: EventEmitter }).master;
      let outcome = 'no connection acquired';
      // A termination read with the connection's ReadyForQuery is handled after pg-pool removed its
      // idle listener and before TypeORM adds its own, a microtask later: this microtask runs there.
      pool.once('acquire', (client: EventEmitter) =>
        queueMicrotask(() => {
          try {
            client.emit('error', new Error('terminating connection due to administrator command (simulated)'));
            outcome = 'contained';
          } catch (error) {
            outcome = `nobody listened: ${(error as Error).message}`;
          }
        }),
      );
      await store.listExecutions();
      expect(outcome).toBe('contained');
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

describe('opening', () => {
  test("':memory:' is a database in memory: no file, no writer thread, no spool, and the logger records into it", async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await ExecutionStore.open({ database: ':memory:' });
      // No spool unless one is named: nothing outlives the process to replay it into.
      expect(store.sink.spoolLocation.defaultDir).toBeNull();
      const logger = new ExecutionLogger(store, { configFile: false });
      await logger.ready;
      const executionId = await logger.startExecution({ workflowId: 'w', workflowName: 'W' });
      await logger.completeExecution(executionId, true);
      await logger.shutdown();
      expect(logger.stats()).toMatchObject({ writerThread: false, spooled: 0, dropped: 0 });
      expect((await store.getExecution(executionId))?.status).toBe('success');
      await store.close();
      // Nothing on disk: no file named ':memory:', no .flowtrail folder for a spool.
      expect(readdirSync(dir)).toEqual([]);
      const readOnly = await ExecutionStore.open({ database: ':memory:', readOnly: true }).catch((error: unknown) => error);
      expect(readOnly).toBeInstanceOf(ConfigError);
      expect((readOnly as ConfigError).field).toBe('readOnly');
    } finally {
      process.chdir(cwd);
    }
  });

  test('the embedded SQLite file is created with WAL, a busy timeout and foreign keys on', async () => {
    const dir = tempDir();
    const database = join(dir, 'nested', 'deeper', 'history.sqlite');
    const store = await ExecutionStore.open({ database });
    try {
      const pragma = async (name: string) => Object.values((await store.dataSource.query(`PRAGMA ${name}`))[0])[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(Number(await pragma('busy_timeout'))).toBeGreaterThan(0);
      expect(Number(await pragma('foreign_keys'))).toBe(1);
      expect(Number(await pragma('auto_vacuum'))).toBe(2); // incremental
      expect(statSync(database).isFile()).toBe(true);
    } finally {
      await store.close();
      await store.close(); // idempotent
    }
  });

  test('retention on SQLite hands the freed space back and truncates the WAL', async () => {
    const dir = tempDir();
    const database = join(dir, 'history.sqlite');
    const store = await ExecutionStore.open({ database });
    try {
      const old = Date.now() - 90 * 86_400_000;
      const payload = { blob: 'x'.repeat(5000) };
      const rows = Array.from({ length: 2000 }, (_, i) => execution({ startedAt: old + i, triggerData: payload }));
      await store.writeBatch({ executions: rows });
      await store.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
      const full = statSync(database).size;
      expect(full).toBeGreaterThan(10_000_000);
      expect(await store.cleanupOldExecutions(30 * 86_400_000)).toBe(2000);
      expect(statSync(database).size).toBeLessThan(full / 10);
      expect(statSync(`${database}-wal`).size).toBe(0);
    } finally {
      await store.close();
    }
  });

  test('with no database named, FLOWTRAIL_DB names the SQLite file', async () => {
    const database = join(tempDir(), 'from-env.sqlite');
    const saved = process.env.FLOWTRAIL_DB;
    process.env.FLOWTRAIL_DB = database;
    try {
      const store = await ExecutionStore.open();
      await store.close();
      expect(store.target).toBe(database);
      expect(statSync(database).isFile()).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.FLOWTRAIL_DB;
      else process.env.FLOWTRAIL_DB = saved;
    }
  });

  test('a path in an unwritable place names the path', async () => {
    const dir = tempDir();
    const aFile = join(dir, 'not-a-folder');
    writeFileSync(aFile, '');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // Root ignores permission bits, so the locked folder only proves anything for other users.
    const targets = [join(aFile, 'history.sqlite'), ...(process.getuid?.() === 0 ? [] : [join(locked, 'sub', 'history.sqlite')])];
    try {
      for (const target of targets) {
        const error = await ExecutionStore.open({ database: target }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreOpenError);
        expect((error as StoreOpenError).target).toBe(target);
        expect((error as Error).message).toContain(target);
      }
    } finally {
      chmodSync(locked, 0o700);
    }
  });

  // Node's recursive mkdir loops forever there. In a child process, so that a hang fails the test
  // by its timeout instead of freezing the whole run.
  (existsSync('/proc/self') ? test : test.skip)('a path under /proc fails with StoreOpenError rather than hanging', async () => {
    const target = '/proc/flowtrail-no-such-folder/history.sqlite';
    const script = `require(${JSON.stringify(join(__dirname, '..', 'dist'))}).ExecutionStore.open({ database: ${JSON.stringify(target)} })
      .then(() => console.log('opened'), (e) => console.log(e.name + ': ' + e.message))`;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(stdout).toMatch(/^StoreOpenError: .*\/proc\/flowtrail-no-such-folder\/history\.sqlite.*ENOENT/);
  });

  test('a URL nobody answers gives a typed error naming it, with the password masked', async () => {
    const error = await ExecutionStore.open({ url: 'postgres://user:s3cret@127.0.0.1:1/db', connectTimeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('s3cret');
  });

  test.each([
    [{ database: 42 }, 'database'],
    [{ database: 'a\u0000b' }, 'database'],
    [{ busyTimeoutMs: -1 }, 'busyTimeoutMs'],
    [{ busyTimeoutMs: 1.5 }, 'busyTimeoutMs'],
    [{ busyTimeoutMs: '5000' }, 'busyTimeoutMs'],
    [{ runMigrations: 'yes' }, 'runMigrations'],
    [{ sqliteDriver: 'sqlite' }, 'sqliteDriver'],
    [{ sqliteDriver: 'better_sqlite3' }, 'sqliteDriver'],
    [{ url: '' }, 'url'],
    [{ url: 42 }, 'url'],
    [{ url: 'postgres://x@127.0.0.1/db', schema: '' }, 'schema'],
    [{ url: 'postgres://x@127.0.0.1/db', schema: 's'.repeat(64) }, 'schema'],
    [{ url: 'postgres://x@127.0.0.1/db', poolSize: 0 }, 'poolSize'],
    [{ url: 'postgres://x@127.0.0.1/db', poolSize: 2 ** 31 }, 'poolSize'],
    [{ url: 'postgres://x@127.0.0.1/db', connectTimeoutMs: 0 }, 'connectTimeoutMs'],
    [{ dataSource: {} }, 'dataSource'],
    [null, 'options'],
  ])('invalid options %p: a ConfigError naming %s, before anything is created', async (options, field) => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const error = await ExecutionStore.open(options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(field);
      expect((error as Error).message).toContain(field);
      expect(readdirSync(dir)).toEqual([]); // no default database file or folder appeared
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two processes write one SQLite file without losing a row', async () => {
    const dir = tempDir();
    const database = join(dir, 'shared.sqlite');
    const first = await ExecutionStore.open({ database });
    await first.close();
    const writer = join(__dirname, 'support', 'writeExecutions.js');
    const child = () => run(process.execPath, [writer, database, '300']);
    const local = (async () => {
      const store = await ExecutionStore.open({ database });
      for (let i = 0; i < 300; i++) {
        const row = execution({ workflowId: 'parent' });
        await store.writeBatch({ executions: [row], steps: [step(row.id, 0)] });
      }
      await store.close();
    })();
    await Promise.all([child(), child(), local]);
    const store = await ExecutionStore.open({ database });
    try {
      expect(await store.dataSource.getRepository(WorkflowExecution).count()).toBe(900);
      expect(await store.dataSource.getRepository(ExecutionStep).count()).toBe(900);
    } finally {
      await store.close();
    }
  });
});

describe('retention chunks', () => {
  test('halve after a long transaction, double after a short one, within bounds', () => {
    expect(nextRetentionChunk(50, 80)).toBe(25);
    expect(nextRetentionChunk(50, 1)).toBe(100);
    expect(nextRetentionChunk(50, 12)).toBe(50);
    expect(nextRetentionChunk(1, 500)).toBe(1);
    expect(nextRetentionChunk(1000, 0)).toBe(1000);
  });
});
