import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { context, INVALID_SPAN_CONTEXT, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ConfigError,
  ExecutionLogger,
  LoggedNode,
  LoggedWorkflow,
  QueryError,
  skipNode,
  type ExecutionStore,
  type LoggerConfig,
  uuidv7,
  type WorkflowExecution,
} from '../src';
import { resolveLoggerConfig } from '../src/config/LoggerConfig';
import { preProcessFile } from 'typescript';
import { cli } from './support/cli';
import { cliArgs, databaseKinds, tempDir, useStorePerTest } from './support/databases';
import { installWithout, type PartialInstall } from './support/installWithout';

const DIST = join(__dirname, '..', 'dist');

// The real SDK, registered globally as an application does: spans end up in memory, one by one.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let tracer: Tracer;

beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  tracer = trace.getTracer('otel.test');
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

afterEach(() => exporter.reset());

/** A node that fails on `fail`, and runs a child workflow on `child`. */
class Charge {
  readonly id = 'charge';
  readonly type = 'payment';

  @LoggedNode()
  async execute(input: { amount: number; fail?: boolean; child?: boolean }): Promise<{ charged: number }> {
    await new Promise((resolve) => setImmediate(resolve));
    // Thrown with a credential the history masks: neither the row nor the span may carry it.
    if (input.fail) throw new Error('card declined by postgres://shop:hunter2@db.internal/pay');
    if (input.child) await new Refund().run({ amount: input.amount });
    return { charged: input.amount };
  }
}

class Notify {
  readonly id = 'notify';
  readonly type = 'email';

  @LoggedNode()
  async execute(input: { to: string }): Promise<string> {
    // A span of the user's own, inside the node: it nests under the node's span.
    return tracer.startActiveSpan('smtp send', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      span.end();
      return `sent to ${input.to}`;
    });
  }
}

class RefundStep {
  readonly id = 'refund-step';
  readonly type = 'payment';

  @LoggedNode()
  async execute(amount: number): Promise<number> {
    return -amount;
  }
}

class Refund {
  readonly id = 'refund';

  @LoggedWorkflow()
  async run(trigger: { amount: number }): Promise<number> {
    return new RefundStep().execute(trigger.amount);
  }
}

class Checkout {
  readonly id = 'checkout';
  readonly name = 'Checkout';

  @LoggedWorkflow()
  async run(trigger: { amount: number; fail?: boolean; child?: boolean; to?: string }): Promise<string> {
    await new Charge().execute(trigger);
    return new Notify().execute({ to: trigger.to ?? 'a@example.com' });
  }
}

class Skipping {
  readonly id = 'skipping';

  @LoggedWorkflow()
  async run(_trigger: object): Promise<void> {
    skipNode({ nodeId: 'refund', nodeType: 'payment', reason: 'nothing to refund' });
    await new Charge().execute({ amount: 1 });
  }
}

