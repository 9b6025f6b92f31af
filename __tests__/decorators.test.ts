import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ExecutionLogger,
  ExecutionStep,
  LoggedNode,
  LoggedWorkflow,
  skipNode,
  WorkflowExecution,
  type ErrorContext,
  type ExecutionStore,
  type LoggerConfig,
} from '../src';
import { expectConsumerReport, fixtureDir, fixtureRoot, repoRoot, runFixture } from './support/consumerFixture';
import { makeDatabase, type TestDatabase } from './support/databases';
import { sleep } from './support/sleep';

const execFileAsync = promisify(execFile);
/** setTimeout(ms) can fire up to 1 ms early as measured by Date.now(). */
const atLeast = (ms: number) => ms - 1;

// ── The consumer project compiled with tsc against the built package ──────────────────────────
//
// tsc is slow to start (it parses typeorm's declarations), so the compiles start before the
// in-process tests and run beside them; the fixture tests at the end of the file wait for them.

const tscBin = require.resolve('typescript/bin/tsc');

interface Compiled {
  exitCode: number;
  /** Everything tsc printed (diagnostics go to stdout). */
  output: string;
  /** Where the fixture's .js files are. */
  outDir: string;
}

/**
 * Compiles the fixture project with one of its tsconfigs into a fixture root (see
 * {@link fixtureRoot}), so the fixture's own `import … from '../../../dist'` works there.
 */
async function compileFixture(project: string, outRoot: string): Promise<Compiled> {
  const outDir = join(outRoot, fixtureDir);
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [tscBin, '-p', join(repoRoot, fixtureDir, project), '--outDir', outDir],
      {
        cwd: repoRoot,
      },
    );
    return { exitCode: 0, output: stdout + stderr, outDir };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, outDir };
  }
}

const fixtureRoots: string[] = [];
let compiles: {
  legacy: Promise<Compiled>;
  standard: Promise<Compiled>;
  standardMisuse: Promise<Compiled>;
};

beforeAll(() => {
  const roots = [fixtureRoot(), fixtureRoot(), fixtureRoot()] as const;
  fixtureRoots.push(...roots);
  // Not awaited here: they compile while the in-process tests run.
  compiles = {
    legacy: compileFixture('tsconfig.legacy.json', roots[0]),
    standard: compileFixture('tsconfig.standard.json', roots[1]),
    standardMisuse: compileFixture('tsconfig.misuse.json', roots[2]),
  };
});

afterAll(async () => {
  // Let any compile still running finish before its folder goes.
  if (compiles) await Promise.all(Object.values(compiles));
  for (const root of fixtureRoots) rmSync(root, { recursive: true, force: true });
});

// ── In-process: the decorators from src, compiled by ts-jest with experimentalDecorators ─────

let db: TestDatabase;
let store: ExecutionStore;
let logger: ExecutionLogger;
let reported: { error: unknown; context: ErrorContext }[];

/** A logger on this test's store, set as the default the decorators use. */
function useLogger(config: LoggerConfig = {}): ExecutionLogger {
  logger = new ExecutionLogger(store, {
    configFile: false,
    flushIntervalMs: 10,
    onError: (error, context) => reported.push({ error, context }),
    ...config,
  });
  ExecutionLogger.setDefault(logger);
  return logger;
}

beforeEach(async () => {
  db = makeDatabase('sqlite');
  store = await db.open();
  reported = [];
  // Fully started (instance registered, start-up recovery done) before the test runs.
  await useLogger().ready;
});

afterEach(async () => {
  await logger.shutdown();
  ExecutionLogger.setDefault(null);
  await store.close();
  await db.drop();
});

/** Shuts the logger down (writing everything) and reads back every execution, oldest first, with steps. */
async function recorded(): Promise<WorkflowExecution[]> {
  await logger.shutdown();
  const executions = await store.dataSource.getRepository(WorkflowExecution).find({ order: { startedAt: 'ASC', id: 'ASC' } });
  for (const execution of executions) execution.steps = await store.getSteps(execution.id);
  return executions;
}

async function onlyExecution(): Promise<WorkflowExecution & { steps: ExecutionStep[] }> {
  const executions = await recorded();
  expect(executions).toHaveLength(1);
  return executions[0] as WorkflowExecution & { steps: ExecutionStep[] };
}

const stepCount = () => store.dataSource.getRepository(ExecutionStep).count();

/** Calls `body` inside a recorded workflow execution (the default logger). */
class Harness {
  readonly id = 'harness';

  @LoggedWorkflow()
  run<T>(body: () => T): T {
    return body();
  }
}
const inWorkflow = <T>(body: () => T): T => new Harness().run(body);

