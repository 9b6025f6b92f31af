import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import {
  currentExecution,
  ExecutionLogger,
  ExecutionStep,
  LoggedNode,
  LoggedWorkflow,
  skipNode,
  WorkflowExecution,
  type ErrorContext,
  type ExecutionStore,
  type LoggedNodeOptions,
  type LoggedWorkflowOptions,
  type LoggerConfig,
  type LoggerStats,
} from '../src';
import { databaseKinds, isSqlite, makeDatabase, pgUrl, tempDir, type DatabaseKind, type TestDatabase } from './support/databases';
import { holdWriteLock, terminateSessions } from './support/dbFaults';
import {
  filesWithContents,
  hostileProxy,
  LazyQuery,
  makeThrown,
  makeValue,
  SECRET,
  secretData,
  secretsIn,
  textOf,
  throwingToString,
  THROW_KINDS,
  VALUE_KINDS,
  type ThrowKind,
  type ValueKind,
} from './support/hostile';
import { sleep } from './support/sleep';
import { until } from './support/until';

/**
 * Adversarial runs (#11): a randomized mix of concurrent workflows of random shapes, hostile
 * decorator options, hostile values and thrown things, batched or strict durability, shutdown()
 * at a random moment, and the database locked or gone for a random window, with real parts (a
 * second SQLite connection holding the write lock, PostgreSQL sessions terminated, the store's
 * connection closed). After each run, and after a new logger on the same database and spool has
 * replayed what the first one left:
 *
 * - every workflow and node call gave back exactly what its method returned or threw (the same
 *   object), so nothing was thrown into it by flowtrail;
 * - every execution recorded is in the database, final, with its status and its steps — or, with
 *   no spool, the loss is counted in `dropped`/`rejected` and reported;
 * - no secret of a fixed list is in the database, the spool, an `onError` report or anything
 *   printed.
 *
 * fast-check prints the seed and path of a failing run; FLOWTRAIL_ADVERSARIAL_SEED=<seed> with
 * FLOWTRAIL_ADVERSARIAL_PATH=<path> replays its scenario (timings are real, so the interleaving may
 * differ), FLOWTRAIL_ADVERSARIAL_RUNS=<n> runs more.
 */

const RUNS = Number(process.env.FLOWTRAIL_ADVERSARIAL_RUNS ?? 15);
const SEED = process.env.FLOWTRAIL_ADVERSARIAL_SEED === undefined ? undefined : Number(process.env.FLOWTRAIL_ADVERSARIAL_SEED);
const PATH = process.env.FLOWTRAIL_ADVERSARIAL_PATH;

// ── Scenarios ────────────────────────────────────────────────────────────────────────────────────

type Result = { returns: ValueKind | 'thenable' } | { throws: ThrowKind };

interface NodePlan {
  /** Which hostile option set decorates the node (an index into NODE_CLASSES). */
  cls: number;
  /** sync: a plain method; async: an `async` method; subclass: a plain method returning a Promise subclass. */
  style: 'sync' | 'async' | 'subclass';
  waitMs: number;
  input: ValueKind;
  result: Result;
}

type StepPlan = { node: NodePlan } | { parallel: NodePlan[] } | { skip: true } | { child: WorkflowPlan; via: NodePlan };

interface WorkflowPlan {
  cls: number;
  /** async: an `async` method; promise: a plain method returning a promise; sync: a plain method returning a value. */
  style: 'async' | 'promise' | 'sync';
  startMs: number;
  trigger: ValueKind;
  steps: StepPlan[];
  result: { returns: ValueKind } | { throws: ThrowKind };
}

type FaultKind = 'none' | 'lock' | 'gone';

interface Scenario {
  durability: 'batched' | 'strict';
  spool: boolean;
  writerThread: boolean;
  /** Failures go to an onError collector, or (false) to the one process warning. */
  onError: boolean;
  maxQueueSize: number;
  maxBatchSize: number;
  flushIntervalMs: number;
  shutdownGraceMs: number;
  shutdownTimeoutMs: number;
  busyTimeoutMs: number;
  shutdownAtMs: number;
  shutdownTwice: boolean;
  fault: { kind: FaultKind; atMs: number; forMs: number };
  workflows: WorkflowPlan[];
}

/** Longer than any scenario's workflow runs: shutdown() must wait for every execution it finds running. */
const LONG_GRACE_MS = 10_000;

const valueKind = fc.constantFrom(...VALUE_KINDS);
const throwKind = fc.constantFrom(...THROW_KINDS);
const workflowResult = fc.oneof(
  { weight: 3, arbitrary: valueKind.map((kind) => ({ returns: kind })) },
  { weight: 2, arbitrary: throwKind.map((kind) => ({ throws: kind })) },
);

