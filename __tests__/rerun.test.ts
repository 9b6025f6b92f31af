import {
  ConditionNode,
  ExecutionLogger,
  FunctionNode,
  LoggedNode,
  LoggedWorkflow,
  RerunError,
  RetryNode,
  SubWorkflowNode,
  uuidv7,
  WorkflowRunner,
  workflowDefinition,
  currentExecution,
  type Connection,
  type ExecutionStep,
  type ExecutionStore,
  type LoggerConfig,
  type NodeFunction,
  type Workflow,
  type WorkflowExecution,
  type WorkflowNode,
} from '../src';
import { encodeSpoolLine, parseSpoolLine, type SpoolRecord } from '../src/writer/records';
import { RecordBuffer } from '../src/writer/RecordBuffer';
import { CapturedJson } from '../src/capture';
import { rmSync } from 'node:fs';
import { Spool } from '../src/writer/Spool';
import { cli } from './support/cli';
import { until } from './support/until';
import { cliArgs, databaseKinds, makeDatabase, tempDir, type TestDatabase } from './support/databases';

const edge = (from: string, to: string, output = 'value', input = output): Connection => ({
  from: { node: from, output },
  to: { node: to, input },
});

type Recorded = WorkflowExecution & { steps: ExecutionStep[] };

/** A → B → C, each adding one to `value`; counts its calls; `failC` makes C throw. */
function chain(
  calls: Record<string, number>,
  options: { failC?: () => boolean; aOutput?: (n: number) => unknown; withoutB?: boolean } = {},
): Workflow {
  const count = (id: string, body: NodeFunction): FunctionNode =>
    new FunctionNode(id, `Step ${id}`, (inputs, ctx) => {
      calls[id] = (calls[id] ?? 0) + 1;
      return body(inputs, ctx);
    });
  const a = count('A', ({ trigger }) => ({
    value: options.aOutput ? options.aOutput((trigger as { n: number }).n) : (trigger as { n: number }).n + 1,
  }));
  const b = count('B', ({ value }) => ({ value: (value as number) + 1 }));
  const c = count('C', ({ value }) => {
    if (options.failC?.()) throw new Error('C is broken');
    return { value: typeof value === 'number' ? value * 10 : value };
  });
  const nodes: WorkflowNode[] = options.withoutB ? [a, c] : [a, b, c];
  const connections = options.withoutB ? [edge('A', 'C')] : [edge('A', 'B'), edge('B', 'C')];
  return { id: 'chain', name: 'Chain', nodes, connections };
}