const byId = (spans: readonly ReadableSpan[]) => new Map(spans.map((span) => [span.spanContext().spanId, span]));
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('otel settings', () => {
  const resolve = (otel: unknown, env: NodeJS.ProcessEnv = {}) => resolveLoggerConfig({ configFile: false, otel } as LoggerConfig, env);

  test.each([
    [{ spans: 'yes' }, 'otel.spans', 'yes'],
    [{ spans: 1 }, 'otel.spans', 1],
    [{ tracer: {} }, 'otel.tracer', {}],
    [{ sampler: 'always' }, 'otel.sampler', 'always'],
  ])('%p throws ConfigError naming %s', (otel, field, value) => {
    const error = (() => {
      try {
        resolve(otel);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe(field);
    expect(error.value).toEqual(value);
  });

  test('otel.spans: the file, then code, then FLOWTRAIL_OTEL_SPANS; tracer only in code', () => {
    const folder = tempDir('flowtrail-otel-config-');
    try {
      const file = join(folder, 'flowtrail.config.json');
      writeFileSync(file, JSON.stringify({ otel: { spans: true } }));
      expect(resolveLoggerConfig({ configFile: file }, {}).otel).toEqual({ spans: true });
      expect(resolveLoggerConfig({ configFile: file, otel: { tracer } }, {}).otel).toEqual({ spans: true, tracer });
      expect(resolveLoggerConfig({ configFile: file, otel: { spans: false } }, {}).otel).toEqual({ spans: false });
      expect(resolveLoggerConfig({ configFile: file, otel: { spans: false } }, { FLOWTRAIL_OTEL_SPANS: 'yes' }).otel).toEqual({
        spans: true,
      });
      writeFileSync(file, JSON.stringify({ otel: { tracer: 'global' } }));
      expect(() => resolveLoggerConfig({ configFile: file }, {})).toThrow(expect.objectContaining({ field: `${file}: otel.tracer` }));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('spans default to off; FLOWTRAIL_OTEL_SPANS turns them on over code, and a bad value names the variable', () => {
    expect(resolve(undefined).otel).toEqual({ spans: false });
    expect(resolve({ spans: false }, { FLOWTRAIL_OTEL_SPANS: 'on' }).otel.spans).toBe(true);
    expect(resolve({ spans: true, tracer }, { FLOWTRAIL_OTEL_SPANS: 'false' }).otel).toEqual({ spans: false, tracer });
    expect(() => resolve({}, { FLOWTRAIL_OTEL_SPANS: 'maybe' })).toThrow(expect.objectContaining({ field: 'FLOWTRAIL_OTEL_SPANS' }));
  });
});

describe.each(databaseKinds)('OpenTelemetry on %s', (kind) => {
  const current = useStorePerTest(kind);
  let spoolDir: string;
  const loggers: ExecutionLogger[] = [];

  beforeEach(() => {
    spoolDir = tempDir('flowtrail-otel-spool-');
  });

  afterEach(async () => {
    for (const logger of loggers.splice(0)) await logger.shutdown();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  async function startLogger(config: LoggerConfig = {}): Promise<ExecutionLogger> {
    const logger = new ExecutionLogger(current.store, {
      configFile: false,
      spoolDir,
      flushIntervalMs: 5,
      onError: () => undefined,
      ...config,
    });
    loggers.push(logger);
    ExecutionLogger.setDefault(logger);
    await logger.ready;
    return logger;
  }

  async function recorded(store: ExecutionStore, workflowId: string): Promise<WorkflowExecution[]> {
    const page = await store.listExecutions({ workflowId, limit: 1000 });
    return Promise.all(page.items.map(async (item) => (await store.getExecution(item.id, { steps: true }))!));
  }

  test('a span active as a run starts: its ids go on the execution and its steps; spans off adds no span', async () => {
    const logger = await startLogger();
    let outer!: { traceId: string; spanId: string };
    await tracer.startActiveSpan('POST /checkout', async (span) => {
      outer = span.spanContext();
      await new Checkout().run({ amount: 5 });
      span.end();
    });
    expect(await logger.flush()).toBe(true);
    const [execution] = await recorded(current.store, 'checkout');
    expect(execution).toMatchObject({ traceId: outer.traceId, spanId: outer.spanId });
    expect(execution!.steps!.map((step) => [step.traceId, step.spanId])).toEqual([
      [outer.traceId, outer.spanId],
      [outer.traceId, outer.spanId],
    ]);
    // Only the user's spans: flowtrail starts none unless asked.
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['smtp send', 'POST /checkout']);
  });

  test('no active span and spans off: the ids are null', async () => {
    const logger = await startLogger();
    await new Checkout().run({ amount: 5 });
    expect(await logger.flush()).toBe(true);
    const [execution] = await recorded(current.store, 'checkout');
    expect(execution).toMatchObject({ traceId: null, spanId: null });
    expect(execution!.steps!.map((step) => [step.traceId, step.spanId])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  test('spans on: one span per execution and per step, nested as they ran (a child workflow under its step), ids on the rows', async () => {
    const logger = await startLogger({ otel: { spans: true } });
    let root!: { traceId: string; spanId: string };
    await tracer.startActiveSpan('POST /checkout', async (span) => {
      root = span.spanContext();
      await new Checkout().run({ amount: 7, child: true, to: 'b@example.com' });
      span.end();
    });
    expect(await logger.flush()).toBe(true);
    const spans = exporter.getFinishedSpans();
    const spansById = byId(spans);
    const [checkout] = await recorded(current.store, 'checkout');
    const [refund] = await recorded(current.store, 'refund');
    const [charge, notify] = checkout!.steps!;
    const [refundStep] = refund!.steps!;

    // Every row names its own span, all in the request's trace.
    for (const row of [checkout!, charge!, notify!, refund!, refundStep!]) {
      expect(row.traceId).toBe(root.traceId);
      expect(spansById.has(row.spanId!)).toBe(true);
    }
    const span = (row: { spanId: string | null }) => spansById.get(row.spanId!)!;
    expect(parentOf(span(checkout!))).toBe(root.spanId);
    expect(parentOf(span(charge!))).toBe(checkout!.spanId);
    expect(parentOf(span(notify!))).toBe(checkout!.spanId);
    expect(parentOf(span(refund!))).toBe(charge!.spanId);
    expect(parentOf(span(refundStep!))).toBe(refund!.spanId);
    expect(parentOf(spans.find((s) => s.name === 'smtp send')!)).toBe(notify!.spanId);
    expect(refund).toMatchObject({ parentExecutionId: checkout!.id, parentStepId: charge!.id });

    expect(span(checkout!).name).toBe('workflow checkout');
    expect(span(checkout!).attributes).toEqual({
      'flowtrail.execution.id': checkout!.id,
      'flowtrail.workflow.id': 'checkout',
      'flowtrail.workflow.name': 'Checkout',
      'flowtrail.trigger.type': 'manual',
      'flowtrail.execution.status': 'success',
    });
    expect(span(charge!).name).toBe('payment charge');
    expect(span(charge!).attributes).toEqual({
      'flowtrail.execution.id': checkout!.id,
      'flowtrail.step.id': charge!.id,
      'flowtrail.step.index': 0,
      'flowtrail.node.id': 'charge',
      'flowtrail.node.type': 'payment',
      'flowtrail.step.status': 'success',
    });
    expect(span(checkout!).status.code).toBe(SpanStatusCode.UNSET);
    expect(spans).toHaveLength(7); // two executions, three steps, the user's two
  });

  test('spans on: a failing step and its execution end in error with the stored (masked) message, never the secret', async () => {
    const logger = await startLogger({ otel: { spans: true } });
    await expect(new Checkout().run({ amount: 1, fail: true })).rejects.toThrow('hunter2');
    expect(await logger.flush()).toBe(true);
    const [checkout] = await recorded(current.store, 'checkout');
    const [charge] = checkout!.steps!;
    expect(charge!.errorMessage).not.toContain('hunter2');
    const spansById = byId(exporter.getFinishedSpans());
    for (const row of [checkout!, charge!]) {
      const span = spansById.get(row.spanId!)!;
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: row.errorMessage });
      expect(span.attributes['error.type']).toBe('Error');
      const [event] = span.events;
      expect(event!.name).toBe('exception');
      expect(event!.attributes!['exception.message']).toBe(row.errorMessage);
      expect(JSON.stringify([span.name, span.attributes, span.status, span.events])).not.toContain('hunter2');
    }
    expect(spansById.get(checkout!.spanId!)!.attributes['flowtrail.execution.status']).toBe('error');
  });

  test('spans on: concurrent runs keep their own trees', async () => {
    const logger = await startLogger({ otel: { spans: true } });
    const runs = 25;
    await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        // Half under a request span of their own, half as roots.
        i % 2 === 0
          ? tracer.startActiveSpan(`request ${i}`, (span) =>
              new Checkout().run({ amount: i, child: i % 3 === 0 }).finally(() => span.end()),
            )
          : new Checkout().run({ amount: i, child: i % 3 === 0 }),
      ),
    );
    expect(await logger.flush()).toBe(true);
    const spansById = byId(exporter.getFinishedSpans());
    const executions = [...(await recorded(current.store, 'checkout')), ...(await recorded(current.store, 'refund'))];
    expect(executions).toHaveLength(runs + Math.ceil(runs / 3));
    const traces = new Set<string>();
    for (const execution of executions) {
      const span = spansById.get(execution.spanId!)!;
      expect(span.attributes['flowtrail.execution.id']).toBe(execution.id);
      if (execution.parentStepId === null) {
        expect(traces.has(execution.traceId!)).toBe(false); // one trace per top-level run
        traces.add(execution.traceId!);
      } else {
        expect(parentOf(span)).toBe(executions.flatMap((e) => e.steps!).find((s) => s.id === execution.parentStepId)!.spanId);
      }
      for (const step of execution.steps!) {
        const stepSpan = spansById.get(step.spanId!)!;
        expect(step.traceId).toBe(execution.traceId);
        expect(parentOf(stepSpan)).toBe(execution.spanId);
        expect(stepSpan.attributes['flowtrail.step.id']).toBe(step.id);
      }
    }
  });

  test('spans on, imperative API: steps are children of their execution, not of whatever span the caller has', async () => {
    const logger = await startLogger({ otel: { spans: true } });
    const executionId = await logger.startExecution({ workflowId: 'imperative', workflowName: 'Imperative' });
    const stepId = await tracer.startActiveSpan('elsewhere', async (span) => {
      const id = await logger.startNode({ executionId, nodeId: 'n1', nodeType: 'http' });
      span.end();
      return id;
    });
    await logger.completeNode(stepId, false, undefined, new Error('boom'));
    await logger.completeExecution(executionId, false, new Error('boom'));
    expect(await logger.flush()).toBe(true);
    const execution = (await current.store.getExecution(executionId, { steps: true }))!;
    const spansById = byId(exporter.getFinishedSpans());
    expect(parentOf(spansById.get(execution.steps![0]!.spanId!)!)).toBe(execution.spanId);
    expect(spansById.get(execution.spanId!)!.status.code).toBe(SpanStatusCode.ERROR);
  });

  test('spans on: a reused step (a re-run, or reuseNode of an engine of its own) ends its span at once; what it is given is captured like any data, never thrown', async () => {
    const errors: unknown[] = [];
    const logger = await startLogger({ otel: { spans: true }, onError: (error) => errors.push(error) });
    const executionId = await logger.startExecution({ workflowId: 'reusing', workflowName: 'Reusing' });
    const cyclic: Record<string, unknown> = { big: 12n, auth: { password: 'hunter2' } };
    cyclic.self = cyclic;
    const reusedId = logger.reuseNode({
      executionId,
      nodeId: 'fetch',
      nodeType: 'http',
      reusedFromStepId: uuidv7(),
      inputData: { url: 'x' },
      outputData: cyclic,
    });
    expect(reusedId).not.toBe('');
    await logger.completeExecution(executionId, true);
    expect(await logger.flush()).toBe(true);
    const execution = (await current.store.getExecution(executionId, { steps: true }))!;
    const [step] = execution.steps!;
    expect(step).toMatchObject({
      id: reusedId,
      status: 'reused',
      outputData: { big: '12n', auth: { password: '[REDACTED]' }, self: '[Circular]' },
    });
    const span = byId(exporter.getFinishedSpans()).get(step!.spanId!)!;
    expect(span.attributes['flowtrail.step.status']).toBe('reused');
    expect(parentOf(span)).toBe(execution.spanId);
    expect(JSON.stringify(execution)).not.toContain('hunter2');

    // A tracer of the user's whose spans throw when asked for their ids: reported, the run goes on.
    const odd = {
      startSpan: () => ({
        spanContext: () => {
          throw new Error('no context');
        },
        setAttribute: () => undefined,
        setStatus: () => undefined,
        recordException: () => undefined,
        end: () => undefined,
      }),
    };
    const other = await startLogger({ otel: { spans: true, tracer: odd as unknown as Tracer }, onError: (error) => errors.push(error) });
    await new Skipping().run({});
    expect(await other.flush()).toBe(true);
    const [skipping] = await recorded(current.store, 'skipping');
    expect(skipping).toMatchObject({ status: 'success', traceId: null, spanId: null });
    expect(errors.map((error) => (error as Error).message)).toContain('no context');
  });

  test('spans on: a skipped step gets a span at once; strict durability nests the same; a throwing tracer is reported, never thrown', async () => {
    const errors: unknown[] = [];
    const logger = await startLogger({ otel: { spans: true }, durability: 'strict', onError: (error) => errors.push(error) });
    await new Skipping().run({});
    expect(await logger.flush()).toBe(true);
    const [run] = await recorded(current.store, 'skipping');
    const spansById = byId(exporter.getFinishedSpans());
    const [skipped, charge] = run!.steps!;
    expect(skipped!.status).toBe('skipped');
    expect(spansById.get(skipped!.spanId!)!.attributes['flowtrail.step.status']).toBe('skipped');
    expect(parentOf(spansById.get(skipped!.spanId!)!)).toBe(run!.spanId);
    expect(parentOf(spansById.get(charge!.spanId!)!)).toBe(run!.spanId);
    expect(errors).toEqual([]);

    const broken = {
      startSpan: () => {
        throw new Error('tracer down');
      },
    };
    const other = await startLogger({ otel: { spans: true, tracer: broken }, onError: (error) => errors.push(error) });
    await tracer.startActiveSpan('request', async (span) => {
      expect(await new Checkout().run({ amount: 2 })).toBe('sent to a@example.com');
      span.end();
    });
    expect(await other.flush()).toBe(true);
    const [checkout] = await recorded(current.store, 'checkout');
    // No span of its own: the row keeps the ids of the span that was active.
    expect(checkout!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(errors.map((error) => (error as Error).message)).toContain('tracer down');

    // A tracer whose spans have no valid ids (zeros): the rows store none rather than zeros.
    const invalid = { startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT) };
    const third = await startLogger({ otel: { spans: true, tracer: invalid } });
    await new Skipping().run({});
    expect(await third.flush()).toBe(true);
    const [again] = await recorded(current.store, 'skipping');
    expect([again!.traceId, ...again!.steps!.map((step) => step.spanId)]).toEqual([null, null, null]);
  });

  test('listExecutions({ traceId }) finds the runs of one trace; a malformed id is a QueryError naming traceId', async () => {
    const logger = await startLogger();
    const traceIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      await tracer.startActiveSpan(`request ${i}`, async (span) => {
        traceIds.push(span.spanContext().traceId);
        await new Checkout().run({ amount: i });
        await new Checkout().run({ amount: i + 10 });
        span.end();
      });
    }
    await new Checkout().run({ amount: 99 });
    expect(await logger.flush()).toBe(true);
    const found = await current.store.listExecutions({ traceId: traceIds[1]! });
    expect(found.items.map((item) => item.triggerData)).toEqual([{ amount: 11 }, { amount: 1 }]);
    expect((await current.store.listExecutions({ traceId: '0'.repeat(31) + '1' })).items).toEqual([]);
    for (const bad of ['ABC', traceIds[0]!.toUpperCase(), `${traceIds[0]!}0`, 42]) {
      await expect(current.store.listExecutions({ traceId: bad as string })).rejects.toThrow(QueryError);
      await expect(current.store.listExecutions({ traceId: bad as string })).rejects.toMatchObject({ field: 'traceId' });
    }

    // The CLI: list --trace, and show prints the ids.
    const args = cliArgs(current.db);
    const listed = await cli(['list', '--trace', traceIds[2]!.toUpperCase(), '--json', ...args]);
    expect(listed.stderr).toBe('');
    const ids = (JSON.parse(listed.stdout) as { items: { id: string }[] }).items.map((item) => item.id);
    expect(ids).toEqual((await current.store.listExecutions({ traceId: traceIds[2]! })).items.map((item) => item.id));
    expect(ids).toHaveLength(2);
    const shown = await cli(['show', ids[0]!, ...args]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`Trace\\s+${traceIds[2]!} \\(span [0-9a-f]{16}\\)`));
    const bad = await cli(['list', '--trace', 'nope', ...args]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--trace nope');
  });

  test('show lists each step span when steps have their own', async () => {
    const logger = await startLogger({ otel: { spans: true } });
    await new Checkout().run({ amount: 3 });
    expect(await logger.flush()).toBe(true);
    const [checkout] = await recorded(current.store, 'checkout');
    const shown = await cli(['show', checkout!.id, ...cliArgs(current.db)]);
    expect(shown.stdout).toContain('SPAN');
    for (const step of checkout!.steps!) expect(shown.stdout).toContain(step.spanId!);
  });
});

describe('without @opentelemetry/api', () => {
  const program = readFileSync(join(__dirname, 'support', 'otelUserProgram.js'), 'utf8');
  const installs: PartialInstall[] = [];
  afterAll(() => installs.forEach((install) => install.remove()));

  async function run(mode: 'absent' | 'present'): Promise<unknown> {
    // A real project whose node_modules lacks the whole @opentelemetry scope (or has it): no loader patched.
    const install = installWithout(mode === 'absent' ? ['@opentelemetry'] : []);
    installs.push(install);
    const result = await install.run(program, { OTEL_MODE: mode, HISTORY_FILE: join(install.dir, 'history.sqlite') });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  }

  test('not installed: runs are recorded (writer thread on) with null ids, and spans: true is a ConfigError naming otel.spans', async () => {
    expect(await run('absent')).toEqual({
      status: 'success',
      traceId: null,
      steps: [{ traceId: null, spanId: null }],
      spansError: { name: 'ConfigError', field: 'otel.spans' },
      loaded: false,
    });
  });

  test('installed but no context manager registered: nothing of it is loaded', async () => {
    expect(await run('present')).toMatchObject({ status: 'success', traceId: null, loaded: false });
  });

  test("the package's declarations reachable from its entry points import nothing of @opentelemetry", () => {
    const seen = new Set<string>();
    const foreign: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { fileName } of preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.')) {
          const target = resolvePath(dirname(file), fileName);
          visit(existsSync(`${target}.d.ts`) ? `${target}.d.ts` : join(target, 'index.d.ts'));
        } else if (fileName.startsWith('@opentelemetry')) foreign.push(`${relative(DIST, file)}: ${fileName}`);
      }
    };
    visit(join(DIST, 'index.d.ts'));
    visit(join(DIST, 'nestjs', 'index.d.ts'));
    expect(seen.size).toBeGreaterThan(20);
    expect(foreign).toEqual([]);
  });
});