const nodePlan: fc.Arbitrary<NodePlan> = fc
  .record({
    cls: fc.nat({ max: 4 }),
    style: fc.constantFrom('sync', 'async', 'subclass'),
    waitMs: fc.integer({ min: 0, max: 40 }),
    input: valueKind,
    result: workflowResult,
    thenable: fc.boolean(),
  })
  .map(({ thenable, ...plan }): NodePlan => {
    // A sync method may return a thenable (a query builder): flowtrail must hand back that very object.
    if (thenable && plan.style === 'sync' && 'returns' in plan.result) return { ...plan, result: { returns: 'thenable' } };
    return plan;
  });

/** Only sync nodes and skips: what a sync workflow can run. */
function syncOnly(steps: StepPlan[]): StepPlan[] {
  const sync = (node: NodePlan): NodePlan => ({ ...node, style: 'sync' });
  return steps.map((step) => {
    if ('node' in step) return { node: sync(step.node) };
    if ('parallel' in step) return { parallel: step.parallel.map(sync) };
    if ('child' in step) return { node: sync(step.via) };
    return step;
  });
}

function workflowPlan(depth: number): fc.Arbitrary<WorkflowPlan> {
  const steps: fc.WeightedArbitrary<StepPlan>[] = [
    { weight: 5, arbitrary: nodePlan.map((node) => ({ node })) },
    { weight: 2, arbitrary: fc.array(nodePlan, { minLength: 2, maxLength: 4 }).map((parallel) => ({ parallel })) },
    { weight: 1, arbitrary: fc.constant({ skip: true as const }) },
  ];
  if (depth > 0) steps.push({ weight: 1, arbitrary: fc.record({ child: workflowPlan(depth - 1), via: nodePlan }) });
  return fc
    .record({
      cls: fc.nat({ max: 2 }),
      style: fc.constantFrom('async', 'promise', 'sync'),
      startMs: fc.integer({ min: 0, max: 60 }),
      trigger: valueKind,
      steps: fc.array(fc.oneof(...steps), { maxLength: 5 }),
      result: workflowResult,
    })
    .map((plan): WorkflowPlan => (plan.style === 'sync' ? { ...plan, steps: syncOnly(plan.steps) } : plan));
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  durability: fc.constantFrom('batched', 'strict'),
  spool: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  writerThread: fc.boolean(),
  onError: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  maxQueueSize: fc.integer({ min: 4, max: 60 }),
  maxBatchSize: fc.integer({ min: 1, max: 20 }),
  flushIntervalMs: fc.integer({ min: 1, max: 30 }),
  shutdownGraceMs: fc.constantFrom(0, 20, LONG_GRACE_MS),
  shutdownTimeoutMs: fc.constantFrom(30, 300),
  busyTimeoutMs: fc.constantFrom(10, 100),
  shutdownAtMs: fc.integer({ min: 0, max: 160 }),
  shutdownTwice: fc.boolean(),
  fault: fc.record({
    kind: fc.constantFrom<FaultKind>('none', 'lock', 'gone'),
    atMs: fc.integer({ min: 0, max: 100 }),
    forMs: fc.integer({ min: 5, max: 200 }),
  }),
  workflows: fc.array(workflowPlan(2), { minLength: 1, maxLength: 6 }),
});

// ── What ran: the oracle ─────────────────────────────────────────────────────────────────────────

type Outcome = { returns: unknown } | { throws: unknown };

/** One workflow call as the test saw it. */
interface Observed {
  plan: WorkflowPlan;
  /** The execution the body ran in; null when it ran unrecorded (started after shutdown began). */
  executionId: string | null;
  /** The node (execution and step) a child workflow was called from. */
  parent: { executionId: string; stepId: string | null } | null;
  /** Steps recorded in this execution, by the status they must end with. */
  steps: { success: number; error: number; skipped: number };
  /** What the method's body returned or threw. */
  outcome?: Outcome;
}

interface RunState {
  observed: Observed[];
  violations: string[];
}

/** Errors thrown by the option functions below: onError is handed them as they are (they are the application's). */
const APPLICATION_ERRORS = new WeakSet<object>();

