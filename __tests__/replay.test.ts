import {
  assertReplayMatches,
  ExecutionLogger,
  ExecutionStep,
  flowtrailMatchers,
  FunctionNode,
  LoggedNode,
  LoggedWorkflow,
  ReplayError,
  ReplayMismatchError,
  replayStep,
  WorkflowExecution,
  WorkflowRunner,
  type ExecutionStore,
  type LoggerConfig,
  type NodeContext,
  type NodeInputs,
  type ReplayResult,
} from '../src';
import { renderExecution } from '../src/cli/commands/show';
import { makePalette } from '../src/cli/format';
import { databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toMatchRecordedOutput(): R;
    }
  }
}
expect.extend(flowtrailMatchers);

let logger: ExecutionLogger | null = null;

/** A node as users write one: its settings in fields, its work in `execute`. */
class PriceNode {
  readonly id = 'price';
  readonly type = 'pricing';
  constructor(private readonly vatRate: number) {}

  @LoggedNode()
  execute(order: { items: { sku: string; price: number; qty: number }[]; coupon?: string }) {
    if (order.items.length === 0) throw new RangeError('an order needs items');
    const net = order.items.reduce((sum, item) => sum + item.price * item.qty, 0);
    return { net, vat: Math.round(net * this.vatRate * 100) / 100, lines: order.items.length };
  }
}

/** Two arguments: recorded as the argument list. */
class Greeter {
  readonly id = 'greet';
  @LoggedNode()
  async execute(name: string, punctuation: string) {
    await Promise.resolve();
    return `Hello, ${name}${punctuation}`;
  }
}

/** One argument that is an array: the default would spread it. */
class Summer {
  readonly id = 'sum';
  @LoggedNode()
  execute(values: number[]) {
    return values.reduce((a, b) => a + b, 0);
  }
}

/** Logs in: its input holds a password, which the history keeps only as "[REDACTED]". */
class Login {
  readonly id = 'login';
  @LoggedNode()
  execute(credentials: { user: string; password: string }) {
    return { user: credentials.user, ok: credentials.password.length > 3 };
  }
}

/** An `inputs` option of its own: what it stores is not its arguments. */
class Picky {
  readonly id = 'picky';
  @LoggedNode({ inputs: (_self, [order]: [{ id: string }]) => order.id })
  execute(order: { id: string }) {
    return order.id.toUpperCase();
  }
}

/** No arguments at all. */
class Clock {
  readonly id = 'clock';
  constructor(private readonly now: number) {}
  @LoggedNode()
  execute() {
    return { now: this.now };
  }
}

/** Echoes its input, hostile keys and all. */
class Echo {
  readonly id = 'echo';
  @LoggedNode()
  execute(value: Record<string, unknown>) {
    return { keys: Object.keys(value), value };
  }
}

/** A node that starts a workflow of its own while it runs. */
class Spawner {
  readonly id = 'spawner';
  @LoggedNode()
  async execute(n: number) {
    return { child: await new Child().run(n) };
  }
}

class Child {
  @LoggedWorkflow({ logger: () => logger })
  async run(n: number) {
    return new Doubler().execute(n);
  }
}

class Doubler {
  readonly id = 'double';
  @LoggedNode()
  execute(n: number) {
    return n * 2;
  }
}

/** Runs one node call as a recorded workflow, like production code would. */
class OneStep {
  @LoggedWorkflow({ workflowId: 'checkout', workflowName: 'Checkout', logger: () => logger })
  async run(call: () => unknown) {
    return call();
  }
}