describe('sync and async methods', () => {
  class Adder {
    readonly id = 'adder';
    insideResult: unknown;

    @LoggedNode()
    execute(a: number, b: number): number {
      return a + b;
    }
  }

  class SyncWorkflow {
    readonly id = 'sync-flow';
    readonly adder = new Adder();
    nodeResult: unknown;

    @LoggedWorkflow()
    run(x: number): number {
      this.nodeResult = this.adder.execute(x, 2);
      return (this.nodeResult as number) * 10;
    }
  }

  test('a sync workflow and a sync node stay sync (no promise) and are both recorded', async () => {
    const workflow = new SyncWorkflow();
    const result: unknown = workflow.run(1);
    expect(result instanceof Promise).toBe(false);
    expect(result).toBe(30);
    expect(workflow.nodeResult instanceof Promise).toBe(false);
    expect(workflow.nodeResult).toBe(3);

    const execution = await onlyExecution();
    expect(execution).toMatchObject({ workflowId: 'sync-flow', status: 'success', triggerData: 1 });
    expect(execution.steps).toHaveLength(1);
    expect(execution.steps[0]).toMatchObject({ nodeId: 'adder', status: 'success', inputData: [1, 2], outputData: 3, stepIndex: 0 });
  });

  test('an async generator method still returns its iterator on the first call, in strict mode too', async () => {
    await logger.shutdown();
    await useLogger({ durability: 'strict' }).ready;
    class Counter {
      readonly id = 'counter';
      @LoggedNode()
      async *execute(to: number): AsyncGenerator<number> {
        for (let i = 1; i <= to; i++) yield i;
      }
    }
    class CountingWorkflow {
      readonly id = 'counting';
      @LoggedWorkflow()
      async run(to: number): Promise<number[]> {
        const iterator = new Counter().execute(to);
        expect(iterator instanceof Promise).toBe(false);
        const seen: number[] = [];
        for await (const i of iterator) seen.push(i);
        return seen;
      }
    }
    expect(await new CountingWorkflow().run(3)).toEqual([1, 2, 3]);
    const execution = await onlyExecution();
    expect(execution.status).toBe('success');
    expect(execution.steps.map((step) => step.nodeId)).toEqual(['counter']);
  });

  class DelayNode {
    readonly id = 'delay';

    /** Not `async`: a plain method that returns a promise, recognised by its result. */
    @LoggedNode()
    execute(ms: number): Promise<string> {
      return new Promise((done) => setTimeout(() => done(`waited ${ms}`), ms));
    }
  }

  class PromiseWorkflow {
    readonly id = 'promise-flow';

    @LoggedWorkflow()
    run(ms: number): Promise<string> {
      return new DelayNode().execute(ms).then((text) => text.toUpperCase());
    }
  }

  test('a plain method returning a promise is recorded after the promise resolves, with its duration', async () => {
    const running = new PromiseWorkflow().run(60);
    expect(running).toBeInstanceOf(Promise);
    // While the promise is pending, the step is written as running, not completed.
    await sleep(15);
    await logger.flush();
    const midway = await store.dataSource.getRepository(ExecutionStep).find();
    expect(midway).toHaveLength(1);
    expect(midway[0]).toMatchObject({ status: 'running', completedAt: null, outputData: null });

    await expect(running).resolves.toBe('WAITED 60');
    const execution = await onlyExecution();
    expect(execution.status).toBe('success');
    expect(execution.durationMs).toBeGreaterThanOrEqual(atLeast(60));
    const step = execution.steps[0]!;
    expect(step).toMatchObject({ status: 'success', inputData: 60, outputData: 'waited 60' });
    expect(step.durationMs).toBeGreaterThanOrEqual(atLeast(60));
    expect(step.completedAt! - step.startedAt).toBe(step.durationMs);
  });

  /**
   * A thenable that is not a promise, as a query builder is: each call of `then` starts the work
   * again, and it has methods of its own.
   */
  class Builder implements PromiseLike<string> {
    runs = 0;
    where(clause: string): this {
      this.clause = clause;
      return this;
    }
    clause = '';
    then<A = string, B = never>(
      onFulfilled?: ((value: string) => A | PromiseLike<A>) | null,
      onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): PromiseLike<A | B> {
      this.runs++;
      return Promise.resolve(`rows where ${this.clause}`).then(onFulfilled, onRejected);
    }
  }

  class BuilderNode {
    readonly id = 'builder';
    built: Builder | undefined;

    @LoggedNode()
    execute(): Builder {
      this.built = new Builder();
      return this.built;
    }
  }

  test('a thenable that is not a promise comes back as the very object, its then never called by flowtrail', async () => {
    const node = new BuilderNode();
    const returned = inWorkflow(() => node.execute());
    expect(returned).toBe(node.built);
    expect(returned.where('id = 1')).toBe(returned); // its own methods, on its own object
    await sleep(20);
    expect(returned.runs).toBe(0); // not run early
    expect(await returned).toBe('rows where id = 1');
    expect(returned.runs).toBe(1); // run once: by the caller
    const step = (await onlyExecution()).steps[0]!;
    expect(step).toMatchObject({ nodeId: 'builder', status: 'success', outputData: '[Thenable Builder]' });
  });

  class TaggedPromise<T> extends Promise<T> {
    tag(): string {
      return 'tagged';
    }
  }

  class SubclassNode {
    readonly id = 'subclass';

    @LoggedNode()
    execute(outcome: { value: number } | { error: Error }): Promise<number> {
      return new TaggedPromise<number>((resolve, reject) =>
        setTimeout(() => ('value' in outcome ? resolve(outcome.value) : reject(outcome.error)), 30),
      );
    }
  }

  test('a Promise subclass comes back as that subclass; the step waits for it and records its value', async () => {
    const returned = inWorkflow(() => new SubclassNode().execute({ value: 7 }));
    expect(returned).toBeInstanceOf(TaggedPromise);
    expect((returned as TaggedPromise<number>).tag()).toBe('tagged');
    expect(await returned).toBe(7);
    const step = (await onlyExecution()).steps[0]!;
    expect(step).toMatchObject({ status: 'success', outputData: 7 });
    expect(step.durationMs).toBeGreaterThanOrEqual(atLeast(30));
  });

  test('a rejecting Promise subclass rejects with the same error and records the step as error', async () => {
    const failure = new Error('subclass failed');
    const returned = inWorkflow(() => new SubclassNode().execute({ error: failure }));
    expect(returned).toBeInstanceOf(TaggedPromise);
    expect(
      await returned.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    ).toBe(failure);
    const step = (await onlyExecution()).steps[0]!;
    expect(step).toMatchObject({ status: 'error', errorMessage: 'subclass failed' });
  });

  test('in strict mode, where the wrapper answers before the method runs (its start persisted first), the subclass still comes back', async () => {
    await logger.shutdown();
    await useLogger({ durability: 'strict' }).ready;
    class StrictFlow {
      readonly id = 'strict-flow';

      @LoggedWorkflow()
      async run(): Promise<unknown[]> {
        const node = new SubclassNode();
        // The first call teaches the wrapper that the method returns promises; from the second on it persists the start first.
        const calls = [node.execute({ value: 1 }), node.execute({ value: 2 }), node.execute({ error: new Error('second') })];
        const classes = calls.map((call) => call instanceof TaggedPromise);
        const outcomes = await Promise.all(calls.map((call) => call.then(String, (error: Error) => error.message)));
        return [classes, outcomes];
      }
    }
    expect(await new StrictFlow().run()).toEqual([
      [true, true, true],
      ['1', '2', 'second'],
    ]);
    expect((await onlyExecution()).steps.map((step) => step.status)).toEqual(['success', 'success', 'error']);
  });
});