function optionError(option: string): Error {
  const error = new Error(`${option} option failed: cannot reach postgres://svc:${SECRET.optionError}@config-db/app`);
  APPLICATION_ERRORS.add(error);
  return error;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value).slice(0, 60)}`;
  try {
    return value instanceof Error ? `${value.constructor.name}(${value.message.slice(0, 60)})` : `object ${Object.keys(value).join(',')}`;
  } catch {
    return 'a hostile object';
  }
}

/** Why `gave` is not exactly `outcome` (the same value or thrown thing), or null when it is. */
function mismatch(what: string, outcome: Outcome | undefined, gave: Outcome): string | null {
  if (outcome === undefined) return `${what}: the method never finished, yet the call ${describeOutcome(gave)}`;
  const same =
    'returns' in outcome
      ? 'returns' in gave && Object.is(gave.returns, outcome.returns)
      : 'throws' in gave && Object.is(gave.throws, outcome.throws);
  return same ? null : `${what}: the method ${describeOutcome(outcome)} but the call ${describeOutcome(gave)}`;
}

function describeOutcome(outcome: Outcome): string {
  return 'returns' in outcome ? `returned ${kindOf(outcome.returns)}` : `threw ${kindOf(outcome.throws)}`;
}

// ── Nodes: one class per hostile option set, each with a sync, an async and a Promise-subclass method

class SubclassPromise<T> extends Promise<T> {}

let nodeCount = 0;

abstract class NodeBody {
  readonly type = 'adversarial';
  readonly label = 'Adversarial node';
  readonly id = `node-${nodeCount++}`;
  outcome?: Outcome;

  constructor(
    readonly plan: NodePlan,
    readonly obs: Observed,
    readonly run: RunState,
  ) {}

  /** For the option that forgets its call parentheses. */
  labelFn(): string {
    return 'label';
  }

  /** The body: counts the step it runs as, then returns or throws what its plan says. */
  protected act(): unknown {
    const { result } = this.plan;
    this.count(currentExecution(), 'throws' in result ? 'error' : 'success');
    if ('throws' in result) {
      const thrown = makeThrown(result.throws);
      this.outcome = { throws: thrown };
      throw thrown;
    }
    const value = result.returns === 'thenable' ? new LazyQuery() : makeValue(result.returns);
    this.outcome = { returns: value };
    return value;
  }

  protected count(context: ReturnType<typeof currentExecution>, status: 'success' | 'error'): void {
    if (context === undefined) {
      if (this.obs.executionId !== null) this.run.violations.push(`${this.id}: ran outside the execution ${this.obs.executionId}`);
      return;
    }
    if (context.executionId !== this.obs.executionId || context.stepId === null)
      this.run.violations.push(`${this.id}: ran in ${context.executionId}/${context.stepId}, not as a step of ${this.obs.executionId}`);
    this.obs.steps[status]++;
  }

  abstract runSync(input: unknown): unknown;
  abstract runAsync(input: unknown): Promise<unknown>;
  abstract runSubclass(input: unknown): Promise<unknown>;
  abstract runChild(input: unknown, child: WorkflowPlan): Promise<unknown>;

  /** The async bodies: wait, then act; a child node calls a workflow and gives back what it gave. */
  protected later(): Promise<unknown> {
    return sleep(this.plan.waitMs).then(() => this.act());
  }

  protected async callChild(child: WorkflowPlan): Promise<unknown> {
    const context = currentExecution();
    const gave = await callWorkflow(child, this.run, context ?? null);
    this.count(context, 'throws' in gave ? 'error' : 'success');
    this.outcome = gave;
    if ('throws' in gave) throw gave.throws;
    return gave.returns;
  }
}

function nodeClass(options: LoggedNodeOptions): new (plan: NodePlan, obs: Observed, run: RunState) => NodeBody {
  class AdversarialNode extends NodeBody {
    @LoggedNode(options)
    runSync(_input: unknown): unknown {
      return this.act();
    }

    @LoggedNode(options)
    async runAsync(_input: unknown): Promise<unknown> {
      return this.later();
    }

    @LoggedNode(options)
    runSubclass(_input: unknown): Promise<unknown> {
      return SubclassPromise.resolve().then(() => this.later());
    }

    @LoggedNode(options)
    async runChild(_input: unknown, child: WorkflowPlan): Promise<unknown> {
      return this.callChild(child);
    }
  }
  return AdversarialNode;
}

const NODE_CLASSES = [
  // Defaults: this.id, this.type, this.label.
  nodeClass({}),
  // Options that return things with no text: a function (the call forgotten), a null-prototype object, a throwing toString.
  nodeClass({
    nodeId: () => (() => 'forgot the call') as never,
    nodeType: () => Object.create(null) as never,
    nodeName: (self: NodeBody) => self.labelFn as never,
  }),
  // Option functions that throw, with a credential URL in their message.
  nodeClass({
    nodeId: () => {
      throw optionError('nodeId');
    },
    inputs: () => {
      throw optionError('inputs');
    },
    outputs: () => {
      throw optionError('outputs');
    },
  }),
  // Exotic results: a bigint, a symbol, an object with a throwing toString; data with secrets and cycles.
  nodeClass({
    nodeId: () => (10n ** 20n) as never,
    nodeType: () => Symbol('adversarial') as never,
    nodeName: () => throwingToString() as never,
    inputs: (_self: unknown, args: unknown[]) => ({ args, apiKey: SECRET.optionData }),
    outputs: (result: unknown) => ({ result, token: SECRET.optionData, data: secretData() }),
  }),
  // Values, not functions, of the wrong types.
  nodeClass({ nodeId: Object.create(null) as never, nodeType: 7 as never, nodeName: hostileProxy() as never }),
];

async function callNode(plan: NodePlan, obs: Observed, run: RunState, child?: WorkflowPlan): Promise<void> {
  const node = new NODE_CLASSES[plan.cls]!(plan, obs, run);
  let gave: Outcome;
  try {
    if (child !== undefined) gave = { returns: await node.runChild(makeValue(plan.input), child) };
    else if (plan.style === 'sync') return callSyncNode(node, run);
    else {
      const pending = plan.style === 'async' ? node.runAsync(makeValue(plan.input)) : node.runSubclass(makeValue(plan.input));
      const expected = plan.style === 'async' ? Promise : SubclassPromise;
      if (!(pending instanceof expected)) run.violations.push(`${node.id}: a ${plan.style} method did not return a ${expected.name}`);
      gave = { returns: await pending };
    }
  } catch (error) {
    gave = { throws: error };
  }
  const wrong = mismatch(node.id, node.outcome, gave);
  if (wrong !== null) run.violations.push(wrong);
}

function callSyncNode(node: NodeBody, run: RunState): void {
  let gave: Outcome;
  try {
    gave = { returns: node.runSync(makeValue(node.plan.input)) };
  } catch (error) {
    gave = { throws: error };
  }
  const wrong = mismatch(node.id, node.outcome, gave);
  if (wrong !== null) run.violations.push(wrong);
  // By the plan, not `instanceof`: that would ask a hostile Proxy's getPrototypeOf trap.
  const { result } = node.plan;
  if ('returns' in result && result.returns === 'thenable' && (node.outcome as { returns: LazyQuery }).returns.thenCalled)
    run.violations.push(`${node.id}: flowtrail called the then() of a thenable it was given`);
}

const SKIP_REASON = `replica postgres://reader:${SECRET.skipReason}@replica/db is down`;

