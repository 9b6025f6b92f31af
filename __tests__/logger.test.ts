import {
  ExecutionLogger,
  ExecutionStep,
  LoggedNode,
  LoggedWorkflow,
  WorkflowExecution,
  type ExecutionStore,
  type LoggerConfig,
} from '../src';
import { databaseKinds, makeDatabase, type TestDatabase } from './support/databases';
import { sleep } from './support/sleep';

class EchoNode {
  constructor(
    readonly id: string,
    readonly type = 'echo',
    readonly label = `Echo ${id}`,
  ) {}

  @LoggedNode()
  async execute(input: { value: unknown; delayMs?: number }): Promise<{ echoed: unknown; by: string }> {
    if (input.delayMs) await sleep(input.delayMs);
    return { echoed: input.value, by: this.id };
  }
}

class FailingNode {
  readonly id = 'failing';
  readonly type = 'failing';

  @LoggedNode()
  async execute(message: string): Promise<never> {
    await sleep(1);
    throw new Error(message, { cause: new Error('root cause') });
  }
}

/** A workflow of `nodes` sequential echo nodes, each with a random delay. */
class ChainWorkflow {
  constructor(
    readonly id: string,
    readonly nodes: number,
  ) {}

  @LoggedWorkflow()
  async run(input: { tag: string }): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < this.nodes; i++) {
      const node = new EchoNode(`${input.tag}-n${i}`);
      const out = await node.execute({ value: input.tag, delayMs: Math.floor(Math.random() * 3) });
      seen.push(out.by);
    }
    return seen;
  }
}