describe('option results that are not text', () => {
  const nullPrototype = Object.assign(Object.create(null) as object, { tenant: 'acme' });
  const hostile = {
    toString: () => {
      throw new Error('no text for you');
    },
  };

  class Labelled {
    constructor(readonly kind: 'function' | 'hostile' | 'nullPrototype') {}

    getLabel(): string {
      return 'label';
    }

    @LoggedNode({
      // The forgotten call parentheses that `any` lets through.
      nodeName: (self: Labelled) => (self.kind === 'function' ? (self.getLabel as unknown as string) : 'fine'),
      nodeId: (self: Labelled) => (self.kind === 'hostile' ? (hostile as unknown as string) : self.kind),
      nodeType: (self: Labelled) => (self.kind === 'nullPrototype' ? (nullPrototype as unknown as string) : 'typed'),
    })
    execute(x: number): number {
      return x * 2;
    }
  }

  class Tenanted {
    @LoggedWorkflow({
      workflowId: (_self, args: [{ tenant: unknown }]) => args[0].tenant as string,
      triggerType: () => Symbol('webhook') as never,
    })
    run(input: { tenant: unknown }, nodes: Labelled[]): number[] {
      return nodes.map((node, i) => node.execute(i));
    }
  }

  test('the workflow returns what it returns, every record is written with a fallback, and each field is reported once', async () => {
    const nodes = [new Labelled('function'), new Labelled('hostile'), new Labelled('nullPrototype'), new Labelled('function')];
    expect(new Tenanted().run({ tenant: nullPrototype }, nodes)).toEqual([0, 2, 4, 6]);
    expect(new Tenanted().run({ tenant: hostile }, nodes.slice(0, 1))).toEqual([0]);
    const executions = await recorded();
    expect(executions.map((e) => [e.workflowId, e.triggerType, e.status])).toEqual([
      ['unknown', 'Symbol(webhook)', 'success'],
      ['unknown', 'Symbol(webhook)', 'success'],
    ]);
    expect(executions[0]!.steps!.map((step) => [step.nodeId, step.nodeType, step.nodeName, step.status, step.outputData])).toEqual([
      ['function', 'typed', null, 'success', 0],
      ['unknown', 'typed', 'fine', 'success', 2],
      ['nullPrototype', 'unknown', 'fine', 'success', 4],
      ['function', 'typed', null, 'success', 6],
    ]);
    const fields = reported.map(({ error }) => String((error as Error).message).split(' ')[0]);
    expect(fields.sort()).toEqual(['nodeId', 'nodeName', 'nodeType', 'workflowId']);
    expect(reported.every(({ context }) => context.operation === 'capture')).toBe(true);
  });
});