function skip(obs: Observed, run: RunState): void {
  const stepId = skipNode({ nodeId: 'skipped', nodeType: 'branch', reason: SKIP_REASON });
  if ((stepId !== '') !== (obs.executionId !== null)) run.violations.push(`skipNode gave '${stepId}' in execution ${obs.executionId}`);
  if (stepId !== '') obs.steps.skipped++;
}

// ── Workflows: one class per hostile option set; async, promise-returning and sync methods ──────

/** The logger the workflows record through (their `logger` option): the current run's first logger. */
let activeLogger: ExecutionLogger | null = null;

abstract class WorkflowBody {
  readonly id = 'adversarial-workflow';
  readonly name = 'Adversarial workflow';

  constructor(
    readonly obs: Observed,
    readonly run: RunState,
  ) {}

  abstract runAsync(trigger: unknown, plan: WorkflowPlan): Promise<unknown>;
  abstract runPromise(trigger: unknown, plan: WorkflowPlan): Promise<unknown>;
  abstract runSync(trigger: unknown, plan: WorkflowPlan): unknown;

  protected enter(): void {
    const context = currentExecution();
    this.obs.executionId = context?.executionId ?? null;
    if (context !== undefined && context.stepId !== null) this.run.violations.push(`workflow ${context.executionId} runs inside a step`);
  }

  protected async steps(plan: WorkflowPlan): Promise<unknown> {
    this.enter();
    for (const step of plan.steps) {
      if ('node' in step) await callNode(step.node, this.obs, this.run);
      else if ('parallel' in step) await Promise.all(step.parallel.map((node) => callNode(node, this.obs, this.run)));
      else if ('child' in step) await callNode(step.via, this.obs, this.run, step.child);
      else skip(this.obs, this.run);
    }
    return this.finish(plan);
  }

  protected syncSteps(plan: WorkflowPlan): unknown {
    this.enter();
    for (const step of plan.steps) {
      if ('node' in step) callSyncNode(new NODE_CLASSES[step.node.cls]!(step.node, this.obs, this.run), this.run);
      else if ('parallel' in step)
        for (const node of step.parallel) callSyncNode(new NODE_CLASSES[node.cls]!(node, this.obs, this.run), this.run);
      else skip(this.obs, this.run);
    }
    return this.finish(plan);
  }

