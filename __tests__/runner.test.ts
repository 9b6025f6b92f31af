import {
  ExecutionLogger,
  WorkflowCancelledError,
  WorkflowGraphError,
  WorkflowTimeoutError,
  type ExecutionStep,
  type ExecutionStore,
  type WorkflowExecution,
  ConditionNode,
  DelayNode,
  FunctionNode,
  RetryNode,
  SubWorkflowNode,
  WorkflowRunner,
  type Connection,
  type NodeFunction,
  type Workflow,
  type WorkflowNode,
} from '../src';
import { databaseKinds, makeDatabase, type TestDatabase } from './support/databases';
import { sleep } from './support/sleep';

const fn = (id: string, body: NodeFunction, options?: { requiredInputs?: string[] }) => new FunctionNode(id, `Node ${id}`, body, options);
const edge = (from: string, to: string, output = 'value', input = output): Connection => ({
  from: { node: from, output },
  to: { node: to, input },
});
const workflow = (id: string, nodes: WorkflowNode[], connections: Connection[]): Workflow => ({
  id,
  name: `Workflow ${id}`,
  nodes,
  connections,
});

type Recorded = WorkflowExecution & { steps: ExecutionStep[] };

describe.each(databaseKinds)('WorkflowRunner on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let logger: ExecutionLogger;
  let runner: WorkflowRunner;

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10 });
    // A shutdown() before start-up finished leaves the heartbeat timer running (see report): wait for it.
    await logger.ready;
    runner = new WorkflowRunner({ logger });
  });

  afterEach(async () => {
    await logger.shutdown();
    ExecutionLogger.setDefault(null);
    await store.close();
    await db.drop();
  });

  /** Every execution of a workflow, newest first, with its steps in stepIndex order, as stored. */
  async function recorded(workflowId?: string): Promise<Recorded[]> {
    await logger.shutdown();
    const { items } = await store.listExecutions({ ...(workflowId === undefined ? {} : { workflowId }), limit: 1000 });
    return Promise.all(items.map(async (execution) => Object.assign(execution, { steps: await store.getSteps(execution.id) })));
  }

  async function onlyExecution(workflowId: string): Promise<Recorded> {
    const executions = await recorded(workflowId);
    expect(executions).toHaveLength(1);
    return executions[0] as Recorded;
  }

  const stepOf = (execution: Recorded, nodeId: string): ExecutionStep => {
    const step = execution.steps.find((candidate) => candidate.nodeId === nodeId);
    if (!step) throw new Error(`no step for node ${nodeId} in ${execution.steps.map((s) => s.nodeId).join(', ')}`);
    return step;
  };

  test('a chain runs in dependency order, whatever the declaration order', async () => {
    const ran: string[] = [];
    const stage = (id: string) =>
      fn(id, async ({ value }) => {
        ran.push(id);
        await sleep(2);
        return { value: [...((value as string[] | undefined) ?? []), id] };
      });
    // Declared backwards: only the connections give the order.
    const chain = workflow('chain', [stage('c'), stage('b'), stage('a')], [edge('a', 'b'), edge('b', 'c')]);

    const result = await runner.run(chain);

    expect(ran).toEqual(['a', 'b', 'c']);
    expect(result.outputs.c).toEqual({ value: ['a', 'b', 'c'] });
    const execution = await onlyExecution('chain');
    expect(execution).toMatchObject({ status: 'success', workflowName: 'Workflow chain', triggerType: 'manual' });
    expect(execution.steps.map((step) => [step.stepIndex, step.nodeId, step.status])).toEqual([
      [0, 'a', 'success'],
      [1, 'b', 'success'],
      [2, 'c', 'success'],
    ]);
    for (let i = 1; i < execution.steps.length; i++) {
      expect(execution.steps[i]!.startedAt).toBeGreaterThanOrEqual(execution.steps[i - 1]!.completedAt!);
    }
  });

  test('independent branches run at the same time, and their join waits for both', async () => {
    const parallel = workflow(
      'parallel',
      [
        fn('start', () => ({ value: 1 })),
        new DelayNode('left', 'Left', 30),
        new DelayNode('right', 'Right', 30),
        fn('join', (inputs) => ({ value: inputs })),
      ],
      [edge('start', 'left'), edge('start', 'right'), edge('left', 'join', 'value', 'l'), edge('right', 'join', 'value', 'r')],
    );

    await runner.run(parallel);

    const execution = await onlyExecution('parallel');
    const [left, right, join] = [stepOf(execution, 'left'), stepOf(execution, 'right'), stepOf(execution, 'join')];
    expect(left.durationMs).toBeGreaterThanOrEqual(25);
    expect(right.durationMs).toBeGreaterThanOrEqual(25);
    // Overlap: each branch started before the other finished.
    expect(left.startedAt).toBeLessThan(right.completedAt!);
    expect(right.startedAt).toBeLessThan(left.completedAt!);
    expect(join.startedAt).toBeGreaterThanOrEqual(Math.max(left.completedAt!, right.completedAt!));
    expect(join.stepIndex).toBe(3);
  });

  test('outputs travel along connections to the named inputs; root nodes get the trigger data', async () => {
    const order = workflow(
      'data',
      [
        fn('validate', ({ trigger }) => ({ order: trigger, valid: true }), { requiredInputs: ['trigger'] }),
        fn('price', ({ order }) => ({ total: (order as { qty: number }).qty * 5 })),
        fn('stock', ({ order }) => ({ available: (order as { qty: number }).qty < 10 })),
        fn('merge', ({ amount, inStock }) => ({ summary: `${String(amount)} / ${String(inStock)}` }), {
          requiredInputs: ['amount', 'inStock'],
        }),
      ],
      [
        edge('validate', 'price', 'order'),
        edge('validate', 'stock', 'order'),
        edge('price', 'merge', 'total', 'amount'),
        edge('stock', 'merge', 'available', 'inStock'),
      ],
    );

    const result = await runner.run(order, { type: 'webhook', data: { qty: 3 } });

    expect(result.outputs.merge).toEqual({ summary: '15 / true' });
    const execution = await onlyExecution('data');
    expect(execution).toMatchObject({ status: 'success', triggerType: 'webhook', triggerData: { qty: 3 } });
    expect(stepOf(execution, 'validate').inputData).toEqual({ trigger: { qty: 3 } });
    expect(stepOf(execution, 'price').inputData).toEqual({ order: { qty: 3 } });
    expect(stepOf(execution, 'merge').inputData).toEqual({ amount: 15, inStock: true });
    expect(stepOf(execution, 'merge').outputData).toEqual({ summary: '15 / true' });
  });

  describe('graph validation', () => {
    const never = jest.fn(() => ({ value: 1 }));
    const node = (id: string, requiredInputs?: string[]) => fn(id, never, { requiredInputs });
    const cases: [string, () => Workflow, string | string[], RegExp][] = [
      ['a duplicate node id', () => workflow('dup', [node('a'), node('b'), node('a')], [edge('a', 'b')]), 'a', /duplicate node id "a"/i],
      [
        'a connection from an unknown node',
        () => workflow('from', [node('a'), node('b')], [edge('ghost', 'b')]),
        'ghost',
        /unknown node "ghost"/,
      ],
      [
        'a connection to an unknown node',
        () => workflow('to', [node('a'), node('b')], [edge('a', 'b'), edge('b', 'nowhere')]),
        'nowhere',
        /unknown node "nowhere"/,
      ],
      [
        'a cycle',
        () => workflow('cycle', [node('a'), node('b'), node('c')], [edge('a', 'b', 'x'), edge('b', 'c'), edge('c', 'b', 'value', 'y')]),
        ['b', 'c'],
        /cycle/,
      ],
      [
        'a self-loop',
        () => workflow('self', [node('a'), node('b')], [edge('a', 'b'), edge('b', 'b', 'value', 'again')]),
        'b',
        /cycle .*b → b/,
      ],
      [
        'an input fed by two connections',
        () => workflow('twice', [node('a'), node('b'), node('c')], [edge('a', 'c'), edge('b', 'c')]),
        'c',
        /input "value" of node "c" is fed by two/i,
      ],
      [
        'a required input nothing feeds',
        () => workflow('required', [node('a'), node('b', ['value', 'extra'])], [edge('a', 'b')]),
        'b',
        /requires input "extra"/,
      ],
      [
        'a connection from an output the node does not have',
        () => workflow('output', [new ConditionNode('if', 'If', () => true), node('b')], [edge('if', 'b', 'maybe', 'value')]),
        'if',
        /output "maybe"/,
      ],
    ];

    test.each(cases)(
      'rejects %s with a WorkflowGraphError naming the culprit, and records nothing',
      async (_name, make, culprit, message) => {
        never.mockClear();
        const error: unknown = await runner.run(make()).catch((thrown: unknown) => thrown);

        expect(error).toBeInstanceOf(WorkflowGraphError);
        const graphError = error as WorkflowGraphError;
        expect(Array.isArray(culprit) ? culprit : [culprit]).toContain(graphError.culprit);
        expect(graphError.message).toContain(`"${graphError.culprit}"`);
        expect(graphError.message).toMatch(message);
        expect(never).not.toHaveBeenCalled();
        expect(await recorded()).toHaveLength(0);
      },
    );
  });

  test('a failing node fails the run with its own error; running siblings are aborted, later nodes never start', async () => {
    const later = jest.fn(() => ({ value: 1 }));
    const failing = workflow(
      'failing',
      [
        fn('start', () => ({ value: 1 })),
        fn('charge', () => {
          throw new Error('card declined');
        }),
        new DelayNode('slow', 'Slow sibling', 5000),
        fn('ship', later),
      ],
      [edge('start', 'charge'), edge('start', 'slow'), edge('charge', 'ship')],
    );

    const error: unknown = await runner.run(failing).catch((thrown: unknown) => thrown);

    expect(error).toEqual(new Error('card declined'));
    expect(later).not.toHaveBeenCalled();
    const execution = await onlyExecution('failing');
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'card declined' });
    expect(stepOf(execution, 'charge')).toMatchObject({ status: 'error', errorMessage: 'card declined' });
    expect(stepOf(execution, 'slow')).toMatchObject({ status: 'error', errorMessage: 'Workflow cancelled: node "charge" failed' });
    expect(execution.steps.map((step) => step.nodeId)).not.toContain('ship');
  });

  test('a node that returns something other than an object of outputs fails the run, naming the node', async () => {
    const bad = workflow('bad-output', [fn('odd', () => 42 as never)], []);

    await expect(runner.run(bad)).rejects.toThrow('Node "odd" returned number; execute() must return an object of named outputs');

    const execution = await onlyExecution('bad-output');
    expect(execution).toMatchObject({ status: 'error', errorMessage: expect.stringContaining('Node "odd" returned number') });
  });

  test('a retrying node records each attempt as its own step: two errors, then a success', async () => {
    const flaky = new RetryNode(
      'charge',
      'Charge card',
      (inputs, _ctx, attempt) => {
        if (attempt < 3) throw new Error(`gateway timeout ${attempt}`);
        return { receipt: `r-${String(inputs.trigger)}` };
      },
      { attempts: 4, backoffMs: 5 },
    );

    const result = await runner.run(workflow('retry', [flaky], []), { type: 'test', data: 7 });

    expect(result.outputs.charge).toEqual({ receipt: 'r-7' });
    const execution = await onlyExecution('retry');
    expect(execution.status).toBe('success');
    expect(execution.steps.map((step) => [step.stepIndex, step.nodeId, step.nodeType, step.status, step.errorMessage])).toEqual([
      [0, 'charge', 'retry', 'success', null],
      [1, 'charge#1', 'retry-attempt', 'error', 'gateway timeout 1'],
      [2, 'charge#2', 'retry-attempt', 'error', 'gateway timeout 2'],
      [3, 'charge#3', 'retry-attempt', 'success', null],
    ]);
    expect(stepOf(execution, 'charge#3')).toMatchObject({ nodeName: 'Charge card (attempt 3/4)', outputData: { receipt: 'r-7' } });
    // Exponential backoff: 5 ms, then 10 ms between the attempts.
    const [first, second, third] = [stepOf(execution, 'charge#1'), stepOf(execution, 'charge#2'), stepOf(execution, 'charge#3')];
    expect(second.startedAt - first.completedAt!).toBeGreaterThanOrEqual(4);
    expect(third.startedAt - second.completedAt!).toBeGreaterThanOrEqual(9);
  });

  test('a retrying node that runs out of attempts fails with the last error', async () => {
    const hopeless = new RetryNode('call', 'Call API', (_inputs, _ctx, attempt) => Promise.reject(new Error(`HTTP 503 (try ${attempt})`)), {
      attempts: 2,
      backoffMs: 1,
    });

    await expect(runner.run(workflow('exhausted', [hopeless], []))).rejects.toThrow('HTTP 503 (try 2)');

    const execution = await onlyExecution('exhausted');
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'HTTP 503 (try 2)' });
    expect(execution.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['call', 'error'],
      ['call#1', 'error'],
      ['call#2', 'error'],
    ]);
  });

  test('a timeout aborts running nodes, starts no more, and records the timeout without leaving steps running', async () => {
    const after = jest.fn(() => ({ value: 1 }));
    const slow = workflow(
      'timeout',
      [
        fn('start', () => ({ value: 1 })),
        new DelayNode('wait-a', 'Wait A', 5000),
        new DelayNode('wait-b', 'Wait B', 5000),
        fn('after', after),
      ],
      [edge('start', 'wait-a'), edge('start', 'wait-b'), edge('wait-a', 'after', 'value', 'a'), edge('wait-b', 'after', 'value', 'b')],
    );

    const error: unknown = await runner.run(slow, { type: 'schedule' }, { timeoutMs: 50 }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(WorkflowTimeoutError);
    expect(after).not.toHaveBeenCalled();
    const execution = await onlyExecution('timeout');
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'Workflow timed out after 50 ms' });
    expect(execution.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['start', 'success'],
      ['wait-a', 'error'],
      ['wait-b', 'error'],
    ]);
    expect(stepOf(execution, 'wait-a').errorMessage).toBe('Workflow timed out after 50 ms');
    expect(stepOf(execution, 'wait-a').completedAt).not.toBeNull();
  });

  test('a timeout stops a graph of CPU-bound nodes between two nodes', async () => {
    // Each node holds the thread; a run chained through promise callbacks alone would never let
    // the timeout's timer fire before the last node.
    let ran = 0;
    const busy = () => {
      ran++;
      for (const until = Date.now() + 5; Date.now() < until;);
      return { value: ran };
    };
    const nodes = Array.from({ length: 40 }, (_, i) => fn(`n${i}`, busy));
    const chain = workflow(
      'cpu-bound',
      nodes,
      nodes.slice(1).map((node, i) => edge(`n${i}`, node.id)),
    );

    const error: unknown = await runner.run(chain, undefined, { timeoutMs: 20 }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(WorkflowTimeoutError);
    expect(ran).toBeLessThan(40);
    const execution = await onlyExecution('cpu-bound');
    expect(execution.steps).toHaveLength(ran);
  });

  test('an AbortSignal cancels the run, and the history says so', async () => {
    const controller = new AbortController();
    const waiting = workflow(
      'cancel',
      [new DelayNode('wait', 'Wait', 5000), fn('next', () => ({}))],
      [edge('wait', 'next', 'trigger', 'value')],
    );
    setTimeout(() => controller.abort('user pressed stop'), 30);

    const error: unknown = await runner.run(waiting, undefined, { signal: controller.signal }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(WorkflowCancelledError);
    const execution = await onlyExecution('cancel');
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'Workflow cancelled: user pressed stop' });
    expect(execution.steps.map((step) => [step.nodeId, step.status, step.errorMessage])).toEqual([
      ['wait', 'error', 'Workflow cancelled: user pressed stop'],
    ]);
  });

  test('a signal aborted before the run starts no node', async () => {
    const body = jest.fn(() => ({}));

    await expect(runner.run(workflow('pre-aborted', [fn('a', body)], []), undefined, { signal: AbortSignal.abort() })).rejects.toThrow(
      new WorkflowCancelledError(),
    );

    expect(body).not.toHaveBeenCalled();
    const execution = await onlyExecution('pre-aborted');
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'Workflow cancelled' });
    expect(execution.steps).toHaveLength(0);
  });

  test('an aborted run rejects only once its running nodes have settled, so their steps close first', async () => {
    // Honours the signal, but needs 40 ms to clean up before it rejects.
    const cleanup = fn(
      'cleanup',
      (_inputs, ctx) =>
        new Promise((_resolve, reject) => {
          ctx?.signal.addEventListener('abort', () => setTimeout(() => reject(ctx.signal.reason), 40));
        }),
    );

    await expect(runner.run(workflow('settle', [cleanup], []), undefined, { timeoutMs: 10 })).rejects.toThrow(
      'Workflow timed out after 10 ms',
    );

    const execution = await onlyExecution('settle');
    const step = stepOf(execution, 'cleanup');
    expect(step).toMatchObject({ status: 'error', errorMessage: 'Workflow timed out after 10 ms' });
    expect(step.durationMs).toBeGreaterThanOrEqual(45);
    expect(execution.completedAt).toBeGreaterThanOrEqual(step.completedAt!);
  });

  test('after an abort, the run waits for a node that ignores the signal only up to abortGraceMs', async () => {
    let finished = false;
    const stubborn = fn('stubborn', async () => {
      await sleep(300);
      finished = true;
      return { done: true };
    });

    await expect(runner.run(workflow('grace', [stubborn], []), undefined, { timeoutMs: 20, abortGraceMs: 30 })).rejects.toThrow(
      WorkflowTimeoutError,
    );

    // Ordering, not a stopwatch: the run gave up before the node was done.
    expect(finished).toBe(false);
    await sleep(350);
    // The node finished after the run gave up on it: its step is closed, not left running.
    const execution = await onlyExecution('grace');
    expect(execution.status).toBe('error');
    expect(stepOf(execution, 'stubborn')).toMatchObject({ status: 'success', outputData: { done: true } });
  });

  test.each([
    [120, 'approve', ['reject', 'archive']],
    [40, 'reject', ['approve', 'notify']],
  ])('a condition runs one branch and records the other as skipped, transitively (amount %d)', async (amount, taken, skipped) => {
    const route = workflow(
      'condition',
      [
        new ConditionNode('check', 'Amount over 100?', ({ trigger }) => (trigger as { amount: number }).amount > 100),
        fn('approve', () => ({ value: 'approved' })),
        fn('notify', () => ({ value: 'notified' })),
        fn('reject', () => ({ value: 'rejected' })),
        fn('archive', () => ({ value: 'archived' })),
        fn('done', (inputs) => ({ value: Object.keys(inputs) })),
      ],
      [
        edge('check', 'approve', 'true', 'order'),
        edge('approve', 'notify'),
        edge('check', 'reject', 'false', 'order'),
        edge('reject', 'archive'),
        edge('notify', 'done', 'value', 'viaApprove'),
        edge('archive', 'done', 'value', 'viaReject'),
      ],
    );

    const result = await runner.run(route, { type: 'test', data: { amount } });

    expect(result.skipped).toEqual(skipped);
    expect(result.outputs.done).toEqual({ value: [taken === 'approve' ? 'viaApprove' : 'viaReject'] });
    const execution = await onlyExecution('condition');
    expect(execution.status).toBe('success');
    expect(stepOf(execution, taken).status).toBe('success');
    expect(stepOf(execution, taken).inputData).toEqual({ order: { trigger: { amount } } });
    for (const nodeId of skipped) {
      expect(stepOf(execution, nodeId)).toMatchObject({
        status: 'skipped',
        durationMs: 0,
        errorMessage: expect.stringMatching(/not taken/),
      });
    }
    expect(stepOf(execution, skipped[0]!).nodeName).toBe(`Node ${skipped[0]!}`);
    expect(stepOf(execution, 'done').status).toBe('success');
    expect(execution.steps.map((step) => step.stepIndex)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('a sub-workflow becomes a child execution linked to the parent step', async () => {
    const child = workflow('child', [fn('double', ({ trigger }) => ({ doubled: (trigger as { n: number }).n * 2 }))], []);
    const parent = workflow(
      'parent',
      [
        fn('prepare', () => ({ n: 21 })),
        new SubWorkflowNode('sub', 'Run child', child, { output: 'double' }),
        fn('finish', ({ doubled }) => ({ answer: doubled })),
      ],
      [edge('prepare', 'sub', 'n'), edge('sub', 'finish', 'doubled')],
    );

    const result = await runner.run(parent);

    expect(result.outputs.finish).toEqual({ answer: 42 });
    const [parentRun, childRun] = [await onlyExecution('parent'), await onlyExecution('child')];
    const subStep = stepOf(parentRun, 'sub');
    expect(childRun).toMatchObject({
      status: 'success',
      parentExecutionId: parentRun.id,
      parentStepId: subStep.id,
      triggerType: 'internal_event',
      triggerData: { n: 21 },
    });
    expect(childRun.steps.map((step) => step.nodeId)).toEqual(['double']);
    expect(parentRun.steps.map((step) => step.nodeId)).toEqual(['prepare', 'sub', 'finish']);
    expect(parentRun.parentExecutionId).toBeNull();
    expect(childRun.startedAt).toBeGreaterThanOrEqual(subStep.startedAt);
    expect(childRun.completedAt).toBeLessThanOrEqual(subStep.completedAt!);
  });

  test('a runner without a logger records through the default logger', async () => {
    ExecutionLogger.setDefault(logger);

    await new WorkflowRunner().run(workflow('default-logger', [fn('only', () => ({}))], []));

    expect((await onlyExecution('default-logger')).steps).toHaveLength(1);
  });

  test('100 concurrent runs of 3 workflows on one runner: every execution holds exactly its own steps', async () => {
    const jitter = () => sleep(Math.floor(Math.random() * 4));
    const tagged = (id: string) =>
      fn(id, async (inputs) => {
        await jitter();
        return { tag: tagOf(inputs) };
      });
    // Wherever the tag sits in the inputs (trigger, an upstream output, a condition's branch), pass it on.
    const tagOf = (inputs: Record<string, unknown>) => /run-\d+/.exec(JSON.stringify(inputs))?.[0];
    const workflows = [
      workflow('burst-chain', [tagged('a'), tagged('b'), tagged('c')], [edge('a', 'b', 'tag'), edge('b', 'c', 'tag')]),
      workflow(
        'burst-fan',
        [tagged('root'), tagged('x'), tagged('y'), tagged('z')],
        [edge('root', 'x', 'tag'), edge('root', 'y', 'tag'), edge('x', 'z', 'tag', 'fromX'), edge('y', 'z', 'tag', 'fromY')],
      ),
      workflow(
        'burst-branch',
        [new ConditionNode('odd', 'Odd?', ({ trigger }) => (trigger as { n: number }).n % 2 === 1), tagged('yes'), tagged('no')],
        [edge('odd', 'yes', 'true', 'order'), edge('odd', 'no', 'false', 'order')],
      ),
    ];
    const expectedNodes: Record<string, number> = { 'burst-chain': 3, 'burst-fan': 4, 'burst-branch': 3 };

    const runs = Array.from({ length: 100 }, (_, n) => runner.run(workflows[n % 3]!, { type: 'test', data: { tag: `run-${n}`, n } }));
    const results = await Promise.all(runs);

    expect(results).toHaveLength(100);
    const executions = await recorded();
    expect(executions).toHaveLength(100);
    const tags = new Set<unknown>();
    for (const execution of executions) {
      const tag = (execution.triggerData as { tag: string }).tag;
      tags.add(tag);
      expect(execution.status).toBe('success');
      expect(execution.steps).toHaveLength(expectedNodes[execution.workflowId]!);
      expect(execution.steps.map((step) => step.stepIndex)).toEqual([...execution.steps.keys()]);
      expect(new Set(execution.steps.map((step) => step.nodeId)).size).toBe(execution.steps.length);
      for (const step of execution.steps) {
        expect(step.executionId).toBe(execution.id);
        if (step.status === 'skipped') continue;
        expect(step.status).toBe('success');
        // Every input and output of a step carries its own run's tag: no cross-talk between runs.
        expect(JSON.stringify(step.inputData)).toContain(`"${tag}"`);
        expect(JSON.stringify(step.outputData)).toContain(`"${tag}"`);
      }
      if (execution.workflowId === 'burst-branch') {
        expect(execution.steps.filter((step) => step.status === 'skipped')).toHaveLength(1);
      }
    }
    expect(tags.size).toBe(100);
  });
});