describe('what passes through the wrapper untouched', () => {
  class Probe {
    readonly id = 'probe';
    calls: { self: unknown; args: unknown[] }[] = [];

    @LoggedNode()
    execute(...args: unknown[]): unknown {
      this.calls.push({ self: this, args });
      return args[0];
    }
  }

  class ProbeWorkflow {
    readonly id = 'probe-flow';
    selves: unknown[] = [];

    @LoggedWorkflow()
    async run(probe: Probe, payload: object, extra: unknown[]): Promise<unknown> {
      this.selves.push(this);
      await sleep(1);
      return probe.execute(payload, extra);
    }
  }

  test('`this`, the arguments and the return value keep their identity; captured data is not mutated', async () => {
    const probe = new Probe();
    const workflow = new ProbeWorkflow();
    const payload = { user: 'ada', password: 'hunter2', nested: { n: 1 } };
    const extra = [1, 2];
    const result = await workflow.run(probe, payload, extra);

    expect(workflow.selves).toEqual([workflow]);
    expect(workflow.selves[0]).toBe(workflow);
    expect(probe.calls).toHaveLength(1);
    expect(probe.calls[0]!.self).toBe(probe);
    expect(probe.calls[0]!.args).toHaveLength(2);
    expect(probe.calls[0]!.args[0]).toBe(payload);
    expect(probe.calls[0]!.args[1]).toBe(extra);
    expect(result).toBe(payload);
    // Redaction works on a copy.
    expect(payload).toEqual({ user: 'ada', password: 'hunter2', nested: { n: 1 } });

    const step = (await onlyExecution()).steps[0]!;
    expect(step.inputData).toEqual([{ user: 'ada', password: '[REDACTED]', nested: { n: 1 } }, [1, 2]]);
  });

  class Thrower {
    readonly id = 'thrower';

    @LoggedNode()
    execute(thrown: unknown): never {
      throw thrown;
    }
  }

  class Rejecter {
    readonly id = 'rejecter';

    @LoggedNode()
    async execute(thrown: unknown): Promise<never> {
      await sleep(1);
      throw thrown;
    }
  }

  test.each([
    ['an Error', new Error('sync boom'), 'sync boom'],
    ['a non-Error object', { code: 42 }, '{"code":42}'],
    ['a string', 'plain string', 'plain string'],
  ])('a sync throw of %s is rethrown as the same value, and recorded', async (_label, thrown, message) => {
    let caught: unknown = 'nothing thrown';
    try {
      inWorkflow(() => new Thrower().execute(thrown));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(thrown);
    const execution = await onlyExecution();
    expect(execution).toMatchObject({ status: 'error', errorMessage: message });
    expect(execution.steps[0]).toMatchObject({ status: 'error', errorMessage: message });
  });

  test('an async rejection is rethrown as the same error, through node and workflow', async () => {
    const failure = new TypeError('async boom');
    const caught = await inWorkflow(() => new Rejecter().execute(failure)).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(caught).toBe(failure);
    const execution = await onlyExecution();
    expect(execution).toMatchObject({ status: 'error', errorMessage: 'async boom' });
    expect(execution.errorStack).toContain('TypeError: async boom');
    expect(execution.steps[0]).toMatchObject({ status: 'error', errorMessage: 'async boom' });
  });

  test('the wrapper keeps the method name and length', () => {
    let original: unknown;
    const keep = (): MethodDecorator => (_target, _key, descriptor) => {
      original = descriptor.value;
    };
    class Named {
      @LoggedNode()
      @keep()
      execute(a: number, b: number, c = 0): number {
        return a + b + c;
      }

      @LoggedWorkflow()
      async runAll(first: string, second: string): Promise<string> {
        return first + second;
      }
    }
    expect(Named.prototype.execute).not.toBe(original); // really a wrapper
    expect(Named.prototype.execute.name).toBe('execute');
    expect(Named.prototype.execute.length).toBe(2);
    expect(Named.prototype.runAll.name).toBe('runAll');
    expect(Named.prototype.runAll.length).toBe(2);
  });

  test('reflect-metadata set before our decorator is on the wrapper; a decorator after ours can read and add metadata', () => {
    const originals: unknown[] = [];
    const seenAfter: unknown[] = [];
    /** Applied before @LoggedNode (written below it): defines metadata on the original function. */
    const Route =
      (path: string): MethodDecorator =>
      (_target, _key, descriptor) => {
        originals.push(descriptor.value);
        Reflect.defineMetadata('route', path, descriptor.value as object);
      };
    /** Applied after @LoggedNode (written above it): sees the wrapper. */
    const Guard =
      (role: string): MethodDecorator =>
      (_target, _key, descriptor) => {
        seenAfter.push(Reflect.getMetadata('route', descriptor.value as object));
        Reflect.defineMetadata('guard', role, descriptor.value as object);
      };

    class Api {
      readonly id = 'api';

      @Guard('admin')
      @LoggedNode()
      @Route('/x')
      execute(): string {
        return 'node ok';
      }

      @Guard('owner')
      @LoggedWorkflow()
      @Route('/run')
      run(): string {
        return this.execute();
      }
    }

    const node = Api.prototype.execute;
    const workflow = Api.prototype.run;
    expect(originals).toHaveLength(2);
    expect(originals).not.toContain(node);
    expect(originals).not.toContain(workflow);
    expect(Reflect.getMetadata('route', node)).toBe('/x');
    expect(Reflect.getMetadata('route', workflow)).toBe('/run');
    expect(seenAfter).toEqual(['/x', '/run']);
    expect(Reflect.getMetadata('guard', node)).toBe('admin');
    expect(Reflect.getMetadata('guard', workflow)).toBe('owner');
    // And the decorated methods still work.
    expect(new Api().run()).toBe('node ok');
  });
});

describe('misuse', () => {
  test('@LoggedNode / @LoggedWorkflow on a field: a TypeScript error, and a TypeError at class definition', () => {
    expect(() => {
      class Misused {
        // @ts-expect-error TS1240: a method decorator does not type-check on a field
        @LoggedNode()
        handler = () => 1;
      }
      return Misused;
    }).toThrow(/^@LoggedNode decorates methods; handler is not one$/);
    expect(() => {
      class Misused {
        // @ts-expect-error TS1240: a method decorator does not type-check on a field
        @LoggedWorkflow()
        flow = 'x';
      }
      return Misused;
    }).toThrow(TypeError);
  });

  test('on a getter (which TypeScript accepts under experimentalDecorators): a TypeError at class definition', () => {
    let error: unknown;
    try {
      class WithGetter {
        @LoggedNode()
        get value(): number {
          return 1;
        }
      }
      void WithGetter;
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/decorates methods/);
  });
});

describe('when nothing is recorded', () => {
  class EchoNode {
    readonly id = 'echo';

    @LoggedNode()
    async execute(input: { value: number }): Promise<{ echoed: number }> {
      await sleep(1);
      return { echoed: input.value };
    }
  }

  class EchoWorkflow {
    readonly id = 'echo-flow';

    @LoggedWorkflow()
    async run(value: number): Promise<number> {
      const out = await new EchoNode().execute({ value });
      return out.echoed * 2;
    }
  }

  test('@LoggedNode outside any workflow runs unlogged: same result, nothing recorded', async () => {
    const input = { value: 7 };
    await expect(new EchoNode().execute(input)).resolves.toEqual({ echoed: 7 });
    expect(skipNode({ nodeId: 'x', nodeType: 'if' })).toBe('');
    expect(logger.stats().stepsStarted).toBe(0);
    expect(await recorded()).toEqual([]);
    expect(await stepCount()).toBe(0);
  });

  /** Writes are observed at store.writeBatch: the store's own connection, so no writer thread. */
  async function writingThroughStore(): Promise<void> {
    await logger.shutdown();
    await useLogger({ writerThread: false }).ready;
  }

  test('a disabled logger records nothing and never writes (writeBatch is not called)', async () => {
    await writingThroughStore();
    const writes = jest.spyOn(store, 'writeBatch');
    logger.setEnabled(false);
    await expect(new EchoWorkflow().run(4)).resolves.toBe(8);
    await logger.flush();
    expect(await recorded()).toEqual([]);
    expect(await stepCount()).toBe(0);
    expect(writes).not.toHaveBeenCalled();
  });

  test('the same workflow is recorded once the logger is enabled (the disabled test can fail)', async () => {
    await writingThroughStore();
    const writes = jest.spyOn(store, 'writeBatch');
    await expect(new EchoWorkflow().run(4)).resolves.toBe(8);
    const execution = await onlyExecution();
    expect(execution.steps).toHaveLength(1);
    expect(writes).toHaveBeenCalled();
  });

  test('the `logger` option: a given logger is used without a default; one that resolves to null runs unlogged', async () => {
    ExecutionLogger.setDefault(null);
    const own = logger;
    class Explicit {
      readonly id = 'explicit';

      @LoggedWorkflow({ logger: own })
      run(): number {
        return 1;
      }

      @LoggedWorkflow({ logger: () => null })
      runUnlogged(): number {
        return 2;
      }
    }
    expect(new Explicit().runUnlogged()).toBe(2);
    expect(new Explicit().run()).toBe(1);
    const execution = await onlyExecution();
    expect(execution.workflowId).toBe('explicit');
  });
});

// The defaults table of the README's "Instrument your engine": what a decorator records when given no options.
describe('defaults', () => {
  class PlainNode {
    constructor(readonly props: { id?: unknown; type?: unknown; label?: unknown; name?: unknown }) {
      Object.assign(this, props);
    }

    @LoggedNode()
    execute(...args: unknown[]): unknown {
      return { count: args.length };
    }
  }

  test.each([
    [
      'id, type and label',
      { id: 'n1', type: 'http', label: 'Fetch', name: 'ignored' },
      { nodeId: 'n1', nodeType: 'http', nodeName: 'Fetch' },
    ],
    ['name when there is no label', { id: 'n2', type: 'http', name: 'By name' }, { nodeId: 'n2', nodeType: 'http', nodeName: 'By name' }],
    ['the class name when there is no type; no name', { id: 'n3' }, { nodeId: 'n3', nodeType: 'PlainNode', nodeName: null }],
    ['a numeric id as text', { id: 42, type: 't' }, { nodeId: '42', nodeType: 't', nodeName: null }],
  ])('node labels: %s', async (_label, props, expected) => {
    inWorkflow(() => new PlainNode(props).execute('x'));
    expect((await onlyExecution()).steps[0]).toMatchObject(expected);
  });

  test('node input is the single argument, or the argument list; output is the return value', async () => {
    const node = new PlainNode({ id: 'io' });
    inWorkflow(() => {
      node.execute({ only: 1 });
      node.execute('a', 2, { b: 3 });
      node.execute();
    });
    const steps = (await onlyExecution()).steps;
    expect(steps.map((step) => [step.stepIndex, step.inputData, step.outputData])).toEqual([
      [0, { only: 1 }, { count: 1 }],
      [1, ['a', 2, { b: 3 }], { count: 3 }],
      [2, null, { count: 0 }],
    ]);
  });

  class IdentifiedWorkflow {
    readonly id = 'wf-id';
    readonly name = 'Workflow Name';

    @LoggedWorkflow()
    run(_trigger: unknown, _second?: unknown): string {
      return 'done';
    }
  }

  class AnonymousWorkflow {
    @LoggedWorkflow()
    run(): string {
      return 'done';
    }
  }

  test('workflow: id and name from this.id / this.name, trigger type manual, trigger data the first argument', async () => {
    new IdentifiedWorkflow().run({ body: 1 }, 'second');
    expect(await onlyExecution()).toMatchObject({
      workflowId: 'wf-id',
      workflowName: 'Workflow Name',
      triggerType: 'manual',
      triggerData: { body: 1 },
      metadata: null,
      parentExecutionId: null,
    });
  });

  test('workflow: id and name fall back to the class name; no argument, no trigger data', async () => {
    new AnonymousWorkflow().run();
    expect(await onlyExecution()).toMatchObject({ workflowId: 'AnonymousWorkflow', workflowName: 'AnonymousWorkflow', triggerData: null });
  });
});

describe('options', () => {
  class ConfiguredNode {
    constructor(readonly index: number) {}

    @LoggedNode({
      nodeId: (self) => `node-${self.index}`,
      nodeType: 'custom-type',
      nodeName: 'Custom name',
      inputs: (self, args) => ({ first: args[0], by: self.index }),
      outputs: (result, self) => ({ doubled: result * 2, by: self.index }),
    })
    execute(value: number, _ignored: string): number {
      return value + 1;
    }
  }

  class ValueNode {
    @LoggedNode({ nodeId: 'fixed-id', nodeType: (self) => self.kind, nodeName: (self) => self.kind.toUpperCase() })
    execute(): void {}

    readonly kind = 'valued';
  }

  class ConfiguredWorkflow {
    readonly prefix = 'orders';
    readonly tenant = 't-1';

    @LoggedWorkflow({
      workflowId: 'wf-fixed',
      workflowName: (self, args) => `${self.prefix}-${args[0].kind}`,
      triggerType: 'webhook',
      triggerData: (_self, args) => args[1],
      metadata: (self) => ({ tenant: self.tenant }),
    })
    run(order: { kind: string }, request: { path: string }): number {
      new ValueNode().execute();
      return new ConfiguredNode(3).execute(order.kind.length, request.path);
    }

    @LoggedWorkflow({
      workflowId: (self, args) => `${self.prefix}:${String(args[0])}`,
      triggerType: (_self, args) => (args[0] === 'cron' ? 'schedule' : 'test'),
    })
    runByFunction(source: string): string {
      return source;
    }
  }

  test('values and functions for ids, names, trigger, metadata, inputs and outputs', async () => {
    expect(new ConfiguredWorkflow().run({ kind: 'paid' }, { path: '/hook' })).toBe(5);
    const execution = await onlyExecution();
    expect(execution).toMatchObject({
      workflowId: 'wf-fixed',
      workflowName: 'orders-paid',
      triggerType: 'webhook',
      triggerData: { path: '/hook' },
      metadata: { tenant: 't-1' },
      status: 'success',
    });
    expect(
      execution.steps.map(({ nodeId, nodeType, nodeName, inputData, outputData }) => ({
        nodeId,
        nodeType,
        nodeName,
        inputData,
        outputData,
      })),
    ).toEqual([
      { nodeId: 'fixed-id', nodeType: 'valued', nodeName: 'VALUED', inputData: null, outputData: null },
      {
        nodeId: 'node-3',
        nodeType: 'custom-type',
        nodeName: 'Custom name',
        inputData: { first: 4, by: 3 },
        outputData: { doubled: 10, by: 3 },
      },
    ]);
  });

  test('workflowId and triggerType as functions of the instance and arguments', async () => {
    new ConfiguredWorkflow().runByFunction('cron');
    new ConfiguredWorkflow().runByFunction('manual-run');
    const executions = await recorded();
    expect(executions.map((execution) => [execution.workflowId, execution.triggerType]).sort()).toEqual([
      ['orders:cron', 'schedule'],
      ['orders:manual-run', 'test'],
    ]);
  });

  test('an option function that throws does not break the workflow: recorded with a fallback, reported through onError', async () => {
    const idFailure = new Error('workflowId option failed');
    const inputFailure = new Error('inputs option failed');
    const outputFailure = new Error('outputs option failed');
    const nameFailure = new Error('nodeName option failed');
    class FragileNode {
      readonly id = 'fragile';

      @LoggedNode({
        inputs: () => {
          throw inputFailure;
        },
        outputs: () => {
          throw outputFailure;
        },
        nodeName: () => {
          throw nameFailure;
        },
      })
      async execute(x: number): Promise<number> {
        await sleep(1);
        return x * 3;
      }
    }
    class FragileWorkflow {
      @LoggedWorkflow({
        workflowId: () => {
          throw idFailure;
        },
      })
      async run(x: number): Promise<number> {
        return new FragileNode().execute(x);
      }
    }

    await expect(new FragileWorkflow().run(2)).resolves.toBe(6);
    const execution = await onlyExecution();
    expect(execution.status).toBe('success');
    expect(['unknown', 'FragileWorkflow']).toContain(execution.workflowId);
    expect(execution.triggerData).toBe(2);
    expect(execution.steps).toHaveLength(1);
    expect(execution.steps[0]).toMatchObject({ nodeId: 'fragile', status: 'success', inputData: null, outputData: null });
    const reportedErrors = reported.map((report) => report.error);
    for (const failure of [idFailure, inputFailure, outputFailure, nameFailure]) expect(reportedErrors).toContain(failure);
    for (const report of reported.filter((entry) => [idFailure, inputFailure, outputFailure, nameFailure].includes(entry.error as Error))) {
      expect(report.context.operation).toBe('capture');
    }
  });

  test.each([
    ['captureInputs: false', { captureInputs: false }, { triggerData: null, inputData: null, outputData: { sum: 3 } }],
    ['captureOutputs: false', { captureOutputs: false }, { triggerData: { a: 1, b: 2 }, inputData: { a: 1, b: 2 }, outputData: null }],
  ])('%s stores null in those data columns only', async (_label, config, expected) => {
    await logger.shutdown();
    await useLogger(config).ready;
    class SumNode {
      readonly id = 'sum';

      @LoggedNode()
      execute(input: { a: number; b: number }): { sum: number } {
        return { sum: input.a + input.b };
      }
    }
    class SumWorkflow {
      @LoggedWorkflow()
      run(input: { a: number; b: number }): { sum: number } {
        return new SumNode().execute(input);
      }
    }
    expect(new SumWorkflow().run({ a: 1, b: 2 })).toEqual({ sum: 3 });
    const execution = await onlyExecution();
    expect({
      triggerData: execution.triggerData,
      inputData: execution.steps[0]!.inputData,
      outputData: execution.steps[0]!.outputData,
    }).toEqual(expected);
  });
});

describe('what the steps record', () => {
  class StepNode {
    constructor(readonly id: string) {}

    @LoggedNode()
    async execute(value: number): Promise<number> {
      await sleep(1);
      if (value < 0) throw new Error(`negative: ${value}`, { cause: new Error('validation layer', { cause: 'raw input rejected' }) });
      return value;
    }
  }

  test('skipNode inside a workflow records a skipped step in start order and returns its id', async () => {
    const skippedIds: string[] = [];
    class BranchWorkflow {
      readonly id = 'branch';

      @LoggedWorkflow()
      async run(): Promise<void> {
        await new StepNode('before').execute(1);
        skippedIds.push(skipNode({ nodeId: 'else-branch', nodeType: 'if', nodeName: 'Else', reason: 'condition was false' }));
        await new StepNode('after').execute(2);
      }
    }
    await new BranchWorkflow().run();
    const steps = (await onlyExecution()).steps;
    expect(steps.map((step) => [step.stepIndex, step.nodeId, step.status])).toEqual([
      [0, 'before', 'success'],
      [1, 'else-branch', 'skipped'],
      [2, 'after', 'success'],
    ]);
    expect(steps[1]).toMatchObject({
      id: skippedIds[0],
      nodeType: 'if',
      nodeName: 'Else',
      errorMessage: 'condition was false',
      durationMs: 0,
    });
  });

  test('an error cause chain is kept in errorStack ("Caused by:"), on the step and on the execution', async () => {
    class FailingWorkflow {
      readonly id = 'failing';

      @LoggedWorkflow()
      async run(): Promise<number> {
        return new StepNode('validator').execute(-1);
      }
    }
    await expect(new FailingWorkflow().run()).rejects.toThrow('negative: -1');
    const execution = await onlyExecution();
    for (const row of [execution, execution.steps[0]!]) {
      expect(row).toMatchObject({ status: 'error', errorMessage: 'negative: -1' });
      expect(row.errorStack).toMatch(/^Error: negative: -1\n/);
      expect(row.errorStack).toContain('Caused by: Error: validation layer');
      expect(row.errorStack).toContain('Caused by: raw input rejected');
    }
  });

  test('a node error the workflow catches leaves the workflow success and the step error', async () => {
    class RecoveringWorkflow {
      readonly id = 'recovering';

      @LoggedWorkflow()
      async run(): Promise<string> {
        try {
          await new StepNode('risky').execute(-5);
          return 'unreachable';
        } catch (error) {
          await new StepNode('fallback').execute(0);
          return `recovered from ${(error as Error).message}`;
        }
      }
    }
    await expect(new RecoveringWorkflow().run()).resolves.toBe('recovered from negative: -5');
    const execution = await onlyExecution();
    expect(execution).toMatchObject({ status: 'success', errorMessage: null, errorStack: null });
    expect(execution.steps.map((step) => [step.nodeId, step.status, step.errorMessage])).toEqual([
      ['risky', 'error', 'negative: -5'],
      ['fallback', 'success', null],
    ]);
  });
});

// ── The consumer project: compiled with tsc under each decorator setting, then run ───────────

describe.each([
  ['legacy-decorators', 'legacy'],
  ['standard-decorators', 'standard'],
] as const)('consumer project %s', (_setting, key) => {
  test('compiles with tsc without a diagnostic, and its compiled workflow records the run', async () => {
    const compiled = await compiles[key];
    expect(compiled.output).toBe('');
    expect(compiled.exitCode).toBe(0);
    expectConsumerReport(await runFixture(join(compiled.outDir, 'index.js')));
  });
});

test('standard decorators: TypeScript rejects @LoggedNode on a field, and the emitted code throws at class definition', async () => {
  const compiled = await compiles.standardMisuse;
  expect(compiled.exitCode).not.toBe(0);
  expect(compiled.output).toMatch(/misuse\.ts\(6,\d+\): error TS\d+/);
  // tsc still emits; the runtime check is what stops plain-JS callers.
  const run = await execFileAsync(process.execPath, [join(compiled.outDir, 'misuse.js')]).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('TypeError: @LoggedNode decorates methods, not fields');
});