  private finish(plan: WorkflowPlan): unknown {
    const { result } = plan;
    if ('throws' in result) {
      const thrown = makeThrown(result.throws);
      this.obs.outcome = { throws: thrown };
      throw thrown;
    }
    const value = makeValue(result.returns);
    this.obs.outcome = { returns: value };
    return value;
  }
}

function workflowClass(hostile: LoggedWorkflowOptions): new (obs: Observed, run: RunState) => WorkflowBody {
  const options: LoggedWorkflowOptions = { logger: () => activeLogger, ...hostile };
  class AdversarialWorkflow extends WorkflowBody {
    @LoggedWorkflow(options)
    async runAsync(_trigger: unknown, plan: WorkflowPlan): Promise<unknown> {
      return this.steps(plan);
    }

    @LoggedWorkflow(options)
    runPromise(_trigger: unknown, plan: WorkflowPlan): Promise<unknown> {
      return this.steps(plan);
    }

    @LoggedWorkflow(options)
    runSync(_trigger: unknown, plan: WorkflowPlan): unknown {
      return this.syncSteps(plan);
    }
  }
  return AdversarialWorkflow;
}

const WORKFLOW_CLASSES = [
  // Defaults: this.id, this.name, 'manual', the trigger as data.
  workflowClass({}),
  // No usable text, trigger data that cannot be read, metadata full of secrets.
  workflowClass({
    workflowId: () => (() => 'forgot the call') as never,
    workflowName: () => Object.create(null) as never,
    triggerType: () => throwingToString() as never,
    triggerData: () => {
      throw optionError('triggerData');
    },
    metadata: () => ({ ...secretData(), cycle: makeValue('cycle') }),
  }),
  // An option function that throws, values of the wrong types, a hostile proxy as trigger data.
  workflowClass({
    workflowId: () => {
      throw optionError('workflowId');
    },
    workflowName: 12n as never,
    triggerType: Symbol('adversarial') as never,
    triggerData: () => hostileProxy(),
    metadata: () => makeValue('huge'),
  }),
];

/** Calls a workflow as its plan says and gives back what the call gave (a value, or what it threw). */
async function callWorkflow(plan: WorkflowPlan, run: RunState, parent: Observed['parent']): Promise<Outcome> {
  const obs: Observed = { plan, executionId: null, parent, steps: { success: 0, error: 0, skipped: 0 } };
  run.observed.push(obs);
  const workflow = new WORKFLOW_CLASSES[plan.cls]!(obs, run);
  const trigger = makeValue(plan.trigger);
  let gave: Outcome;
  try {
    if (plan.style === 'sync') gave = { returns: workflow.runSync(trigger, plan) };
    else {
      const pending = plan.style === 'async' ? workflow.runAsync(trigger, plan) : workflow.runPromise(trigger, plan);
      if (!(pending instanceof Promise)) run.violations.push(`a ${plan.style} workflow did not return a promise`);
      gave = { returns: await pending };
    }
  } catch (error) {
    gave = { throws: error };
  }
  const wrong = mismatch(`workflow ${obs.executionId ?? '(unrecorded)'}`, obs.outcome, gave);
  if (wrong !== null) run.violations.push(wrong);
  return gave;
}