describe.each(databaseKinds)('ExecutionLogger on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let logger: ExecutionLogger;

  const makeLogger = (config: LoggerConfig = {}) => {
    logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10, ...config });
    ExecutionLogger.setDefault(logger);
    return logger;
  };

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = await db.open();
  });

  afterEach(async () => {
    await logger?.shutdown();
    ExecutionLogger.setDefault(null);
    await store.close();
    await db.drop();
  });

  const executions = () => store.dataSource.getRepository(WorkflowExecution).find({ order: { startedAt: 'ASC', id: 'ASC' } });
  const allSteps = () => store.dataSource.getRepository(ExecutionStep).find({ order: { executionId: 'ASC', stepIndex: 'ASC' } });

  test('the imperative lifecycle creates the execution on start and completes it', async () => {
    makeLogger({ durability: 'strict' });
    const id = await logger.startExecution({
      workflowId: 'imp',
      workflowName: 'Imperative',
      triggerType: 'webhook',
      triggerData: { a: 1 },
    });
    expect(await store.getExecution(id)).toMatchObject({ status: 'running', triggerType: 'webhook', triggerData: { a: 1 } });
    const stepId = await logger.startNode({ executionId: id, nodeId: 'n1', nodeType: 'http', nodeName: 'Fetch', inputData: { url: 'x' } });
    expect(await store.getExecution(id, { steps: true })).toMatchObject({
      steps: [{ id: stepId, status: 'running', inputData: { url: 'x' } }],
    });
    await logger.completeNode(stepId, true, { status: 200 });
    await logger.completeExecution(id, false, new Error('late failure'));
    const read = await store.getExecution(id, { steps: true });
    expect(read).toMatchObject({
      status: 'error',
      errorMessage: 'late failure',
      steps: [{ status: 'success', outputData: { status: 200 }, stepIndex: 0 }],
    });
    expect(read?.durationMs).toBeGreaterThanOrEqual(0);
    expect(read?.completedAt).toBeGreaterThanOrEqual(read!.startedAt);
  });

  test('a definition whose hash the column cannot hold is not stored, and the run is recorded without it', async () => {
    makeLogger();
    const json = JSON.stringify({ format: 1, id: 'imp', nodes: [], edges: [] });
    const good = 'ab'.repeat(32);
    const ids = [];
    for (const hash of ['x'.repeat(70), 'AB'.repeat(32), good]) {
      const id = await logger.startExecution({
        workflowId: 'imp',
        workflowName: 'Imperative',
        definition: { hash, workflowId: 'imp', json },
      });
      await logger.completeExecution(id, true);
      ids.push(id);
    }
    expect(await logger.flush()).toBe(true);
    const hashes = await Promise.all(ids.map(async (id) => (await store.getExecution(id))!.definitionHash));
    expect(hashes).toEqual([null, null, good]);
    expect(await store.getDefinition(good)).not.toBeNull();
  });

  test('a decorated workflow records the run and each node with its data', async () => {
    makeLogger();
    const result = await new ChainWorkflow('wf-chain', 3).run({ tag: 't' });
    expect(result).toEqual(['t-n0', 't-n1', 't-n2']);
    await logger.flush();
    const [execution] = await executions();
    expect(execution).toMatchObject({
      workflowId: 'wf-chain',
      workflowName: 'ChainWorkflow',
      triggerType: 'manual',
      status: 'success',
      triggerData: { tag: 't' },
    });
    const steps = await store.getSteps(execution!.id);
    expect(steps.map((s) => [s.stepIndex, s.nodeId, s.nodeType, s.nodeName, s.status])).toEqual([
      [0, 't-n0', 'echo', 'Echo t-n0', 'success'],
      [1, 't-n1', 'echo', 'Echo t-n1', 'success'],
      [2, 't-n2', 'echo', 'Echo t-n2', 'success'],
    ]);
    expect(steps[1]).toMatchObject({ inputData: { value: 't' }, outputData: { echoed: 't', by: 't-n1' } });
    for (const step of steps) expect(step.durationMs).toBe(step.completedAt! - step.startedAt);
  });

  test('a node error marks the step and the workflow that lets it escape, with the cause chain', async () => {
    makeLogger();
    class Escapes {
      readonly id = 'escapes';
      @LoggedWorkflow()
      async run(): Promise<void> {
        await new FailingNode().execute('node exploded');
      }
    }
    class Catches {
      readonly id = 'catches';
      @LoggedWorkflow()
      async run(): Promise<string> {
        try {
          await new FailingNode().execute('handled');
        } catch {
          return 'recovered';
        }
        return 'unreachable';
      }
    }
    const thrown = await new Escapes().run().catch((error: unknown) => error);
    expect((thrown as Error).message).toBe('node exploded');
    await expect(new Catches().run()).resolves.toBe('recovered');
    await logger.flush();
    const byWorkflow = Object.fromEntries((await executions()).map((e) => [e.workflowId, e]));
    expect(byWorkflow.escapes).toMatchObject({ status: 'error', errorMessage: 'node exploded' });
    expect(byWorkflow.escapes?.errorStack).toContain('Caused by: Error: root cause');
    expect(byWorkflow.catches).toMatchObject({ status: 'success', errorMessage: null });
    const [escapeStep] = await store.getSteps(byWorkflow.escapes!.id);
    expect(escapeStep).toMatchObject({ status: 'error', errorMessage: 'node exploded', outputData: null });
    expect(escapeStep?.errorStack).toContain('Caused by: Error: root cause');
    expect((await store.getSteps(byWorkflow.catches!.id))[0]).toMatchObject({ status: 'error', errorMessage: 'handled' });
  });

  test('200 concurrent workflows × 20 nodes: every step lands in its own execution, in order', async () => {
    makeLogger();
    const runs = Array.from({ length: 200 }, (_, i) => new ChainWorkflow(`wf-${i % 7}`, 20).run({ tag: `run${i}` }));
    await Promise.all(runs);
    await logger.shutdown();
    const all = await executions();
    expect(all).toHaveLength(200);
    const steps = await allSteps();
    expect(steps).toHaveLength(4000);
    const byExecution = new Map<string, ExecutionStep[]>();
    for (const step of steps) byExecution.set(step.executionId, [...(byExecution.get(step.executionId) ?? []), step]);
    for (const execution of all) {
      const own = byExecution.get(execution.id) ?? [];
      const tag = (execution.triggerData as { tag: string }).tag;
      expect(own.map((s) => s.stepIndex)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(own.map((s) => s.nodeId)).toEqual(Array.from({ length: 20 }, (_, i) => `${tag}-n${i}`));
      expect(execution.status).toBe('success');
    }
    // 4200 rows, plus an update for each row whose start and end fell in different flushes.
    expect(logger.stats()).toMatchObject({ queued: 0, dropped: 0, failedWrites: 0 });
    expect(logger.stats().written).toBeGreaterThanOrEqual(4200);
  });

  test('parallel nodes in one workflow get unique, start-ordered step indexes', async () => {
    makeLogger();
    class Fan {
      readonly id = 'fan';
      @LoggedWorkflow()
      async run(): Promise<void> {
        await Promise.all(Array.from({ length: 30 }, (_, i) => new EchoNode(`p${i}`).execute({ value: i, delayMs: 30 - i })));
      }
    }
    await new Fan().run();
    await logger.flush();
    const [execution] = await executions();
    const steps = await store.getSteps(execution!.id);
    expect(steps.map((s) => s.stepIndex)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(steps.map((s) => s.nodeId)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.startedAt).toBeGreaterThanOrEqual(steps[i - 1]!.startedAt);
  });

  test('a workflow called inside a node becomes a child execution linked to that step', async () => {
    makeLogger();
    class Child {
      readonly id = 'child';
      @LoggedWorkflow()
      async run(value: number): Promise<number> {
        return (await new EchoNode('inner').execute({ value })).echoed as number;
      }
    }
    class Spawner {
      readonly id = 'spawner';
      readonly type = 'sub-workflow';
      @LoggedNode()
      async execute(value: number): Promise<number> {
        return new Child().run(value);
      }
    }
    class Parent {
      readonly id = 'parent';
      @LoggedWorkflow()
      async run(): Promise<number> {
        await new EchoNode('before').execute({ value: 0 });
        return new Spawner().execute(42);
      }
    }
    expect(await new Parent().run()).toBe(42);
    await logger.flush();
    const byWorkflow = Object.fromEntries((await executions()).map((e) => [e.workflowId, e]));
    const parentSteps = await store.getSteps(byWorkflow.parent!.id);
    expect(parentSteps.map((s) => s.nodeId)).toEqual(['before', 'spawner']);
    expect(byWorkflow.child).toMatchObject({
      parentExecutionId: byWorkflow.parent!.id,
      parentStepId: parentSteps[1]!.id,
      status: 'success',
    });
    expect((await store.getSteps(byWorkflow.child!.id)).map((s) => [s.nodeId, s.stepIndex])).toEqual([['inner', 0]]);
    expect(byWorkflow.parent?.parentExecutionId).toBeNull();
  });

  test('large payloads are truncated to maxDataSize bytes; sensitive keys are redacted', async () => {
    makeLogger({ maxDataSize: 1000 });
    class Big {
      readonly id = 'big';
      @LoggedWorkflow({ triggerData: () => ({ apiKey: 'k-123', nested: { Authorization: 'Bearer x', keep: 'yes' } }) })
      async run(): Promise<void> {
        await new EchoNode('huge').execute({ value: 'é'.repeat(5000) });
      }
    }
    await new Big().run();
    await logger.flush();
    const [execution] = await executions();
    expect(execution?.triggerData).toEqual({ apiKey: '[REDACTED]', nested: { Authorization: '[REDACTED]', keep: 'yes' } });
    const [step] = await store.getSteps(execution!.id);
    const input = step?.inputData as { _truncated: boolean; _originalSize: number; _preview: string };
    expect(input._truncated).toBe(true);
    expect(input._originalSize).toBe(Buffer.byteLength(JSON.stringify({ value: 'é'.repeat(5000) })));
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThanOrEqual(1000);
    expect(input._preview.startsWith('{"value":"ééé')).toBe(true);
  });

  test('hostile data never reaches the workflow as an error', async () => {
    makeLogger();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const throwing = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('getter');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    const values = [circular, 10n, Buffer.from('bytes'), new Map([['a', 1]]), new Set([1]), throwing, proxy, () => 1, Symbol('s')];
    class Hostile {
      readonly id = 'hostile';
      @LoggedWorkflow()
      async run(): Promise<unknown[]> {
        const out: unknown[] = [];
        for (const value of values) out.push((await new EchoNode('h').execute({ value })).echoed);
        return out;
      }
    }
    const result = await new Hostile().run();
    expect(result).toHaveLength(values.length);
    expect(result[0]).toBe(circular);
    await logger.flush();
    const [execution] = await executions();
    expect(execution?.status).toBe('success');
    const steps = await store.getSteps(execution!.id);
    expect(steps).toHaveLength(values.length);
    expect((steps[0]?.inputData as { value: { self: unknown } }).value.self).toBe('[Circular]');
    expect((steps[1]?.inputData as { value: unknown }).value).toBe('10n');
    expect(JSON.stringify(steps[5]?.inputData)).toContain('Getter threw');
  });

  test('a disabled logger records nothing; re-enabled it records again', async () => {
    makeLogger({ enabled: false });
    await new ChainWorkflow('off', 2).run({ tag: 'off' });
    expect(await logger.startExecution({ workflowId: 'x', workflowName: 'x' })).toBe('');
    await logger.flush();
    expect(await executions()).toHaveLength(0);
    expect(logger.stats().executionsStarted).toBe(0);
    logger.setEnabled(true);
    await new ChainWorkflow('on', 2).run({ tag: 'on' });
    await logger.flush();
    expect((await executions()).map((e) => e.workflowId)).toEqual(['on']);
  });

  test('a step that starts and ends within one flush window is one INSERT', async () => {
    // The batch is observed at store.writeBatch, which a writer thread (its own connection) does not call.
    makeLogger({ flushIntervalMs: 1000, writerThread: false });
    const spy = jest.spyOn(store, 'writeBatch');
    await new ChainWorkflow('coalesced', 5).run({ tag: 'c' });
    await logger.flush();
    expect(spy).toHaveBeenCalledTimes(1);
    const batch = spy.mock.calls[0]![0];
    expect(batch.executions).toHaveLength(1);
    expect(batch.steps).toHaveLength(5);
    expect(batch.stepUpdates).toHaveLength(0);
    expect(batch.executionUpdates).toHaveLength(0);
    expect(batch.steps!.every((s) => s.status === 'success')).toBe(true);
    spy.mockRestore();
  });

  test('a store that fails for a while then recovers loses nothing, and the workflow never sees it', async () => {
    const errors: unknown[] = [];
    // The fault is injected into store.writeBatch, which a writer thread (its own connection) does not call.
    makeLogger({ retryDelayMs: 10, maxRetryDelayMs: 40, onError: (error) => errors.push(error), writerThread: false });
    // Fault injection: the real store, made to fail its next 5 batch writes.
    const real = store.writeBatch.bind(store);
    let failuresLeft = 5;
    jest.spyOn(store, 'writeBatch').mockImplementation((batch) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        return Promise.reject(new Error('SQLITE_BUSY: database is locked (injected)'));
      }
      return real(batch);
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => new ChainWorkflow('flaky', 5).run({ tag: `f${i}` })));
    await logger.shutdown();
    expect(await executions()).toHaveLength(20);
    expect(await allSteps()).toHaveLength(100);
    expect((await executions()).every((e) => e.status === 'success')).toBe(true);
    const stats = logger.stats();
    expect(stats.failedWrites).toBe(5);
    expect(stats.retried).toBeGreaterThan(0);
    expect(stats).toMatchObject({ queued: 0, dropped: 0, healthy: true });
    expect(errors).toHaveLength(1); // one outage, one report
  });

  test('the queue bound holds under a producer faster than the database (backpressure)', async () => {
    // The slowness is injected into store.writeBatch, which a writer thread (its own connection) does not call.
    makeLogger({ maxQueueSize: 200, maxBatchSize: 100, writerThread: false });
    // Fault injection: a database that takes 20 ms per batch, slower than the producer.
    const real = store.writeBatch.bind(store);
    jest.spyOn(store, 'writeBatch').mockImplementation(async (batch) => {
      await sleep(20);
      return real(batch);
    });
    let peak = 0;
    class Burst {
      readonly id = 'burst';
      @LoggedWorkflow()
      async run(): Promise<void> {
        for (let i = 0; i < 1500; i++) {
          await new EchoNode(`b${i}`).execute({ value: i });
          peak = Math.max(peak, logger.stats().queued);
        }
      }
    }
    await Promise.all([new Burst().run(), new Burst().run()]);
    await logger.shutdown();
    expect(await allSteps()).toHaveLength(3000);
    expect(logger.stats().dropped).toBe(0);
    // Each waiting producer may add its completion record past the bound before it waits.
    expect(peak).toBeLessThanOrEqual(200 + 2);
    expect(peak).toBeGreaterThanOrEqual(150); // the producer did outrun the database
  });

  test('strict durability persists the start before the node body runs', async () => {
    makeLogger({ durability: 'strict', flushIntervalMs: 60_000 });
    const seenWhileRunning: (string | undefined)[] = [];
    const writtenWhenStarting: number[] = [];
    class Probe {
      readonly id = 'probe';
      @LoggedNode()
      async execute(): Promise<void> {
        writtenWhenStarting.push(logger.stats().written);
        const rows = await store.dataSource.getRepository(ExecutionStep).find({ where: { nodeId: 'probe' } });
        seenWhileRunning.push(rows[rows.length - 1]?.status);
      }
    }
    class Strict {
      readonly id = 'strict';
      @LoggedWorkflow()
      async run(): Promise<void> {
        await new Probe().execute();
        await new Probe().execute();
      }
    }
    await new Strict().run();
    // `async` methods are known to be async from their first call: the execution's start and
    // this step's are committed before the body runs, then the next step's after the first's end.
    expect(writtenWhenStarting).toEqual([2, 4]);
    expect(seenWhileRunning).toEqual(['running', 'running']);
    const [execution] = await executions();
    expect(execution?.status).toBe('success'); // written before run() resolved, with a 60 s flush interval
  });

  test('retention cleanup removes executions older than retentionDays', async () => {
    makeLogger({ retentionDays: 1 });
    const now = Date.now();
    await store.writeBatch({
      executions: [
        { id: 'old-1', workflowId: 'r', workflowName: 'r', triggerType: 'manual', status: 'success', startedAt: now - 3 * 86_400_000 },
        { id: 'new-1', workflowId: 'r', workflowName: 'r', triggerType: 'manual', status: 'success', startedAt: now - 3_600_000 },
      ],
    });
    expect(await logger.runRetentionCleanup()).toBe(1);
    expect((await executions()).map((e) => e.id)).toEqual(['new-1']);
  });

  test('shutdown right after construction leaves no heartbeat running', async () => {
    makeLogger({ heartbeatIntervalMs: 20, leaseMs: 100 });
    await logger.shutdown(); // before `ready` resolved
    const stopped = (await store.listInstances()).find((i) => i.id === logger.instanceId);
    await sleep(120);
    const later = (await store.listInstances()).find((i) => i.id === logger.instanceId);
    expect(stopped?.stoppedAt).not.toBeNull();
    expect(later).toEqual(stopped);
  });

  test('shutdown writes everything queued, is idempotent, and marks the instance stopped', async () => {
    makeLogger({ flushIntervalMs: 60_000 });
    await new ChainWorkflow('tail', 3).run({ tag: 'tail' });
    expect(logger.stats().queued).toBeGreaterThan(0);
    await Promise.all([logger.shutdown(), logger.shutdown()]);
    await logger.shutdown();
    expect(await allSteps()).toHaveLength(3);
    const instance = (await store.listInstances()).find((i) => i.id === logger.instanceId);
    expect(instance?.stoppedAt).not.toBeNull();
    expect(logger.enabled).toBe(false);
  });
});
