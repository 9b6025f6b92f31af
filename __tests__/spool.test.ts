import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  ExecutionLogger,
  ExecutionStep,
  LoggedNode,
  LoggedWorkflow,
  WorkflowExecution,
  type ExecutionStore,
  type LoggerStats,
} from '../src';
import { CapturedJson } from '../src/capture';
import { Spool } from '../src/writer/Spool';
import { databaseKinds, isSqlite, pgUrl, sqliteDriverOf, tempDir, useStorePerTest, type TestDatabase } from './support/databases';
import { holdWriteLock, killWaitingMysqlSessions } from './support/dbFaults';
import { until } from './support/until';

const worker = join(__dirname, 'support', 'spoolWorker.js');

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(join(dir, name)).isFile());
}

function segmentLines(dir: string): { q: number; t: string; r?: { id: string; executionId?: string }; id?: string }[] {
  return filesUnder(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line));
}

async function counts(store: ExecutionStore): Promise<{ executions: number; steps: number; notSuccess: number; uniqueIndexes: number }> {
  const [row] = await store.dataSource.query(
    `SELECT (SELECT COUNT(*) FROM workflow_executions) AS executions,
            (SELECT COUNT(*) FROM execution_steps) AS steps,
            (SELECT COUNT(*) FROM workflow_executions WHERE status <> 'success')
              + (SELECT COUNT(*) FROM execution_steps WHERE status <> 'success') AS not_success,
            (SELECT COUNT(*) FROM (SELECT DISTINCT execution_id, step_index FROM execution_steps) AS pairs) AS unique_indexes`,
  );
  return {
    executions: Number(row.executions),
    steps: Number(row.steps),
    notSuccess: Number(row.not_success),
    uniqueIndexes: Number(row.unique_indexes),
  };
}

/** Three async nodes, the middle one sync: its start record cannot wait for room. */
function defineWorkflow(logger: ExecutionLogger) {
  class Double {
    constructor(readonly id: string) {}
    @LoggedNode()
    async execute(input: { value: number }): Promise<{ value: number }> {
      await new Promise((resolve) => setImmediate(resolve));
      return { value: input.value * 2 };
    }
  }
  class Increment {
    readonly id = 'increment';
    @LoggedNode()
    execute(input: { value: number }): { value: number } {
      return { value: input.value + 1 };
    }
  }
  class Flow {
    readonly id = 'flow';
    @LoggedWorkflow({ logger })
    async run(trigger: { value: number }): Promise<number> {
      const first = await new Double('first').execute(trigger);
      return (await new Double('last').execute(new Increment().execute(first))).value;
    }
  }
  return Flow;
}

/** What `defineWorkflow` stores for one run with trigger value v, by node. */
async function expectRunsComplete(store: ExecutionStore, runs: number): Promise<void> {
  const executions = await store.dataSource.getRepository(WorkflowExecution).find({ where: { workflowId: 'flow' } });
  expect(executions).toHaveLength(runs);
  for (const execution of executions) {
    const v = (execution.triggerData as { value: number }).value;
    expect(execution.status).toBe('success');
    const steps = await store.getSteps(execution.id);
    expect(steps.map((s) => [s.stepIndex, s.nodeId, s.status, s.outputData])).toEqual([
      [0, 'first', 'success', { value: v * 2 }],
      [1, 'increment', 'success', { value: v * 2 + 1 }],
      [2, 'last', 'success', { value: (v * 2 + 1) * 2 }],
    ]);
  }
}