// ── Faults ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Starts the scenario's fault after its delay and ends it after its window: the write lock held by
 * another connection, or the database gone (PostgreSQL: the store's sessions terminated again and
 * again; SQLite: the store's connection closed, then opened again). Resolves once it is over.
 */
async function injectFault(fault: Scenario['fault'], db: TestDatabase, store: ExecutionStore, applicationName: string): Promise<void> {
  if (fault.kind === 'none') return;
  await sleep(fault.atMs);
  if (fault.kind === 'lock') {
    const release = await holdWriteLock(db);
    await sleep(fault.forMs);
    await release();
  } else if (db.kind === 'postgres') {
    for (let elapsed = 0; elapsed < fault.forMs; elapsed += 10) {
      await terminateSessions(applicationName);
      await sleep(10);
    }
  } else {
    await store.dataSource.destroy();
    await sleep(fault.forMs);
    await store.dataSource.initialize();
  }
}

// ── What was printed ─────────────────────────────────────────────────────────────────────────────

/** Collects process warnings (not printed), and what goes to stdout, stderr and the console (still printed). */
function capturePrinted(): { texts: string[]; restore: () => void } {
  const texts: string[] = [];
  const spies: jest.SpyInstance[] = [
    jest.spyOn(process, 'emitWarning').mockImplementation(((...args: unknown[]) => {
      texts.push(args.map(textOf).join(' '));
    }) as never),
  ];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation(((...args: unknown[]) => {
        texts.push(textOf(args[0]));
        return write(...args);
      }) as never),
    );
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    spies.push(
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        texts.push(args.map(textOf).join(' '));
        original(...args);
      }),
    );
  }
  return { texts, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

// ── The history against the oracle ───────────────────────────────────────────────────────────────

const FINAL = new Set(['success', 'error', 'skipped']);

/**
 * Compares the database with what ran. `problems` are never allowed (a wrong status, a row for an
 * execution that was not recorded, a broken link); `losses` count rows missing or left unfinished,
 * which only records counted as dropped or rejected may explain.
 */
function compareHistory(
  observed: Observed[],
  executions: WorkflowExecution[],
  steps: ExecutionStep[],
): { problems: string[]; losses: string[]; recorded: number } {
  const problems: string[] = [];
  const losses: string[] = [];
  const byId = new Map(executions.map((row) => [row.id, row]));
  const stepsOf = new Map<string, ExecutionStep[]>();
  for (const step of steps) stepsOf.set(step.executionId, [...(stepsOf.get(step.executionId) ?? []), step]);
  const recorded = observed.filter((obs) => obs.executionId !== null);
  const recordedIds = new Set(recorded.map((obs) => obs.executionId));
  for (const row of executions)
    if (!recordedIds.has(row.id)) problems.push(`execution ${row.id} is in the database but was never recorded`);

  for (const obs of recorded) {
    const id = obs.executionId!;
    const expectedSteps = obs.steps.success + obs.steps.error + obs.steps.skipped;
    const row = byId.get(id);
    if (row === undefined) {
      losses.push(`execution ${id} missing, with its ${expectedSteps} steps`);
      for (let i = 0; i < expectedSteps; i++) losses.push(`a step of ${id}`);
      continue;
    }
    const status = obs.outcome !== undefined && 'throws' in obs.outcome ? 'error' : 'success';
    if (row.status === 'success' || row.status === 'error') {
      if (row.status !== status) problems.push(`execution ${id} is ${row.status}, its workflow ended ${status}`);
    } else losses.push(`execution ${id} is ${row.status}`);
    const { parent } = obs;
    if (row.parentExecutionId !== (parent?.executionId ?? null) || row.parentStepId !== (parent?.stepId ?? null))
      problems.push(
        `execution ${id} has parent ${row.parentExecutionId}/${row.parentStepId}, not ${parent?.executionId}/${parent?.stepId}`,
      );

    const rows = stepsOf.get(id) ?? [];
    const indexes = new Set(rows.map((step) => step.stepIndex));
    if (indexes.size !== rows.length) problems.push(`execution ${id} has step indexes used twice`);
    if (rows.length > expectedSteps) problems.push(`execution ${id} has ${rows.length} steps, ${expectedSteps} ran`);
    for (const kind of ['success', 'error', 'skipped'] as const) {
      const found = rows.filter((step) => step.status === kind).length;
      if (found > obs.steps[kind]) problems.push(`execution ${id} has ${found} ${kind} steps, ${obs.steps[kind]} ended so`);
    }
    for (const step of rows) if (!FINAL.has(step.status)) losses.push(`step ${step.id} of ${id} is ${step.status}`);
    for (let i = rows.length; i < expectedSteps; i++) losses.push(`a step of ${id} is missing`);
  }
  return { problems, losses, recorded: recorded.length };
}

/** Every row of the run's tables as text: what a secret must not be found in. */
async function dumpDatabase(store: ExecutionStore, db: TestDatabase): Promise<string> {
  if (db.kind === 'postgres') {
    const schema = (db.options as { schema: string }).schema;
    const tables = (await store.dataSource.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema])) as {
      table_name: string;
    }[];
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const rows = (await store.dataSource.query(`SELECT row_to_json(t)::text AS row FROM "${schema}"."${table_name}" t`)) as {
        row: string;
      }[];
      parts.push(...rows.map((row) => row.row));
    }
    return parts.join('\n');
  }
  return ''; // SQLite: its files are read as bytes by the caller
}

function leaks(where: string, text: string): string[] {
  return secretsIn(text).map((name) => `secret ${name} found in ${where}`);
}

interface Tally {
  runs: number;
  workflows: number;
  recorded: number;
  unrecorded: number;
  faults: Record<FaultKind, number>;
  spooled: number;
  /** Runs in which the next logger replayed records the first one left in the spool. */
  replayedByNext: number;
  dropped: number;
  losses: number;
  redactedSeen: number;
  maskedSeen: number;
}