describe.each(databaseKinds)('replayStep on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;

  beforeEach(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    await useLogger();
  });

  afterEach(async () => {
    await logger?.shutdown();
    logger = null;
    ExecutionLogger.setDefault(null);
    await store.close();
    await db.drop();
  });

  async function useLogger(config: LoggerConfig = {}): Promise<ExecutionLogger> {
    await logger?.shutdown();
    logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10, ...config });
    await logger.ready;
    return logger;
  }

  /** Records `call` as the first step of a new execution and returns that step's id. */
  async function recordStep(call: () => unknown): Promise<string> {
    await new OneStep().run(call).catch(() => undefined);
    await logger!.flush();
    const [execution] = await store.dataSource
      .getRepository(WorkflowExecution)
      .find({ where: { workflowId: 'checkout' }, order: { startedAt: 'DESC', id: 'DESC' }, take: 1 });
    const steps = await store.getSteps(execution!.id);
    return steps[0]!.id;
  }

  async function rowCounts(): Promise<{ executions: number; steps: number }> {
    return {
      executions: await store.dataSource.getRepository(WorkflowExecution).count(),
      steps: await store.dataSource.getRepository(ExecutionStep).count(),
    };
  }

  async function refusal(replay: Promise<unknown>): Promise<ReplayError> {
    const error = await replay.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ReplayError);
    return error as ReplayError;
  }

  const order = {
    items: [
      { sku: 'A-1', price: 10, qty: 2 },
      { sku: 'B-2', price: 5.5, qty: 1 },
    ],
    coupon: 'WELCOME',
  };

  test('the same node on the same input: no changes, and nothing is written, even from inside a recorded run', async () => {
    const stepId = await recordStep(() => new PriceNode(0.2).execute(order));
    const before = await rowCounts();
    // Called from a workflow of the user's: that run is recorded, the replayed node's step is not.
    class Audit {
      readonly id = 'audit';
      @LoggedWorkflow({ logger: () => logger })
      run(): Promise<ReplayResult> {
        return replayStep(store, stepId, new PriceNode(0.2));
      }
    }
    const result = await new Audit().run();
    expect(result.changes).toEqual([]);
    expect(result.omitted).toBe(0);
    expect(result.recorded).toEqual({ status: 'success', output: { net: 25.5, vat: 5.1, lines: 2 }, error: null });
    expect(result.replayed).toMatchObject({ status: 'success', output: { net: 25.5, vat: 5.1, lines: 2 }, error: null });
    expect(result.replayed.value).toEqual({ net: 25.5, vat: 5.1, lines: 2 });
    expect(result.step.id).toBe(stepId);
    expect(result.recordedAs).toBeNull();
    expect(result).toMatchRecordedOutput();
    expect(() => assertReplayMatches(result)).not.toThrow();
    await logger!.flush();
    expect(await rowCounts()).toEqual({ executions: before.executions + 1, steps: before.steps });
  });

  test('a node that now computes otherwise: the changed paths, recorded against new values', async () => {
    const stepId = await recordStep(() => new PriceNode(0.2).execute(order));
    const result = await replayStep(store, stepId, new PriceNode(0.25));
    expect(result.changes).toEqual([
      { path: '$.output.vat', kind: 'changed', a: { json: '5.1', omittedBytes: 0 }, b: { json: '6.38', omittedBytes: 0 } },
    ]);
    expect(() => expect(result).toMatchRecordedOutput()).toThrow(/~ \$\.output\.vat {2}5\.1 → 6\.38/);
    const mismatch = (() => {
      try {
        assertReplayMatches(result);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(mismatch).toBeInstanceOf(ReplayMismatchError);
    expect((mismatch as ReplayMismatchError).paths).toEqual(['$.output.vat']);
    expect((mismatch as Error).message).toContain(`Replay of step ${stepId} (node "price", type "pricing"`);
    expect(() => expect(result).not.toMatchRecordedOutput()).not.toThrow();
  });

  test('a step that failed and now succeeds, and one that succeeded and now fails', async () => {
    const failed = await recordStep(() => new PriceNode(0.2).execute({ items: [] }));
    const fixed = await replayStep(store, failed, new PriceNode(0.2), {
      args: () => [{ items: [{ sku: 'A', price: 1, qty: 1 }] }],
    });
    expect(fixed.recorded).toEqual({ status: 'error', output: null, error: { name: 'RangeError', message: 'an order needs items' } });
    expect(fixed.changes.map(({ path, kind }) => [path, kind])).toEqual([
      ['$.error', 'removed'],
      ['$.output', 'added'],
    ]);

    const succeeded = await recordStep(() => new PriceNode(0.2).execute(order));
    class Broken extends PriceNode {
      @LoggedNode()
      override execute(): never {
        throw new TypeError('vat table missing');
      }
    }
    const broken = await replayStep(store, succeeded, new Broken(0.2));
    expect(broken.replayed).toMatchObject({ status: 'error', output: null, error: { name: 'TypeError', message: 'vat table missing' } });
    expect(broken.replayed.thrown).toBeInstanceOf(TypeError);
    expect(broken.changes).toEqual([
      { path: '$.output', kind: 'removed', a: { json: '{"net":25.5,"vat":5.1,"lines":2}', omittedBytes: 0 } },
      { path: '$.error', kind: 'added', b: { json: '{"name":"TypeError","message":"vat table missing"}', omittedBytes: 0 } },
    ]);
  });

  test('an error replayed as an error compares its message and name', async () => {
    const failed = await recordStep(() => new PriceNode(0.2).execute({ items: [] }));
    expect((await replayStep(store, failed, new PriceNode(0.3))).changes).toEqual([]);
    class Renamed extends PriceNode {
      @LoggedNode()
      override execute(): never {
        throw new Error('an order needs lines');
      }
    }
    const renamed = await replayStep(store, failed, new Renamed(0.2));
    expect(renamed.changes.map(({ path, a, b }) => [path, a?.json, b?.json])).toEqual([
      ['$.error.name', '"RangeError"', '"Error"'],
      ['$.error.message', '"an order needs items"', '"an order needs lines"'],
    ]);
  });

  test('record: true writes one new execution holding the replayed step, marked as a replay of it', async () => {
    const stepId = await recordStep(() => new PriceNode(0.2).execute(order));
    const original = (await store.getStep(stepId))!;
    const before = await rowCounts();
    const result = await replayStep(store, stepId, new PriceNode(0.25), { record: true, logger: logger! });
    expect(result.recordedAs).not.toBeNull();
    expect(await rowCounts()).toEqual({ executions: before.executions + 1, steps: before.steps + 1 });
    const replay = (await store.getExecution(result.recordedAs!.executionId, { steps: true }))!;
    expect(replay).toMatchObject({
      workflowId: 'checkout',
      workflowName: 'Checkout',
      triggerType: 'replay',
      status: 'success',
      replayOfStepId: stepId,
      parentExecutionId: null,
    });
    expect(replay.steps).toHaveLength(1);
    expect(replay.steps![0]).toMatchObject({
      id: result.recordedAs!.stepId,
      nodeId: 'price',
      nodeType: 'pricing',
      stepIndex: 0,
      status: 'success',
      inputData: original.inputData,
      outputData: { net: 25.5, vat: 6.38, lines: 2 },
    });
    // The recorded step compares with its replay as any two runs do.
    const comparison = await store.compareExecutions(original.executionId, replay.id);
    expect(comparison.steps[0]!.output!.changes.map((change) => change.path)).toEqual(['$.vat']);
    expect(renderExecution(replay, [], { data: false, palette: makePalette(false) })).toMatch(
      new RegExp(`^Replay of +step ${stepId}$`, 'm'),
    );

    // A failing replay is recorded as failing.
    class Broken extends PriceNode {
      @LoggedNode()
      override execute(): never {
        throw new TypeError('vat table missing');
      }
    }
    const failed = await replayStep(store, stepId, new Broken(0.2), { record: true, logger: logger! });
    const failedRun = (await store.getExecution(failed.recordedAs!.executionId, { steps: true }))!;
    expect(failedRun).toMatchObject({ status: 'error', errorMessage: 'vat table missing', replayOfStepId: stepId });
    expect(failedRun.steps![0]).toMatchObject({ status: 'error', errorMessage: 'vat table missing' });

    // A disabled logger records nothing, and says so.
    logger!.setEnabled(false);
    expect((await replayStep(store, stepId, new PriceNode(0.2), { record: true, logger: logger! })).recordedAs).toBeNull();
  });

  test('inputs not captured: refused before anything runs', async () => {
    await useLogger({ captureInputs: false });
    const stepId = await recordStep(() => new PriceNode(0.2).execute(order));
    let ran = false;
    class Watched extends PriceNode {
      @LoggedNode()
      override execute(input: typeof order) {
        ran = true;
        return super.execute(input);
      }
    }
    const error = await refusal(replayStep(store, stepId, new Watched(0.2)));
    expect(error.reason).toBe('inputs-not-captured');
    expect(error.code).toBe('FLOWTRAIL_REPLAY');
    expect(error.stepId).toBe(stepId);
    expect(ran).toBe(false);
    // A single null argument reads as nothing stored: `args` says what it was.
    await useLogger();
    const nullStep = await recordStep(() => new Login().execute(null as unknown as { user: string; password: string }));
    expect((await refusal(replayStep(store, nullStep, new Login()))).reason).toBe('inputs-not-captured');
    const withNull = await replayStep(store, nullStep, new Login(), { args: (input) => [input] });
    expect(withNull.recorded.status).toBe('error');
    expect(withNull.changes).toEqual([]);
    // A method of no parameters has nothing to lose: called with none.
    const clockStep = await recordStep(() => new Clock(7).execute());
    expect((await replayStep(store, clockStep, new Clock(7))).changes).toEqual([]);
  });

  test('a truncated input is refused, naming the path', async () => {
    await useLogger({ maxDataSize: 256 });
    const stepId = await recordStep(() => new PriceNode(0.2).execute({ ...order, coupon: 'x'.repeat(400) }));
    const error = await refusal(replayStep(store, stepId, new PriceNode(0.2)));
    expect(error.reason).toBe('inputs-incomplete');
    expect(error.paths).toEqual(['$']);
    expect(error.markers).toEqual([{ path: '$', kind: 'truncated' }]);
    expect(error.message).toContain('$ (truncated)');
  });

  test('a redacted input is refused naming the path, unless `args` supplies the value', async () => {
    const stepId = await recordStep(() => new Login().execute({ user: 'ada', password: 'hunter22' }));
    const error = await refusal(replayStep(store, stepId, new Login()));
    expect(error.reason).toBe('inputs-incomplete');
    expect(error.paths).toEqual(['$.password']);
    // A test secret in its place: checked again, and replayed.
    const result = await replayStep(store, stepId, new Login(), {
      args: (input) => [{ ...(input as object), password: 'test-password' }],
    });
    expect(result.changes).toEqual([]);
    const still = await refusal(replayStep(store, stepId, new Login(), { args: (input) => [input] }));
    expect(still.paths).toEqual(['$[0].password']);
  });

  test('markers found at any depth: every path holding one is named', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const stepId = await recordStep(() =>
      new Echo().execute({ list: [1, { apiKey: 'k' }], fn: () => 1, cyclic, pending: Promise.resolve(1), nested: { token: 't' } }),
    );
    const error = await refusal(replayStep(store, stepId, new Echo()));
    expect(error.markers).toEqual([
      { path: '$.list[1].apiKey', kind: 'redacted' },
      { path: '$.fn', kind: 'not-data' },
      { path: '$.cyclic.self', kind: 'not-followed' },
      { path: '$.pending', kind: 'not-data' },
      { path: '$.nested.token', kind: 'redacted' },
    ]);
  });

  test('arguments: a list is spread, a single array needs `args`, an own `inputs` option needs `args`', async () => {
    const greeting = await recordStep(() => new Greeter().execute('Ada', '!'));
    expect((await replayStep(store, greeting, new Greeter())).replayed.value).toBe('Hello, Ada!');

    const sum = await recordStep(() => new Summer().execute([1, 2, 3]));
    // Spread by default, [1, 2, 3] would be three arguments: values = 1, and reduce fails.
    expect((await replayStep(store, sum, new Summer())).replayed.status).toBe('error');
    const mapped = await replayStep(store, sum, new Summer(), { args: (values) => [values] });
    expect(mapped.changes).toEqual([]);
    expect(mapped.replayed.value).toBe(6);

    const picky = await recordStep(() => new Picky().execute({ id: 'o-1' }));
    expect((await refusal(replayStep(store, picky, new Picky()))).reason).toBe('args-required');
    expect((await replayStep(store, picky, new Picky(), { args: (id) => [{ id }] })).changes).toEqual([]);
  });

  test('a runner node is called with its recorded inputs and a context of its own', async () => {
    let seen: NodeContext | undefined;
    const body = (rate: number) => (inputs: NodeInputs, ctx?: NodeContext) => {
      seen = ctx;
      const { amount } = inputs.trigger as { amount: number };
      return { value: amount * rate };
    };
    const runner = new WorkflowRunner({ logger: logger! });
    await runner.run(
      { id: 'fx', name: 'FX', nodes: [new FunctionNode('convert', 'Convert', body(1.1))], connections: [] },
      { type: 'manual', data: { amount: 100 } },
    );
    await logger!.flush();
    const [step] = await store.dataSource.getRepository(ExecutionStep).find({ where: { nodeId: 'convert' } });
    expect(step!.inputData).toEqual({ trigger: { amount: 100 } });
    const before = await rowCounts();

    const same = await replayStep(store, step!.id, new FunctionNode('convert', 'Convert', body(1.1)));
    expect(same.changes).toEqual([]);
    expect(seen?.workflowId).toBe('fx');
    expect(seen?.runner).toBeInstanceOf(WorkflowRunner);
    expect(seen?.signal.aborted).toBe(false);

    const changed = await replayStep(store, step!.id, new FunctionNode('convert', 'Convert', body(1.2)), { runner });
    expect(changed.changes.map((change) => change.path)).toEqual(['$.output.value']);
    expect(seen?.runner).toBe(runner);
    await logger!.flush();
    expect(await rowCounts()).toEqual(before);

    // Another node id, or type: refused unless asked for.
    const other = await refusal(replayStep(store, step!.id, new FunctionNode('convert2', 'Convert', body(1.1))));
    expect(other.reason).toBe('node-mismatch');
    expect(other.message).toContain('"convert"');
    const typed = await refusal(replayStep(store, step!.id, new FunctionNode('convert', 'C', body(1.1), { type: 'fx' })));
    expect(typed.reason).toBe('node-mismatch');
    expect((await replayStep(store, step!.id, new FunctionNode('convert2', 'C', body(1.1)), { allowOtherNode: true })).changes).toEqual([]);
  });

  test('what the replayed node calls is not recorded either: nodes, and whole workflows', async () => {
    const stepId = await recordStep(() => new Spawner().execute(21));
    await logger!.flush();
    const before = await rowCounts();
    // The recorded run: the spawner's step, the child workflow and its step.
    expect(before).toEqual({ executions: 2, steps: 2 });
    ExecutionLogger.setDefault(logger);
    const result = await replayStep(store, stepId, new Spawner());
    expect(result.changes).toEqual([]);
    expect(result.replayed.value).toEqual({ child: 42 });
    await logger!.flush();
    expect(await rowCounts()).toEqual(before);
  });

  test('refusals: an unknown step, a step still running, a method that is not a @LoggedNode', async () => {
    expect((await refusal(replayStep(store, '00000000-0000-7000-8000-000000000000', new PriceNode(0.2)))).reason).toBe('not-found');
    expect((await refusal(replayStep(store, '', new PriceNode(0.2)))).reason).toBe('not-found');
    expect((await refusal(replayStep(store, "x' OR '1'='1", new PriceNode(0.2)))).reason).toBe('not-found');
    const stepId = await recordStep(() => new PriceNode(0.2).execute(order));
    expect((await refusal(replayStep(store, stepId, { id: 'price', execute: () => 1 }))).reason).toBe('not-a-logged-node');
    expect((await refusal(replayStep(store, stepId, new PriceNode(0.2), { method: 'run' }))).reason).toBe('not-a-logged-node');
    const runningId = await logger!.startExecution({ workflowId: 'w', workflowName: 'W' });
    const running = await logger!.startNode({ executionId: runningId, nodeId: 'price', nodeType: 'pricing', inputData: order });
    await logger!.flush();
    const error = await refusal(replayStep(store, running, new PriceNode(0.2)));
    expect(error.reason).toBe('not-finished');
    await logger!.completeNode(running, true, {});
    await logger!.completeExecution(runningId, true);
    expect((await refusal(replayStep(store, stepId, new PriceNode(0.2), { record: true, logger: undefined }))).reason).toBe('no-logger');
  });

  test('a truncated output is compared as its marker, and said so', async () => {
    await useLogger({ maxDataSize: 256 });
    class Big {
      readonly id = 'big';
      constructor(private readonly fill: string) {}
      @LoggedNode()
      execute(n: number) {
        return { n, text: this.fill.repeat(n) };
      }
    }
    const stepId = await recordStep(() => new Big('a').execute(300));
    const same = await replayStep(store, stepId, new Big('a'), { logger: logger! });
    expect(same.changes).toEqual([]);
    expect(same.incomparable).toEqual([{ path: '$.output', kind: 'truncated' }]);
    expect(() => expect(same).toMatchRecordedOutput()).not.toThrow();
    const other = await replayStep(store, stepId, new Big('b'), { logger: logger! });
    expect(other.changes).toMatchObject([{ path: '$.output', kind: 'changed', marker: 'truncated' }]);
    expect(() => expect(other).toMatchRecordedOutput()).toThrow(
      /compared as the marker stored in place of the value: \$\.output \(truncated\)/,
    );
  });

  test('hostile keys and strings round-trip into the replayed call and compare equal', async () => {
    const value = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":1},"it\'s":"\\"; DROP TABLE execution_steps; --","ünï 𝄞":"\\u0000nul","":""}',
    ) as Record<string, unknown>;
    const stepId = await recordStep(() => new Echo().execute(value));
    const result = await replayStep(store, stepId, new Echo());
    expect(result.changes).toEqual([]);
    const replayed = result.replayed.value as { keys: string[]; value: Record<string, unknown> };
    expect(replayed.keys).toEqual(['__proto__', 'constructor', "it's", 'ünï 𝄞', '']);
    expect(Object.getPrototypeOf(replayed.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