describe.each(databaseKinds)('spool on %s', (kind) => {
  const current = useStorePerTest(kind);
  let spoolDir: string;
  let loggerStore: ExecutionStore;
  const loggers: ExecutionLogger[] = [];

  beforeEach(async () => {
    spoolDir = tempDir('flowtrail-spool-');
    // The logger's own connection to the test's database, so that it can go down and come back.
    // On SQLite it waits long for a lock another connection holds: slow, not down.
    loggerStore = await current.db.open(isSqlite(kind) ? { busyTimeoutMs: 60_000 } : {});
  });

  afterEach(async () => {
    for (const logger of loggers.splice(0)) await logger.shutdown();
    if (!loggerStore.dataSource.isInitialized) await loggerStore.dataSource.initialize();
    await loggerStore.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  function startLogger(
    config: ConstructorParameters<typeof ExecutionLogger>[1] = {},
    store = loggerStore,
  ): { logger: ExecutionLogger; reports: string[] } {
    const reports: string[] = [];
    const logger = new ExecutionLogger(store, {
      configFile: false,
      spoolDir,
      maxQueueSize: 20,
      maxBatchSize: 8,
      flushIntervalMs: 5,
      retryDelayMs: 5,
      maxRetryDelayMs: 20,
      shutdownTimeoutMs: 50,
      onError: (_error, context) => reports.push(context.operation),
      ...config,
    });
    loggers.push(logger);
    return { logger, reports };
  }

  test('a database that stays down: past the bound, records spill in order; when it is back they are replayed once, in order', async () => {
    // The outage is loggerStore's connection destroyed: a writer thread (its own connection) would not see it.
    const { logger, reports } = startLogger({ writerThread: false });
    await logger.ready;
    const Flow = defineWorkflow(logger);
    await loggerStore.dataSource.destroy();
    await knowItIsDown(logger);

    const results = [];
    for (let v = 0; v < 40; v += 4)
      results.push(...(await Promise.all([v, v + 1, v + 2, v + 3].map((value) => new Flow().run({ value })))));
    expect(results).toEqual(Array.from({ length: 40 }, (_, v) => (v * 2 + 1) * 2)); // workflows never failed nor waited

    const down = logger.stats();
    expect(down).toMatchObject({ healthy: false, dropped: 0, rejected: 0 });
    expect(down.peakQueued).toBeLessThanOrEqual(20);
    expect(down.spooled).toBeGreaterThan(100);
    expect(down.spoolBacklog).toBe(down.spooled);
    expect(reports).toEqual(['write']);

    // On disk: sequence numbers never go back, and no record comes before one it depends on.
    const lines = segmentLines(spoolDir);
    expect(lines).toHaveLength(down.spooled);
    const seen = new Set<string>();
    let last = 0;
    for (const line of lines) {
      expect(line.q).toBeGreaterThanOrEqual(last);
      last = line.q;
      if (line.t === 'S') expect(seen.has(line.r!.executionId!)).toBe(true);
      if (line.t === 'e' || line.t === 's') expect(seen.has(line.id!)).toBe(true);
      if (line.r) seen.add(line.r.id);
    }

    await loggerStore.dataSource.initialize(); // the database is back
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ healthy: true, queued: 0, spoolBacklog: 0, replayed: down.spooled, dropped: 0, rejected: 0 });
    expect(await counts(current.store)).toEqual({ executions: 41, steps: 120, notSuccess: 0, uniqueIndexes: 120 });
    await expectRunsComplete(current.store, 40);
    expect(filesUnder(spoolDir).filter((name) => name.endsWith('.jsonl'))).toEqual([]); // deleted once committed

    // A new logger on the same spool finds nothing left to replay.
    const { logger: next } = startLogger({}, current.store);
    await next.ready;
    expect(await next.flush()).toBe(true);
    expect(next.stats().replayed).toBe(0);
    expect(await counts(current.store)).toEqual({ executions: 41, steps: 120, notSuccess: 0, uniqueIndexes: 120 });
  });

  // better-sqlite3 waits for a lock inside the call, blocking its thread: on the workflows' thread
  // (no writer thread, as here) no record can arrive while a retry waits, so this case cannot occur.
  const asyncDriver = !isSqlite(kind) || sqliteDriverOf(kind) === 'sqlite3';
  (asyncDriver ? test : test.skip).each(['commits', 'fails'] as const)(
    `a retry in flight when memory fills goes to the spool with memory; its write %s, and every record is stored once${
      asyncDriver ? '' : ' (cannot happen on better-sqlite3: a write waiting for a lock blocks its thread)'
    }`,
    async (outcome) => {
      // On SQLite the retry fails by waiting out a short busy timeout; on the servers its connection is killed.
      const store = outcome === 'fails' && isSqlite(kind) ? await current.db.open({ busyTimeoutMs: 1000 }) : loggerStore;
      let pending = 0;
      const write = store.writeBatch.bind(store);
      // Observes the real write, so the test knows when the retry is waiting on the lock. Every
      // write is counted: a retry that starts while the connection is being reopened can already
      // reach the database (the pool exists before initialize() resolves) and wait on the lock.
      store.writeBatch = async (batch) => {
        pending++;
        try {
          return await write(batch);
        } finally {
          pending--;
        }
      };
      // The outage and the observed writes are those of `store`'s own connection, which a writer thread does not use.
      const { logger, reports } = startLogger({ writerThread: false }, store);
      await logger.ready;
      await store.dataSource.destroy();
      await knowItIsDown(logger);
      const executionId = await logger.startExecution({ workflowId: 'in-flight', workflowName: 'in-flight' });

      const release = await holdWriteLock(current.db);
      try {
        await store.dataSource.initialize();
        await until(() => pending === 1, 'a retry waiting on the lock');
        // Sync records while the retry holds the execution's start: memory fills and spilling begins.
        for (let i = 0; i < 30; i++) logger.skipNode({ executionId, nodeId: `n${i}`, nodeType: 'skip' });
        const down = logger.stats();
        expect(down.spooled).toBeGreaterThan(20);
        const lines = segmentLines(spoolDir);
        // The start the retry was writing is on disk ahead of the steps that need it.
        expect(lines.slice(0, 2).map((line) => line.t)).toEqual(['E', 'E']);
        expect(lines[1]!.r!.id).toBe(executionId);
        expect(lines.filter((line) => line.t === 'S').every((line) => line.r!.executionId === executionId)).toBe(true);
        if (outcome === 'fails') {
          if (kind === 'postgres') await killWaitingBackends(current.db);
          if (kind === 'mysql') await killWaitingMysqlSessions(current.db);
          await until(() => pending === 0 && !logger.stats().healthy, 'the retry to fail');
          expect(logger.stats().queued).toBe(0); // not put back in memory: the spool has it
        }
      } finally {
        await release();
      }
      await logger.completeExecution(executionId, true);
      expect(await logger.flush()).toBe(true);
      const done = logger.stats();
      expect(done).toMatchObject({ healthy: true, queued: 0, spoolBacklog: 0, dropped: 0, rejected: 0 });
      expect(done.replayed).toBe(done.spooled);
      // Written from the spool; a retry that committed as well is counted once.
      expect(done.written).toBe(done.replayed);
      expect(reports[0]).toBe('write');
      expect(await counts(current.store)).toEqual({ executions: 2, steps: 30, notSuccess: 30, uniqueIndexes: 30 });
      const stored = await current.store.getExecution(executionId);
      expect(stored?.status).toBe('success');
      if (store !== loggerStore) {
        for (const logger of loggers.splice(0)) await logger.shutdown();
        await store.close();
      }
    },
  );

  test('a database slower than the workflows: memory never holds more than maxQueueSize; async callers wait, sync starts spill', async () => {
    const { logger, reports } = startLogger({ maxQueueSize: 30, maxBatchSize: 10 });
    await logger.ready;
    const Flow = defineWorkflow(logger);
    // Sync workflows cannot wait: before the spool, their records went past the bound.
    class SyncNode {
      constructor(readonly id: string) {}
      @LoggedNode()
      execute(n: number): number {
        return n + 1;
      }
    }
    class SyncFlow {
      readonly id = 'sync-flow';
      @LoggedWorkflow({ logger })
      run(n: number): number {
        for (let i = 0; i < 5; i++) n = new SyncNode(`s${i}`).execute(n);
        return n;
      }
    }
    let asyncRuns: Promise<number>[] = [];
    const release = await holdWriteLock(current.db);
    try {
      for (let n = 0; n < 30; n++) expect(new SyncFlow().run(n)).toBe(n + 5);
      const afterSync = logger.stats().spooled;
      expect(afterSync).toBeGreaterThan(0);
      let settled = 0;
      asyncRuns = Array.from({ length: 10 }, (_, value) => new Flow().run({ value }).finally(() => settled++));
      // `async` methods are known to be async before their first call: every run waits for room
      // before recording anything, instead of following the sync records into the spool.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));

      const slow = logger.stats();
      expect(slow.spooled).toBe(afterSync); // backpressure: nothing more went to the disk
      expect(settled).toBe(0);
      expect(slow.healthy).toBe(true); // slow, not down: nothing failed
      expect(slow.failedWrites).toBe(0);
      expect(slow.peakQueued).toBeLessThanOrEqual(30);
    } finally {
      await release();
    }
    await Promise.all(asyncRuns);
    expect(await logger.flush()).toBe(true);
    const done = logger.stats();
    expect(done).toMatchObject({ healthy: true, queued: 0, spoolBacklog: 0, dropped: 0, rejected: 0, failedWrites: 0 });
    expect(done.replayed).toBe(done.spooled);
    expect(done.peakQueued).toBeLessThanOrEqual(30);
    expect(reports).toEqual([]);
    expect(await counts(current.store)).toEqual({ executions: 40, steps: 180, notSuccess: 0, uniqueIndexes: 180 });
    await expectRunsComplete(current.store, 10);
  });

  test('a spool that cannot be written either: records are dropped, counted, and reported once', async () => {
    const blocker = join(spoolDir, 'not-a-folder');
    writeFileSync(blocker, '');
    // The outage is loggerStore's connection destroyed: a writer thread (its own connection) would not see it.
    // No timed retry during the loop: one that took the queue's records out would change what is dropped.
    const { logger, reports } = startLogger({
      spoolDir: join(blocker, 'spool'),
      maxQueueSize: 10,
      writerThread: false,
      retryDelayMs: 60_000,
      maxRetryDelayMs: 60_000,
    });
    await logger.ready;
    await loggerStore.dataSource.destroy();
    await knowItIsDown(logger);
    for (let i = 0; i < 29; i++) {
      const id = await logger.startExecution({ workflowId: 'unspoolable', workflowName: 'unspoolable' });
      await logger.completeExecution(id, true);
    }
    const down = logger.stats();
    // 10 runs in memory (start and end folded into one record); 20 runs of 2 records dropped.
    expect(down).toMatchObject({ queued: 10, spooled: 0, dropped: 40 });
    expect(down.peakQueued).toBe(10);
    expect(reports).toEqual(['write', 'spool']);

    await loggerStore.dataSource.initialize();
    expect(await logger.flush()).toBe(true);
    expect(await current.store.dataSource.getRepository(WorkflowExecution).count()).toBe(10);
    expect(logger.stats()).toMatchObject({ written: 10, dropped: 40 });
  });

  describe('line format', () => {
    /** Columns as stored, text as the database holds it. */
    async function storedText(table: string, column: string, id: string): Promise<string | null> {
      const [row] = await current.store.dataSource.query(
        `SELECT ${column} AS value FROM ${table} WHERE id = ${kind === 'postgres' ? '$1' : '?'}`,
        [id],
      );
      return row?.value ?? null;
    }

    test('captured JSON goes through the spool into the database as the very text it was captured as', async () => {
      // Text that a parse and re-encode would change (spacing, 1.50): finding it unchanged shows it was never parsed.
      const text = '{"b": 1.50, "a": [ ], "s": "ü \\"q\\""}';
      const startedAt = Date.now();
      const [executionId, stepId] = ['0190a000-0000-7000-8000-00000000e001', '0190a000-0000-7000-8000-00000000a001'];
      // A logger that closed with its records still in the spool: the next one on the database replays them.
      const reports: unknown[] = [];
      const spool = Spool.forSink(
        current.store.sink,
        { spoolDir, maxBatchSize: 100, maxQueueSize: 100, maxQueueBytes: 32 * 1024 * 1024 },
        'closed-logger',
        (error) => reports.push(error),
      )!;
      const appended = spool.append([
        {
          q: 1,
          t: 'E',
          r: { id: executionId, workflowId: 'text', workflowName: 'Text', triggerType: 'manual', status: 'running', startedAt },
        },
        {
          q: 2,
          t: 'S',
          r: {
            id: stepId,
            executionId,
            nodeId: 'n',
            nodeType: 't',
            stepIndex: 0,
            startedAt,
            status: 'running',
            inputData: new CapturedJson(text),
          },
        },
        { q: 3, t: 's', id: stepId, p: { status: 'success', outputData: new CapturedJson('[1.0, "x"]') } },
        { q: 4, t: 'e', id: executionId, p: { status: 'success', metadata: new CapturedJson('{ "m" : 1 }') } },
      ]);
      expect(appended).toBe(true);
      spool.close();
      expect(reports).toEqual([]);
      expect(segmentLines(spoolDir).map((line) => line.t)).toEqual(['E', 'S', 's', 'e']);

      const { logger, reports: loggerReports } = startLogger({}, current.store);
      await until(() => logger.stats().replayed === 4, 'the spool to be replayed');
      expect(logger.stats()).toMatchObject({ dropped: 0, rejected: 0 });
      expect(loggerReports).toEqual([]);
      expect(await storedText('execution_steps', 'input_data', stepId)).toBe(text);
      expect(await storedText('execution_steps', 'output_data', stepId)).toBe('[1.0, "x"]');
      expect(await storedText('workflow_executions', 'metadata', executionId)).toBe('{ "m" : 1 }');
      expect(await current.store.getExecution(executionId, { steps: true })).toMatchObject({
        status: 'success',
        metadata: { m: 1 },
        steps: [{ status: 'success', inputData: { b: 1.5, a: [], s: 'ü "q"' }, outputData: [1, 'x'] }],
      });
    });

    test("a dead logger's segment in the previous release's format (data as JSON values) is replayed as it was", async () => {
      const [executionId, stepId] = ['0190a000-0000-7000-8000-00000000e002', '0190a000-0000-7000-8000-00000000a002'];
      // The owner: a process that has exited, on this host, writing into this database.
      const folder = join(spoolDir, '0190a000-0000-7000-8000-0000000000dd');
      mkdirSync(folder);
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
      const owner = {
        version: 1,
        instanceId: '0190a000-0000-7000-8000-0000000000dd',
        pid: deadPid,
        hostname: hostname(),
        processStart: null,
        database: current.store.sink.spoolLocation.databaseKey,
        createdAt: 1764201600000,
      };
      writeFileSync(join(folder, 'owner.json'), JSON.stringify(owner));
      // Literal lines as the previous release wrote them, a damaged one among them, and a last line torn by a crash.
      writeFileSync(
        join(folder, '000000000001.jsonl'),
        [
          `{"q":1,"t":"E","r":{"id":"${executionId}","workflowId":"legacy","workflowName":"Legacy","triggerType":"manual","triggerData":{"order":7,"items":["a","b"]},"status":"running","startedAt":1764201600000,"parentExecutionId":null,"parentStepId":null,"instanceId":"0190a000-0000-7000-8000-0000000000dd"}}`,
          `{"q":2,"t":"S","r":{"id":"${stepId}","executionId":"${executionId}","nodeId":"charge","nodeType":"http","nodeName":null,"stepIndex":0,"startedAt":1764201600001,"status":"running","instanceId":"0190a000-0000-7000-8000-0000000000dd","inputData":"plain text"}}`,
          `{"q":3,"t":"S","r":{"id":"0190a000-0000-70`,
          `{"q":4,"t":"s","id":"${stepId}","p":{"status":"success","completedAt":1764201600005,"durationMs":4,"outputData":{"ok":true,"code":"05"}}}`,
          `{"q":5,"t":"e","id":"${executionId}","p":{"status":"success","completedAt":1764201600009,"durationMs":9,"metadata":{"tags":["x"]}}}`,
          `{"q":6,"t":"E","r":{"id":"torn`,
        ].join('\n'),
      );

      const { logger, reports } = startLogger({}, current.store);
      await until(() => logger.stats().replayed === 4, 'the spool to be replayed');
      await until(() => !existsSync(folder) && filesUnder(spoolDir).every((name) => !name.endsWith('.jsonl')), 'the folder to be removed');
      expect(logger.stats()).toMatchObject({ dropped: 1, rejected: 0 }); // the damaged line, skipped and counted
      expect(reports).toEqual(['spool']);
      expect(await current.store.getExecution(executionId, { steps: true })).toMatchObject({
        workflowId: 'legacy',
        status: 'success',
        durationMs: 9,
        triggerData: { order: 7, items: ['a', 'b'] },
        metadata: { tags: ['x'] },
        steps: [{ nodeId: 'charge', status: 'success', inputData: 'plain text', outputData: { ok: true, code: '05' } }],
      });
      expect(await counts(current.store)).toMatchObject({ executions: 1, steps: 1 });
    });
  });

  describe('after a restart', () => {
    let child: ChildProcess | undefined;
    afterEach(() => child?.kill('SIGKILL'));

    /** Runs spoolWorker.js against this database; resolves with its output lines once it exits. */
    function runWorker(mode: 'exit' | 'kill', onLine: (line: string) => void = () => undefined): Promise<string[]> {
      const options = current.db.options;
      const args = {
        target: 'database' in options ? options.database : options.url,
        schema: 'schema' in options ? options.schema : undefined,
        spoolDir,
        mode,
        workflows: 30,
        killAfter: 15,
      };
      child = spawn(process.execPath, [worker, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: string[] = [];
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        for (const line of complete) {
          lines.push(line);
          onLine(line);
        }
      });
      return new Promise((resolve, reject) =>
        child!.once('exit', (code, signal) =>
          code === 0 || signal === 'SIGKILL' ? resolve(lines) : reject(new Error(`worker exited ${code}`)),
        ),
      );
    }

    test('a process that stopped while the database was down: the next one replays its spool, and a completion beats "interrupted"', async () => {
      const lines = await runWorker('exit');
      const longId = lines.find((line) => line.startsWith('LONG '))!.slice(5);
      const childStats = JSON.parse(lines.find((line) => line.startsWith('STATS '))!.slice(6)) as LoggerStats;
      expect(childStats).toMatchObject({ dropped: 0, queued: 0 });
      expect(childStats.spooled).toBeGreaterThan(0);
      expect(childStats.peakQueued).toBeLessThanOrEqual(10);

      // Before the replay: only what was written before the outage, and recovery (the worker
      // is gone) marks the long run interrupted although it finished.
      expect(await counts(current.store)).toMatchObject({ executions: 1, steps: 2 });
      await current.store.recoverInterrupted({ leaseMs: 1 });
      expect((await current.store.getExecution(longId))?.status).toBe('interrupted');

      // Two loggers start at once on the same spool: one of them adopts it.
      const first = startLogger({}, current.store);
      const second = startLogger({}, current.store);
      const replayed = () => first.logger.stats().replayed + second.logger.stats().replayed;
      await until(() => replayed() === childStats.spooled, 'the spool to be replayed');
      expect(Math.min(first.logger.stats().replayed, second.logger.stats().replayed)).toBe(0);
      await Promise.all([first.logger.flush(), second.logger.flush()]);

      expect(await counts(current.store)).toEqual({ executions: 32, steps: 93, notSuccess: 0, uniqueIndexes: 93 });
      const long = await current.store.getExecution(longId, { steps: true });
      expect(long?.status).toBe('success');
      expect(long?.steps?.map((s) => [s.status, s.outputData])).toEqual([
        ['success', { value: 2, index: 0, id: longId }],
        ['success', { value: 4, index: 1, id: longId }],
        ['success', { value: 8, index: 2, id: longId }],
      ]);
      for (const logger of [first.logger, second.logger]) expect(logger.stats()).toMatchObject({ dropped: 0, rejected: 0 });
      expect(first.reports.concat(second.reports)).toEqual([]);
      await until(() => filesUnder(spoolDir).every((name) => !name.endsWith('.jsonl')), 'replayed segments to be deleted');

      // Exactly once: a third start replays nothing.
      const third = startLogger({}, current.store);
      await third.logger.flush();
      expect(third.logger.stats().replayed).toBe(0);
      expect(await counts(current.store)).toEqual({ executions: 32, steps: 93, notSuccess: 0, uniqueIndexes: 93 });
    });

    test('kill -9 while spooling: after a restart every finished workflow is there once, and what was running is interrupted', async () => {
      const lines = await runWorker('kill', (line) => {
        if (line === 'KILLME') child!.kill('SIGKILL');
      });
      const longId = lines.find((line) => line.startsWith('LONG '))!.slice(5);
      const finished = lines.filter((line) => line.startsWith('DONE ')).map((line) => line.slice(5));
      expect(finished.length).toBeGreaterThanOrEqual(15);

      // A crash of the machine could also leave a torn last line: it must be skipped, not replayed half.
      const segments = filesUnder(spoolDir)
        .filter((name) => name.endsWith('.jsonl'))
        .sort();
      expect(segments.length).toBeGreaterThan(0);
      appendFileSync(join(spoolDir, segments[segments.length - 1]!), '{"q":999999,"t":"E","r":{"id":"torn');

      const { logger, reports } = startLogger({}, current.store);
      await until(
        async () => logger.stats().spoolBacklog === 0 && filesUnder(spoolDir).every((name) => !name.endsWith('.jsonl')),
        'the spool to be replayed',
      );
      // The dead worker's running rows are interrupted as soon as its spool is replayed.
      await until(async () => (await current.store.getExecution(longId))?.status === 'interrupted', 'the long run to be interrupted');
      expect(logger.stats()).toMatchObject({ dropped: 0, rejected: 0 });
      expect(reports).toEqual([]);

      const executions = await current.store.dataSource.getRepository(WorkflowExecution).find();
      const byId = new Map(executions.map((e) => [e.id, e]));
      for (const id of finished) {
        expect(byId.get(id)?.status).toBe('success');
        const steps = await current.store.getSteps(id);
        expect(steps.map((s) => [s.stepIndex, s.status])).toEqual([
          [0, 'success'],
          [1, 'success'],
          [2, 'success'],
        ]);
        expect(steps[2]?.outputData).toMatchObject({ index: 2, id });
      }
      expect(byId.get(longId)?.status).toBe('interrupted');
      const probe = executions.find((e) => e.workflowId === 'probe');
      expect(probe?.status).toBe('success'); // was in memory when spilling began: moved to disk then
      expect(executions.every((e) => e.status === 'success' || e.status === 'interrupted')).toBe(true);
      const steps = await current.store.dataSource.getRepository(ExecutionStep).find();
      expect(steps.every((s) => s.status === 'success' || s.status === 'interrupted')).toBe(true);
      expect((await counts(current.store)).uniqueIndexes).toBe(steps.length);
    });
  });
});

/** One record and a failed flush: the writer knows the database is down before memory fills. */
async function knowItIsDown(logger: ExecutionLogger): Promise<void> {
  const id = await logger.startExecution({ workflowId: 'probe', workflowName: 'probe' });
  await logger.completeExecution(id, true);
  expect(await logger.flush()).toBe(false);
}

/** Ends the PostgreSQL connections of this test's schema that wait for a lock: a connection lost mid-write. */
async function killWaitingBackends(db: TestDatabase): Promise<void> {
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const schema = (db.options as { schema: string }).schema;
    await until(async () => {
      const { rows } = await client.query(
        `SELECT pg_terminate_backend(l.pid) AS ended FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT l.granted AND n.nspname = $1`,
        [schema],
      );
      return rows.length > 0;
    }, 'a connection waiting on the lock');
  } finally {
    await client.end();
  }
}