// ── One run ──────────────────────────────────────────────────────────────────────────────────────

async function runScenario(kind: DatabaseKind, s: Scenario, tally: Tally): Promise<void> {
  const db = makeDatabase(kind);
  const spoolDir = s.spool ? tempDir('flowtrail-adversarial-spool-') : false;
  const applicationName = 'schema' in db.options ? db.options.schema : 'sqlite';
  // Marks this run's PostgreSQL sessions, so that only they are terminated.
  const storeOptions = kind === 'postgres' ? { url: `${pgUrl}?application_name=${applicationName}` } : { busyTimeoutMs: s.busyTimeoutMs };
  const run: RunState = { observed: [], violations: [] };
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const nextReports: { error: unknown; context: ErrorContext }[] = [];
  const findings: string[] = [];
  let printed: ReturnType<typeof capturePrinted> | null = null;
  let store: ExecutionStore | null = null;
  let nextStore: ExecutionStore | null = null;
  try {
    store = await db.open(storeOptions);
    printed = capturePrinted();
    const config: LoggerConfig = {
      configFile: false,
      durability: s.durability,
      spoolDir,
      // The SQLite connection closed under the logger is the store's own: the thread's would not see it.
      writerThread: s.writerThread && !(isSqlite(kind) && s.fault.kind === 'gone'),
      maxQueueSize: s.maxQueueSize,
      maxBatchSize: s.maxBatchSize,
      flushIntervalMs: s.flushIntervalMs,
      retryDelayMs: 5,
      maxRetryDelayMs: 40,
      shutdownGraceMs: s.shutdownGraceMs,
      shutdownTimeoutMs: s.shutdownTimeoutMs,
      onError: s.onError ? (error, context) => reports.push({ error, context }) : undefined,
    };
    const logger = new ExecutionLogger(store, config);
    activeLogger = logger;
    await logger.ready;

    // Awaited after the workflows; a failure to inject is kept until then, not left unhandled.
    const fault = injectFault(s.fault, db, store, applicationName).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    const stopping = sleep(s.shutdownAtMs).then(async () => {
      const first = logger.shutdown();
      if (s.shutdownTwice) await Promise.all([first, sleep(1).then(() => logger.shutdown())]);
      await first;
      // Within its grace period, shutdown() waits for the executions being recorded: their bodies are done.
      const running = run.observed.filter((obs) => obs.executionId !== null && obs.outcome === undefined).length;
      if (running > 0 && s.shutdownGraceMs === LONG_GRACE_MS)
        run.violations.push(`shutdown() resolved while ${running} recorded executions were still running`);
    });
    await Promise.all(s.workflows.map((plan) => sleep(plan.startMs).then(() => callWorkflow(plan, run, null))));
    await stopping;
    const failedFault = await fault;
    if (failedFault !== null) throw failedFault.error;
    activeLogger = null;
    const stats: LoggerStats = logger.stats();
    await store.close();
    store = null;

    // Every call gave back what its method gave; the logger counted what the bodies saw.
    findings.push(...run.violations);
    const recorded = run.observed.filter((obs) => obs.executionId !== null);
    const stepsRan = recorded.reduce((sum, obs) => sum + obs.steps.success + obs.steps.error + obs.steps.skipped, 0);
    if (stats.executionsStarted !== recorded.length)
      findings.push(`stats().executionsStarted is ${stats.executionsStarted}, ${recorded.length} executions were recorded`);
    if (stats.stepsStarted !== stepsRan) findings.push(`stats().stepsStarted is ${stats.stepsStarted}, ${stepsRan} steps were recorded`);
    if (spoolDir !== false) for (const file of filesWithContents(spoolDir)) findings.push(...leaks(`spool file ${file.path}`, file.text));

    // A new logger on the same database and spool writes what the first one left, then shuts down.
    nextStore = await db.open(storeOptions);
    const next = new ExecutionLogger(nextStore, { ...config, onError: (error, context) => nextReports.push({ error, context }) });
    await next.ready;
    if (spoolDir !== false)
      await until(() => filesWithContents(spoolDir).every((file) => !file.path.endsWith('.jsonl')), 'the spool to be replayed');
    await next.shutdown();
    const nextStats = next.stats();
    if (nextStats.dropped + nextStats.rejected > 0)
      findings.push(`the replay dropped ${nextStats.dropped} and rejected ${nextStats.rejected}`);

    const executions = await nextStore.dataSource.getRepository(WorkflowExecution).find();
    const steps = await nextStore.dataSource.getRepository(ExecutionStep).find();
    const history = compareHistory(run.observed, executions, steps);
    findings.push(...history.problems);
    const accounted = stats.dropped + stats.rejected;
    if (spoolDir !== false) {
      // With a spool nothing may be lost: what the database could not take was kept and replayed.
      findings.push(...history.losses);
      if (accounted > 0) findings.push(`with a spool, ${stats.dropped} records were dropped and ${stats.rejected} rejected`);
    } else {
      if (history.losses.length > accounted)
        findings.push(
          `${history.losses.length} rows lost, only ${accounted} records counted as dropped or rejected: ${history.losses.join('; ')}`,
        );
      const told = s.onError
        ? reports.some((report) => ['drop', 'shutdown', 'spool', 'reject'].includes(report.context.operation))
        : printed.texts.some((text) => text.includes('flowtrail:'));
      if (accounted > 0 && !told) findings.push(`${accounted} records dropped or rejected, and nobody was told`);
    }

    // No secret anywhere: database, spool, reports, warnings, output. SQLite: the bytes of every file
    // beside the database, while it is open (its -wal) and once it is closed.
    const databaseFiles = () =>
      isSqlite(kind)
        ? filesWithContents(dirname((db.options as { database: string }).database))
            .map((file) => file.text)
            .join('\n')
        : '';
    const open = (await dumpDatabase(nextStore, db)) + databaseFiles();
    await nextStore.close();
    nextStore = null;
    const stored = `${open}\n${databaseFiles()}`;
    findings.push(...leaks('the database', stored));
    if (spoolDir !== false) for (const file of filesWithContents(spoolDir)) findings.push(...leaks(`spool file ${file.path}`, file.text));
    for (const { error, context } of [...reports, ...nextReports]) {
      // An option function's own error is handed to onError as it is: it is the application's.
      const own = typeof error === 'object' && error !== null && APPLICATION_ERRORS.has(error);
      if (!own) findings.push(...leaks(`an onError report (${context.operation})`, textOf(error)));
      findings.push(...leaks('an onError context', textOf(context)));
    }
    printed.restore();
    for (const text of printed.texts) findings.push(...leaks(`printed output: ${text.slice(0, 200)}`, text));

    tally.runs++;
    tally.workflows += run.observed.length;
    tally.recorded += history.recorded;
    tally.unrecorded += run.observed.length - history.recorded;
    tally.faults[s.fault.kind]++;
    tally.spooled += stats.spooled;
    if (nextStats.replayed > 0) tally.replayedByNext++;
    tally.dropped += stats.dropped;
    tally.losses += history.losses.length;
    tally.redactedSeen += stored.split('[REDACTED]').length - 1;
    tally.maskedSeen += stored.split('***@').length - 1;
  } finally {
    printed?.restore();
    activeLogger = null;
    await store?.close().catch(() => undefined);
    await nextStore?.close().catch(() => undefined);
    await db.drop();
    if (spoolDir !== false) rmSync(spoolDir, { recursive: true, force: true });
  }
  expect(findings).toEqual([]);
}