describe.each(databaseKinds)('runner.rerun on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let logger: ExecutionLogger;
  let runner: WorkflowRunner;

  async function start(config: LoggerConfig = {}): Promise<void> {
    logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10, ...config });
    await logger.ready;
    runner = new WorkflowRunner({ logger });
  }

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    await start();
  });

  afterEach(async () => {
    await logger.shutdown();
    await store.close();
    await db.drop();
  });

  async function execution(id: string): Promise<Recorded> {
    await logger.flush();
    const found = await store.getExecution(id, { steps: true });
    if (!found) throw new Error(`no execution ${id}`);
    return found as Recorded;
  }

  async function latest(workflowId?: string): Promise<Recorded> {
    await logger.flush();
    const { items } = await store.listExecutions({ limit: 1, workflowId });
    return execution(items[0]!.id);
  }

  const stepOf = (run: Recorded, nodeId: string): ExecutionStep => {
    const step = run.steps.find((candidate) => candidate.nodeId === nodeId);
    if (!step) throw new Error(`no step of ${nodeId}`);
    return step;
  };

  test('a re-run from a middle node reuses what ran upstream (not called again), runs the rest, and links both ways', async () => {
    const calls: Record<string, number> = {};
    let broken = true;
    const workflow = chain(calls, { failC: () => broken });
    await expect(runner.run(workflow, { type: 'webhook', data: { n: 1 } })).rejects.toThrow('C is broken');
    const original = await latest();
    expect(original.status).toBe('error');
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });

    broken = false;
    const result = await runner.rerun(workflow, original.id, { from: 'C' });
    expect(result.outputs.C).toEqual({ value: 30 });
    expect(calls).toEqual({ A: 1, B: 1, C: 2 });

    const rerun = await latest();
    expect(rerun.id).not.toBe(original.id);
    expect(rerun.status).toBe('success');
    expect(rerun.triggerType).toBe('webhook');
    expect(rerun.triggerData).toEqual({ n: 1 });
    expect(rerun.forkedFromExecutionId).toBe(original.id);
    expect(rerun.forkedFromStepId).toBe(stepOf(original, 'C').id);
    expect(rerun.definitionHash).toBe(original.definitionHash);
    expect(rerun.definitionHash).toBe(workflowDefinition(workflow).hash);
    expect(rerun.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['A', 'reused'],
      ['B', 'reused'],
      ['C', 'success'],
    ]);
    for (const node of ['A', 'B']) {
      const step = stepOf(rerun, node);
      const from = stepOf(original, node);
      expect(step.reusedFromStepId).toBe(from.id);
      expect(step.inputData).toEqual(from.inputData);
      expect(step.outputData).toEqual(from.outputData);
      expect(step.durationMs).toBe(0);
    }
    expect(stepOf(rerun, 'C').inputData).toEqual({ value: 3 });
    expect(stepOf(rerun, 'C').reusedFromStepId).toBeNull();

    const forks = await store.listExecutions({ forkedFromExecutionId: original.id });
    expect(forks.items.map((fork) => fork.id)).toEqual([rerun.id]);
    expect((await store.listExecutions({ forkedFromExecutionId: rerun.id })).items).toEqual([]);
  });

  test('input replaces the inputs of the node re-run from; a root node takes its trigger from it', async () => {
    const calls: Record<string, number> = {};
    const workflow = chain(calls);
    await runner.run(workflow, { type: 'manual', data: { n: 1 } });
    const original = await latest();

    await expect(runner.rerun(workflow, original.id, { from: 'B', input: { value: 100 } })).resolves.toMatchObject({
      outputs: { B: { value: 101 }, C: { value: 1010 } },
    });
    const fromB = await latest();
    expect(stepOf(fromB, 'B').inputData).toEqual({ value: 100 });
    expect(fromB.triggerData).toEqual({ n: 1 });

    await runner.rerun(workflow, original.id, { from: 'A', input: { trigger: { n: 5 } } });
    const fromA = await latest();
    expect(fromA.triggerData).toEqual({ n: 5 });
    expect(fromA.steps.map((step) => step.status)).toEqual(['success', 'success', 'success']);
    expect(stepOf(fromA, 'C').outputData).toEqual({ value: 70 });
    expect(calls).toEqual({ A: 2, B: 3, C: 3 });
  });

  test('a condition upstream keeps the branch it took: its decision is reused, the other branch is skipped again', async () => {
    let asked = 0;
    const ran: string[] = [];
    const branch = (id: string, input: string) =>
      new FunctionNode(id, id, (inputs) => (ran.push(id), { out: inputs[input] }), { requiredInputs: [input] });
    const workflow: Workflow = {
      id: 'refund',
      name: 'Refund',
      nodes: [
        new ConditionNode('large', 'Large?', ({ trigger }) => (asked++, (trigger as { amount: number }).amount > 100)),
        branch('review', 'true'),
        branch('auto', 'false'),
        new FunctionNode('notify', 'Notify', (inputs) => (ran.push('notify'), { sent: Object.keys(inputs).sort() })),
      ],
      connections: [
        edge('large', 'review', 'true'),
        edge('large', 'auto', 'false'),
        edge('review', 'notify', 'out', 'reviewed'),
        edge('auto', 'notify', 'out', 'approved'),
      ],
    };
    await runner.run(workflow, { type: 'manual', data: { amount: 500 } });
    const original = await latest();
    const result = await runner.rerun(workflow, original.id, { from: 'notify' });
    expect(asked).toBe(1);
    expect(ran).toEqual(['review', 'notify', 'notify']);
    expect(result.outputs.notify).toEqual({ sent: ['reviewed'] });
    const rerun = await latest();
    expect(Object.fromEntries(rerun.steps.map((step) => [step.nodeId, step.status]))).toEqual({
      large: 'reused',
      review: 'reused',
      auto: 'skipped',
      notify: 'success',
    });
  });

  test('refuses a reused output that was truncated, naming the node; the node itself can still be re-run', async () => {
    await logger.shutdown();
    await start({ maxDataSize: 256 });
    const calls: Record<string, number> = {};
    const workflow = chain(calls, { aOutput: () => 'x'.repeat(2000) });
    await runner.run(workflow, { type: 'manual', data: { n: 1 } });
    const original = await latest();
    const refusal = await runner.rerun(workflow, original.id, { from: 'B' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RerunError);
    expect(refusal).toMatchObject({
      code: 'FLOWTRAIL_RERUN',
      reason: 'output-incomplete',
      nodes: ['A'],
      lost: [{ node: 'A', path: '$', kind: 'truncated' }],
    });
    expect((refusal as Error).message).toContain('A $ (truncated)');
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });
    // From A nothing truncated is read: the trigger data is whole.
    await expect(runner.rerun(workflow, original.id, { from: 'A' })).resolves.toBeDefined();
  });

  test('refuses a reused output that was redacted, with the path', async () => {
    const calls: Record<string, number> = {};
    const workflow = chain(calls, { aOutput: (n) => ({ n, apiToken: 's3cr3t' }) });
    await runner.run(workflow, { type: 'manual', data: { n: 1 } });
    const original = await latest();
    await expect(runner.rerun(workflow, original.id, { from: 'B' })).rejects.toMatchObject({
      reason: 'output-incomplete',
      lost: [{ node: 'A', path: '$.value.apiToken', kind: 'redacted' }],
    });
    // The caller may give the inputs instead.
    await expect(runner.rerun(workflow, original.id, { from: 'B', input: { value: 1 } })).resolves.toBeDefined();
  });

  test('refuses when the definition changed so that an upstream node is gone, runs with force; refuses a missing definition', async () => {
    const calls: Record<string, number> = {};
    await runner.run(chain(calls), { type: 'manual', data: { n: 1 } });
    const original = await latest();
    const changed = chain(calls, { withoutB: true });
    const refusal = await runner.rerun(changed, original.id, { from: 'C' }).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ reason: 'definition-changed', nodes: ['B'] });
    await expect(runner.rerun(changed, original.id, { from: 'B' })).rejects.toMatchObject({ reason: 'unknown-node' });
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });

    const forced = await runner.rerun(changed, original.id, { from: 'C', force: true });
    expect(forced.outputs.C).toEqual({ value: 20 });
    const rerun = await latest();
    expect(rerun.definitionHash).toBe(workflowDefinition(changed).hash);
    expect(rerun.definitionHash).not.toBe(original.definitionHash);
    expect(rerun.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['A', 'reused'],
      ['C', 'success'],
    ]);

    // Recorded without a definition (decorators, or an older release).
    const id = await store.createExecution({
      workflowId: 'chain',
      workflowName: 'Chain',
      triggerType: 'manual',
      status: 'success',
      startedAt: Date.now(),
    });
    await expect(runner.rerun(chain(calls), id, { from: 'B' })).rejects.toMatchObject({ reason: 'definition-missing' });
    await expect(runner.rerun(chain(calls), id, { from: 'B', force: true })).rejects.toMatchObject({
      reason: 'upstream-not-recorded',
      nodes: ['A'],
    });
    await expect(runner.rerun(chain(calls), 'no-such-id', { from: 'B' })).rejects.toMatchObject({ reason: 'execution-not-found' });
  });

  test('a node upstream that never succeeded is a refusal; one beside the node re-run from that never ran, runs', async () => {
    const calls: Record<string, number> = {};
    let failB = true;
    const count = (id: string, body: NodeFunction) =>
      new FunctionNode(id, id, (inputs, ctx) => ((calls[id] = (calls[id] ?? 0) + 1), body(inputs, ctx)));
    const workflow: Workflow = {
      id: 'fan',
      name: 'Fan out',
      nodes: [
        count('A', () => ({ value: 1 })),
        count('B', () => {
          if (failB) throw new Error('B failed');
          return { value: 2 };
        }),
        count('C', async ({ value }, ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          if (ctx?.signal.aborted) throw ctx.signal.reason;
          return { value };
        }),
        count('D', ({ value }) => ({ value })),
      ],
      connections: [edge('A', 'B'), edge('A', 'C'), edge('B', 'D')],
    };
    await expect(runner.run(workflow)).rejects.toThrow('B failed');
    const original = await latest();
    await expect(runner.rerun(workflow, original.id, { from: 'D' })).rejects.toMatchObject({
      reason: 'upstream-not-recorded',
      nodes: ['B'],
    });
    failB = false;
    await runner.rerun(workflow, original.id, { from: 'B' });
    const rerun = await latest();
    expect(rerun.status).toBe('success');
    expect(Object.fromEntries(rerun.steps.map((step) => [step.nodeId, step.status]))).toEqual({
      A: 'reused',
      B: 'success',
      C: 'success',
      D: 'success',
    });
    expect(calls).toEqual({ A: 1, B: 2, C: 2, D: 1 });
  });

  test('retries and sub-workflows downstream run as in any run: attempts recorded, a child execution linked to the new step', async () => {
    let tries = 0;
    let childBroken = true;
    const child: Workflow = {
      id: 'child',
      name: 'Child',
      nodes: [
        new FunctionNode('work', 'Work', ({ trigger }) => {
          if (childBroken) throw new Error('child broken');
          return { done: trigger };
        }),
      ],
      connections: [],
    };
    const workflow: Workflow = {
      id: 'parent',
      name: 'Parent',
      nodes: [
        new FunctionNode('A', 'A', () => ({ value: 1 })),
        new RetryNode('R', 'Retry', ({ value }) => (tries++ % 2 === 0 ? Promise.reject(new Error('flaky')) : { value }) as never, {
          backoffMs: 1,
        }),
        new SubWorkflowNode('S', 'Sub', child, { output: 'work' }),
      ],
      connections: [edge('A', 'R'), edge('R', 'S')],
    };
    await expect(runner.run(workflow)).rejects.toThrow('child broken');
    const original = await latest('parent');
    childBroken = false;
    const result = await runner.rerun(workflow, original.id, { from: 'R' });
    expect(result.outputs.S).toEqual({ done: { value: 1 } });
    const rerun = await latest();
    expect(rerun.workflowId).toBe('child');
    const parent = await execution(rerun.parentExecutionId!);
    expect(parent.forkedFromExecutionId).toBe(original.id);
    expect(parent.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['A', 'reused'],
      ['R', 'success'],
      ['R#1', 'error'],
      ['R#2', 'success'],
      ['S', 'success'],
    ]);
    expect(rerun.parentStepId).toBe(stepOf(parent, 'S').id);
    expect(rerun.forkedFromExecutionId).toBeNull();
  });

  test('the definition is stored once however many runs; a changed workflow stores a second; getDefinition reads each', async () => {
    const calls: Record<string, number> = {};
    for (let i = 0; i < 5; i++) await runner.run(chain(calls), { type: 'manual', data: { n: i } });
    await logger.shutdown();
    const count = async () => Number((await store.dataSource.query('SELECT COUNT(*) AS n FROM workflow_definitions'))[0].n);
    expect(await count()).toBe(1);
    // Another logger (another process) on the same database writes the same hash again: still one row.
    await start();
    await runner.run(chain(calls), { type: 'manual', data: { n: 9 } });
    await runner.run(chain(calls, { withoutB: true }), { type: 'manual', data: { n: 9 } });
    await logger.flush();
    expect(await count()).toBe(2);
    const [before, after] = [workflowDefinition(chain(calls)), workflowDefinition(chain(calls, { withoutB: true }))];
    const stored = await store.getDefinition(before.hash);
    expect(stored).toMatchObject({ hash: before.hash, workflowId: 'chain', definition: before.shape });
    expect(stored?.definition.nodes.map((node) => node.id)).toEqual(['A', 'B', 'C']);
    expect((await store.getDefinition(after.hash))?.definition.nodes.map((node) => node.id)).toEqual(['A', 'C']);
    expect(await store.getDefinition('0'.repeat(64))).toBeNull();
    const { items } = await store.listExecutions({ workflowId: 'chain', limit: 10 });
    expect(new Set(items.map((item) => item.definitionHash))).toEqual(new Set([before.hash, after.hash]));
  });

  test('executions recorded by the decorators alone have no definition, and store none', async () => {
    class Step {
      readonly id = 'only';
      @LoggedNode()
      execute(value: number): number {
        return value + 1;
      }
    }
    const step = new Step();
    class Plain {
      readonly id = 'plain';
      @LoggedWorkflow({ logger: () => logger })
      async run(value: number): Promise<number> {
        return step.execute(value);
      }
    }
    await new Plain().run(1);
    const run = await latest();
    expect(run.workflowId).toBe('plain');
    expect(run.steps.map((s) => s.status)).toEqual(['success']);
    expect(run.definitionHash).toBeNull();
    expect(run.forkedFromExecutionId).toBeNull();
    expect((await store.dataSource.query('SELECT hash FROM workflow_definitions')).length).toBe(0);
  });

  test('a definition record replayed from the spool is harmless: written again, still one row, the same definition', async () => {
    const { hash, json } = workflowDefinition(chain({}));
    const record: SpoolRecord = { q: 1, t: 'D', r: { hash, workflowId: 'chain', definition: new CapturedJson(json), createdAt: 1000 } };
    const line = encodeSpoolLine(record);
    const replayed = new RecordBuffer();
    replayed.addReplayed(parseSpoolLine(line)!);
    replayed.addReplayed(parseSpoolLine(line)!);
    expect(replayed.size).toBe(1);
    await store.writeBatch(replayed.toWriteBatch());
    await store.writeBatch(replayed.toWriteBatch());
    const rows = await store.dataSource.query('SELECT hash, created_at FROM workflow_definitions');
    expect(rows).toHaveLength(1);
    expect((await store.getDefinition(hash))?.definition).toEqual(JSON.parse(json));
  });

  test('a spool holding a definition twice (a replay cut short, replayed again) is replayed into one row, the execution naming it', async () => {
    const spoolDir = tempDir('flowtrail-spool-');
    try {
      const { hash, json } = workflowDefinition(chain({}));
      const startedAt = Date.now();
      const executionId = uuidv7(startedAt);
      const definition: SpoolRecord = {
        q: 1,
        t: 'D',
        r: { hash, workflowId: 'chain', definition: new CapturedJson(json), createdAt: startedAt },
      };
      const reports: unknown[] = [];
      const config = { spoolDir, maxBatchSize: 100, maxQueueSize: 100, maxQueueBytes: 32 * 1024 * 1024 };
      const spool = Spool.forSink(store.sink, config, 'closed-logger', (error) => reports.push(error))!;
      const run: SpoolRecord = {
        q: 2,
        t: 'E',
        r: {
          id: executionId,
          workflowId: 'chain',
          workflowName: 'Chain',
          triggerType: 'manual',
          status: 'success',
          startedAt,
          definitionHash: hash,
        },
      };
      expect(spool.append([definition, run, { ...definition, q: 3 }])).toBe(true);
      spool.close();
      await logger.shutdown();
      await start({ spoolDir });
      await until(() => logger.stats().replayed === 3, 'the spool to be replayed');
      expect(logger.stats()).toMatchObject({ dropped: 0, rejected: 0 });
      expect(reports).toEqual([]);
      expect((await store.dataSource.query('SELECT hash FROM workflow_definitions')).length).toBe(1);
      expect((await execution(executionId)).definitionHash).toBe(hash);
      expect((await store.getDefinition(hash))?.definition).toEqual(JSON.parse(json));
    } finally {
      await logger.shutdown();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });

  test('getRecordedOutputs: each step with its output and whether it is whole', async () => {
    const workflow: Workflow = {
      id: 'pay',
      name: 'Pay',
      nodes: [
        new FunctionNode('A', 'A', () => ({ value: 2, auth: { password: 'p' } })),
        new FunctionNode('B', 'B', ({ value }) => ({ value: (value as number) * 2 })),
        new FunctionNode('C', 'C', () => {
          throw new Error('no');
        }),
      ],
      connections: [edge('A', 'B'), edge('B', 'C')],
    };
    await expect(runner.run(workflow)).rejects.toThrow('no');
    const original = await latest();
    const outputs = await store.getRecordedOutputs(original.id, ['A', 'B', 'C']);
    expect(outputs.map((output) => [output.nodeId, output.status, output.complete, output.lost])).toEqual([
      ['A', 'success', false, [{ path: '$.auth.password', kind: 'redacted' }]],
      ['B', 'success', true, []],
      ['C', 'error', false, []],
    ]);
    expect(outputs[1]).toMatchObject({ stepId: stepOf(original, 'B').id, output: { value: 4 } });
    expect(outputs[2]?.output).toBeNull();
    expect(await store.getRecordedOutputs(original.id, ['B'])).toHaveLength(1);
    expect(await store.getRecordedOutputs('no-such-execution')).toEqual([]);

    // An engine of its own re-runs from C as docs/rerun.md shows: the imperative lifecycle with the links, reuseNode for B.
    const [b] = await store.getRecordedOutputs(original.id, ['B']);
    const id = await logger.startExecution({
      workflowId: 'pay',
      workflowName: 'Pay',
      forkedFromExecutionId: original.id,
      forkedFromStepId: stepOf(original, 'C').id,
    });
    const reusedId = logger.reuseNode({
      executionId: id,
      nodeId: 'B',
      nodeType: 'function',
      reusedFromStepId: b!.stepId,
      inputData: stepOf(original, 'B').inputData,
      outputData: b!.output,
    });
    const stepId = await logger.startNode({ executionId: id, nodeId: 'C', nodeType: 'function', inputData: b!.output });
    await logger.completeNode(stepId, true, { done: true });
    await logger.completeExecution(id, true);
    const forked = await execution(id);
    expect(forked).toMatchObject({ forkedFromExecutionId: original.id, forkedFromStepId: stepOf(original, 'C').id, definitionHash: null });
    expect(forked.steps.map((step) => [step.id, step.nodeId, step.status, step.reusedFromStepId, step.outputData])).toEqual([
      [reusedId, 'B', 'reused', b!.stepId, { value: 4 }],
      [stepId, 'C', 'success', null, { done: true }],
    ]);
    expect((await store.listExecutions({ forkedFromExecutionId: original.id })).items.map((item) => item.id)).toEqual([id]);
  });

  test('show --graph draws the graph each run had, with each node status; show names forks both ways', async () => {
    const calls: Record<string, number> = {};
    let broken = true;
    const workflow = chain(calls, { failC: () => broken });
    await expect(runner.run(workflow, { type: 'manual', data: { n: 1 } })).rejects.toThrow();
    const original = await latest();
    broken = false;
    await runner.rerun(workflow, original.id, { from: 'C' });
    const rerun = await latest();
    const id = await store.createExecution({
      workflowId: 'plain',
      workflowName: 'Plain',
      triggerType: 'manual',
      status: 'success',
      startedAt: Date.now(),
    });
    await logger.shutdown();

    const first = await cli(['show', original.id, '--graph', ...cliArgs(db)]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^Forks +${rerun.id}$`, 'm'));
    expect(first.stdout).toMatch(/Graph of chain \(definition [0-9a-f]{12}, 3 nodes, 2 edges\)/);
    expect(first.stdout).toMatch(/^A +function +Step A +success +\(trigger\)$/m);
    expect(first.stdout).toMatch(/^ {2}B +function +Step B +success +A\.value$/m);
    expect(first.stdout).toMatch(/^ {4}C +function +Step C +error +B\.value$/m);

    const second = await cli(['show', rerun.id, '--graph', ...cliArgs(db)]);
    expect(second.stdout).toMatch(new RegExp(`^Forked from +${original.id} at step C$`, 'm'));
    expect(second.stdout).toMatch(/^A +function +Step A +reused/m);
    expect(second.stdout).toMatch(/^ {4}C +function +Step C +success/m);

    const forks = await cli(['list', '--forked-from', original.id, '--json', ...cliArgs(db)]);
    expect(forks.stderr).toBe('');
    expect(JSON.parse(forks.stdout).items.map((item: { id: string }) => item.id)).toEqual([rerun.id]);
    const none = await cli(['export', '--forked-from', rerun.id, ...cliArgs(db)]);
    expect(none.stdout).toBe('');

    const plain = await cli(['show', id, '--graph', ...cliArgs(db)]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('No workflow definition was stored for this execution');

    const json = await cli(['show', rerun.id, '--graph', '--json', ...cliArgs(db)]);
    expect(JSON.parse(json.stdout)).toMatchObject({ forkedFromExecutionId: original.id, definition: { id: 'chain', format: 1 } });
  });
  test('a root re-run refuses trigger data that was not captured (captureInputs off); a trigger given as input runs', async () => {
    await logger.shutdown();
    await start({ captureInputs: false });
    const calls: Record<string, number> = {};
    const workflow = chain(calls);
    await runner.run(workflow, { type: 'webhook', data: { n: 1 } });
    const original = await latest();
    expect(original.triggerData).toBeNull();
    await expect(runner.rerun(workflow, original.id, { from: 'A' })).rejects.toMatchObject({
      reason: 'output-not-recorded',
      nodes: ['trigger'],
    });
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });
    await expect(runner.rerun(workflow, original.id, { from: 'A', input: { trigger: { n: 4 } } })).resolves.toMatchObject({
      outputs: { C: { value: 60 } },
    });
    // From B the trigger is not read: A's output is reused.
    await expect(runner.rerun(workflow, original.id, { from: 'B' })).resolves.toBeDefined();
  });

  test('a run started without trigger data, its inputs captured, re-runs from its root', async () => {
    const calls: Record<string, number> = {};
    const workflow: Workflow = {
      id: 'bare',
      name: 'Bare',
      nodes: [new FunctionNode('A', 'A', () => ((calls.A = (calls.A ?? 0) + 1), { value: 1 }))],
      connections: [],
    };
    await runner.run(workflow);
    const original = await latest();
    await expect(runner.rerun(workflow, original.id, { from: 'A' })).resolves.toMatchObject({ outputs: { A: { value: 1 } } });
    expect(calls.A).toBe(2);
  });

  test('a trigger given as input is checked instead of the original one: lost data in the original does not refuse', async () => {
    const calls: Record<string, number> = {};
    const workflow = chain(calls);
    await runner.run(workflow, { type: 'manual', data: { n: 1, apiToken: 's3cr3t' } });
    const original = await latest();
    await expect(runner.rerun(workflow, original.id, { from: 'A' })).rejects.toMatchObject({
      reason: 'output-incomplete',
      lost: [{ node: 'trigger', path: '$.apiToken', kind: 'redacted' }],
    });
    await expect(runner.rerun(workflow, original.id, { from: 'A', input: { trigger: { n: 2 } } })).resolves.toMatchObject({
      outputs: { C: { value: 40 } },
    });
  });

  test('a re-run right after the run, in the same process, reads it without a flush of its own', async () => {
    await logger.shutdown();
    await start({ flushIntervalMs: 60_000 });
    const calls: Record<string, number> = {};
    let executionId: string | undefined;
    let broken = true;
    const workflow = chain(calls, {
      failC: () => {
        executionId ??= currentExecution()?.executionId;
        return broken;
      },
    });
    await expect(runner.run(workflow, { type: 'manual', data: { n: 1 } })).rejects.toThrow('C is broken');
    broken = false;
    await expect(runner.rerun(workflow, executionId!, { from: 'C' })).resolves.toMatchObject({ outputs: { C: { value: 30 } } });
    expect(calls).toEqual({ A: 1, B: 1, C: 2 });
  });

  test('rerun without options, or without from, is a RerunError (unknown-node) before anything is read', async () => {
    const workflow = chain({});
    const refusal = await (runner.rerun as (...args: unknown[]) => Promise<unknown>)(workflow, 'some-id').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RerunError);
    expect(refusal).toMatchObject({ reason: 'unknown-node', executionId: 'some-id' });
    await expect(runner.rerun(workflow, 'some-id', {} as never)).rejects.toMatchObject({ reason: 'unknown-node' });
  });

  test('refuses a reused output that was not captured (captureOutputs off) when a re-run node reads it', async () => {
    await logger.shutdown();
    await start({ captureOutputs: false });
    const calls: Record<string, number> = {};
    const workflow = chain(calls);
    await runner.run(workflow, { type: 'manual', data: { n: 1 } });
    const original = await latest();
    await expect(runner.rerun(workflow, original.id, { from: 'C' })).rejects.toMatchObject({
      reason: 'output-not-recorded',
      nodes: ['B'],
    });
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });
    await expect(runner.rerun(workflow, original.id, { from: 'C', input: { value: 5 } })).resolves.toMatchObject({
      outputs: { C: { value: 50 } },
    });
  });

  test('refuses an execution of another workflow', async () => {
    const calls: Record<string, number> = {};
    await runner.run(chain(calls), { type: 'manual', data: { n: 1 } });
    const original = await latest();
    const other: Workflow = { ...chain(calls), id: 'other' };
    await expect(runner.rerun(other, original.id, { from: 'B' })).rejects.toMatchObject({
      reason: 'other-workflow',
      executionId: original.id,
    });
    expect(calls).toEqual({ A: 1, B: 1, C: 1 });
  });

  test('refuses a definition where a node is upstream now that was not then, runs with force', async () => {
    const calls: Record<string, number> = {};
    await runner.run(chain(calls, { withoutB: true }), { type: 'manual', data: { n: 1 } });
    const original = await latest();
    await expect(runner.rerun(chain(calls), original.id, { from: 'C' })).rejects.toMatchObject({
      reason: 'definition-changed',
      nodes: ['B'],
    });
    expect(calls).toEqual({ A: 1, C: 1 });
    // B has no step there to reuse: forced, it is upstream with nothing recorded.
    await expect(runner.rerun(chain(calls), original.id, { from: 'C', force: true })).rejects.toMatchObject({
      reason: 'upstream-not-recorded',
      nodes: ['B'],
    });
  });

  test('show --graph of an execution whose stored definition lacks fields it reads says so, without crashing', async () => {
    const json = JSON.stringify({
      format: 1,
      id: 'partial',
      name: 'Partial',
      nodes: [
        { id: 'A', type: 'function' },
        { id: 'B', type: 'function', name: 'B' },
      ],
      edges: [{ from: 'A', to: 'B' }],
    });
    const id = await logger.startExecution({
      workflowId: 'partial',
      workflowName: 'Partial',
      definition: { hash: 'f'.repeat(64), workflowId: 'partial', json },
    });
    await logger.completeExecution(id, true);
    await logger.shutdown();
    const shown = await cli(['show', id, '--graph', ...cliArgs(db)]);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`The definition this execution ran (${'f'.repeat(64)})`);
  });
});