// MySQL/MariaDB is not here yet: its "gone" fault (the store's sessions ended mid-run, as terminateSessions
// does on PostgreSQL by application_name) is not written; its write lock is (holdWriteLock).
describe.each(databaseKinds.filter((kind) => kind !== 'mysql'))('adversarial runs on %s', (kind) => {
  test(`${RUNS} random scenarios: workflows get their own results, nothing recorded is lost unaccounted, no secret leaks`, async () => {
    const tally: Tally = {
      runs: 0,
      workflows: 0,
      recorded: 0,
      unrecorded: 0,
      faults: { none: 0, lock: 0, gone: 0 },
      spooled: 0,
      replayedByNext: 0,
      dropped: 0,
      losses: 0,
      redactedSeen: 0,
      maskedSeen: 0,
    };
    await fc.assert(
      fc.asyncProperty(scenario, (s) => runScenario(kind, s, tally)),
      // Timings are real, so shrinking would chase a different interleaving each time: report the first
      // failure. The per-run timeout is a safety limit, so that a run that hangs is reported with its seed.
      { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: true, timeout: 60_000 },
    );
    console.log(`ADVERSARIAL ${kind}: ${JSON.stringify(tally)}`);
    // The runs did what they are for: secrets reached capture and came out redacted or masked.
    expect(tally.recorded).toBeGreaterThan(0);
    expect(tally.redactedSeen).toBeGreaterThan(0);
    expect(tally.maskedSeen).toBeGreaterThan(0);
  }, 240_000);
});
