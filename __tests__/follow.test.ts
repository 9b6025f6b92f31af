import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ExecutionStep, QueryError, WorkflowExecution, type ExecutionStore, type FollowEvent, type FollowOptions } from '../src';
import { databaseKinds, makeDatabase, useStorePerTest, type TestDatabase } from './support/databases';
import { until } from './support/until';

/** Follows in the background, collecting events, until `stop()`. */
function collect(store: ExecutionStore, options: FollowOptions = {}) {
  const controller = new AbortController();
  const events: FollowEvent[] = [];
  const done = (async () => {
    for await (const event of store.follow({ pollIntervalMs: 10, ...options, signal: controller.signal })) events.push(event);
  })();
  return {
    events,
    /** `type change id status` per event. */
    lines: () => events.map(line),
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

function line(event: FollowEvent): string {
  const row = event.type === 'execution' ? event.execution : event.step;
  return `${event.type} ${event.change} ${row.id} ${row.status}`;
}

/**
 * A UUIDv7 of this millisecond, as another process would make it: `uuidv7()` never goes back in
 * time within one process (its ids only increase), so an id older than one already made is built here.
 */
function idAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  const random = randomBytes(8).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${random.slice(0, 3)}-8${random.slice(3, 6)}-${random.slice(6, 16)}${hex.slice(0, 2)}`;
}

function execution(overrides: Partial<WorkflowExecution> & { startedAt?: number } = {}) {
  const startedAt = overrides.startedAt ?? Date.now();
  return {
    id: idAt(startedAt),
    workflowId: 'wf',
    workflowName: 'wf',
    triggerType: 'test' as const,
    status: 'running' as const,
    startedAt,
    ...overrides,
  };
}

function step(executionId: string, stepIndex: number, overrides: Partial<ExecutionStep> = {}) {
  const startedAt = overrides.startedAt ?? Date.now();
  return {
    id: idAt(startedAt),
    executionId,
    nodeId: `n${stepIndex}`,
    nodeType: 't',
    stepIndex,
    startedAt,
    status: 'running' as const,
    ...overrides,
  };
}

function childTarget(db: TestDatabase): [string, string] {
  const target = 'database' in db.options ? db.options.database : db.options.url;
  return [target, 'schema' in db.options ? db.options.schema : '-'];
}

function runChild(script: string, args: readonly string[], db: TestDatabase, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'support', script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...db.describe },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const each of text.split('\n').filter(Boolean)) onLine?.(each);
    });
    child.once('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code ?? signal}`))));
  });
}

describe.each(databaseKinds)('store.follow on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('reports a new execution, its steps, and their changes, each once, causes first', async () => {
    const store = current.store;
    const follower = collect(store);
    const run = execution();
    const first = step(run.id, 0);
    await store.writeBatch({ executions: [run], steps: [first] });
    await until(() => follower.events.length === 2, 'the execution and its first step');
    const second = step(run.id, 1, { status: 'success', completedAt: Date.now(), durationMs: 0 });
    await store.writeBatch({
      steps: [second],
      stepUpdates: [{ id: first.id, patch: { status: 'success', completedAt: Date.now(), durationMs: 1 } }],
    });
    await store.updateExecution(run.id, { status: 'error', completedAt: Date.now(), durationMs: 2, errorMessage: 'no' });
    await until(() => follower.events.length >= 5, 'the changes');
    // A few more polls: nothing more may come.
    const polls = follower.events.length;
    await store.createExecution(execution({ workflowId: 'marker', status: 'success' }));
    await until(() => follower.events.length > polls, 'the marker');
    await follower.stop();
    expect(follower.lines()).toEqual([
      `execution new ${run.id} running`,
      `step new ${first.id} running`,
      `step new ${second.id} success`,
      `step updated ${first.id} success`,
      `execution updated ${run.id} error`,
      expect.stringMatching(/^execution new .* success$/),
    ]);
    const changed = follower.events[4] as Extract<FollowEvent, { type: 'execution' }>;
    // Rows as the entities read them: camelCase, numbers, the whole row.
    expect(changed.execution).toMatchObject({ id: run.id, workflowId: 'wf', errorMessage: 'no', durationMs: 2, startedAt: run.startedAt });
  });

  test('a row committed after a newer one was seen is reported once; one older than the window is not', async () => {
    const store = current.store;
    const follower = collect(store, { lookBackMs: 2000, since: Date.now() - 60_000 });
    const now = Date.now();
    const newer = execution({ startedAt: now, status: 'success' });
    await store.writeBatch({ executions: [newer] });
    await until(() => follower.events.length === 1, 'the newer execution');
    // Made 1 s before the newer one (as by a client whose batch was slow), committed after it was seen.
    const late = execution({ startedAt: now - 1000 });
    const lateStep = step(late.id, 0, { startedAt: now - 999 });
    await store.writeBatch({ executions: [late], steps: [lateStep] });
    await until(() => follower.events.length === 3, 'the late execution and its step');
    await store.updateExecution(late.id, { status: 'success', completedAt: Date.now() });
    await until(() => follower.events.length === 4, "the late execution's change");
    // Older than the window's last second, which is all that most polls count: its new step makes
    // the follower count the whole window, so the execution still comes first.
    const older = execution({ startedAt: now - 1500, status: 'success' });
    const olderStep = step(older.id, 0, { startedAt: Date.now(), status: 'success' });
    await store.writeBatch({ executions: [older], steps: [olderStep] });
    await until(() => follower.events.length === 6, 'the older execution and its step');
    // Older than the look-back window (2 s before the newest id): past what the follower re-checks.
    const tooLate = execution({ startedAt: now - 30_000, status: 'success' });
    await store.writeBatch({ executions: [tooLate] });
    const marker = execution({ status: 'success' });
    await store.writeBatch({ executions: [marker] });
    await until(() => follower.lines().some((text) => text.includes(marker.id)), 'the marker');
    await follower.stop();
    expect(follower.lines()).toEqual([
      `execution new ${newer.id} success`,
      `execution new ${late.id} running`,
      `step new ${lateStep.id} running`,
      `execution updated ${late.id} success`,
      `execution new ${older.id} success`,
      `step new ${olderStep.id} success`,
      `execution new ${marker.id} success`,
    ]);
  });

  test('since: rows started before it are not reported; since 0 replays the history first, in id order', async () => {
    const store = current.store;
    const old = [
      execution({ startedAt: Date.now() - 3_600_000, status: 'success' }),
      execution({ startedAt: Date.now() - 60_000, status: 'error' }),
    ];
    await store.writeBatch({ executions: old });
    const fromNow = collect(store);
    const fromZero = collect(store, { since: 0 });
    const fresh = execution({ status: 'success' });
    await store.writeBatch({ executions: [fresh] });
    await until(() => fromNow.events.length === 1 && fromZero.events.length === 3, 'the fresh execution in both');
    await fromNow.stop();
    await fromZero.stop();
    expect(fromNow.lines()).toEqual([`execution new ${fresh.id} success`]);
    expect(fromZero.lines()).toEqual([...old, fresh].map((row) => `execution new ${row.id} ${row.status}`));
  });

  test('workflowId and status filters: other workflows and other statuses are not reported, their changes neither', async () => {
    const store = current.store;
    const onlyOrders = collect(store, { workflowId: 'orders' });
    const onlyErrors = collect(store, { status: 'error' });
    const orders = execution({ workflowId: 'orders' });
    const other = execution({ workflowId: 'other' });
    // A workflow id that needs quoting, and NUL, must be a bound value on every database.
    const hostile = execution({ workflowId: "orders' OR '1'='1\u0000" });
    const orderStep = step(orders.id, 0);
    const otherStep = step(other.id, 0, { status: 'error', errorMessage: 'boom' });
    await store.writeBatch({ executions: [orders, other, hostile], steps: [orderStep, otherStep, step(hostile.id, 0)] });
    // Seen running first, so that their changes are changes.
    await until(() => onlyOrders.events.length === 2 && onlyErrors.events.length === 1, 'the new rows');
    await store.writeBatch({
      stepUpdates: [{ id: orderStep.id, patch: { status: 'error' } }],
      executionUpdates: [
        { id: orders.id, patch: { status: 'success' } },
        { id: other.id, patch: { status: 'error' } },
      ],
    });
    await until(() => onlyOrders.events.length === 4 && onlyErrors.events.length === 3, 'the filtered events');
    const marker = execution({ workflowId: 'orders', status: 'error' });
    await store.writeBatch({ executions: [marker] });
    await until(() => onlyOrders.events.length === 5 && onlyErrors.events.length === 4, 'the marker');
    await onlyOrders.stop();
    await onlyErrors.stop();
    expect(onlyOrders.lines()).toEqual([
      `execution new ${orders.id} running`,
      `step new ${orderStep.id} running`,
      `step updated ${orderStep.id} error`,
      `execution updated ${orders.id} success`,
      `execution new ${marker.id} error`,
    ]);
    expect(new Set(onlyErrors.lines())).toEqual(
      new Set([
        `step new ${otherStep.id} error`,
        `step updated ${orderStep.id} error`,
        `execution updated ${other.id} error`,
        `execution new ${marker.id} error`,
      ]),
    );
  });

  test('several writer processes: every row reported new exactly once, every change of a row seen running exactly once', async () => {
    const store = current.store;
    const start = Date.now();
    const follower = collect(store, { since: start, pollIntervalMs: 20 });
    const [target, schema] = childTarget(current.db);
    // Three processes of direct batches (a quarter of them committed late), one of the logger's decorators.
    await Promise.all([
      runChild('followWriter.js', [target, schema, '60'], current.db),
      runChild('followWriter.js', [target, schema, '60'], current.db),
      runChild('followWriter.js', [target, schema, '60'], current.db),
      runChild('multiWorker.js', [target, schema, '60'], current.db),
    ]);
    const executions = await store.dataSource.getRepository(WorkflowExecution).find();
    const steps = await store.dataSource.getRepository(ExecutionStep).find();
    expect([executions.length, steps.length]).toEqual([240, 540]);
    const finalOf = new Map([...executions, ...steps].map((row) => [row.id, row.status]));
    const lastSeen = () => {
      const last = new Map<string, string>();
      for (const event of follower.events) {
        const row = event.type === 'execution' ? event.execution : event.step;
        last.set(row.id, row.status);
      }
      return last;
    };
    await until(() => {
      const last = lastSeen();
      return [...finalOf].every(([id, status]) => last.get(id) === status);
    }, 'every row in its final state');
    const marker = execution({ status: 'success' });
    await store.writeBatch({ executions: [marker] });
    await until(() => lastSeen().has(marker.id), 'the marker');
    await follower.stop();
    finalOf.set(marker.id, 'success');

    const byRow = new Map<string, FollowEvent[]>();
    for (const event of follower.events) {
      const id = event.type === 'execution' ? event.execution.id : event.step.id;
      byRow.set(id, [...(byRow.get(id) ?? []), event]);
    }
    expect(new Set(byRow.keys())).toEqual(new Set(finalOf.keys()));
    const wrong: string[] = [];
    let changes = 0;
    for (const [id, events] of byRow) {
      const shape = events.map(line);
      const [first, ...rest] = events;
      const firstStatus = first?.type === 'execution' ? first.execution.status : first?.step.status;
      const ok =
        first?.change === 'new' &&
        (firstStatus === 'running'
          ? rest.length === 1 && rest[0]?.change === 'updated' && line(rest[0]).endsWith(` ${finalOf.get(id)}`)
          : rest.length === 0 && firstStatus === finalOf.get(id));
      if (!ok) wrong.push(shape.join(' | '));
      changes += rest.length;
    }
    expect(wrong).toEqual([]);
    // The writers leave time between insert and completion: the follower saw many rows running.
    expect(changes).toBeGreaterThan(0);
    // Causes first: no step is reported before its execution, no execution's end before its steps' ends.
    const reported = new Set<string>();
    for (const event of follower.events) {
      if (event.type === 'step' && event.change === 'new') expect(reported.has(event.step.executionId)).toBe(true);
      reported.add(event.type === 'execution' ? event.execution.id : event.step.id);
    }
  });

  test('ends when the store closes under it', async () => {
    const follower = collect(current.store);
    await current.store.writeBatch({ executions: [execution()] });
    await until(() => follower.events.length === 1, 'the execution');
    await current.store.close();
    await follower.stop();
    expect(follower.events).toHaveLength(1);
  });

  test.each(['abort', 'break'])('%s ends it in another process, which then exits by itself with nothing left open', async (how) => {
    await current.store.writeBatch({ executions: [execution({ startedAt: 1_000 }), execution({ startedAt: 2_000 })] });
    const output = await runChild('followChild.js', [...childTarget(current.db), how], current.db);
    const result = JSON.parse(output.split('\n').filter(Boolean).pop() as string) as { seen: number; resources: string[] };
    expect(result.seen).toBe(how === 'break' ? 1 : 2);
    // Its own stdio only: no timer, no socket, no database handle.
    expect(result.resources.filter((name) => !/^(TTYWrap|PipeWrap|FSReqCallback|FSReqPromise)$/.test(name))).toEqual([]);
  });
});

describe('store.follow options', () => {
  let db: TestDatabase;
  let store: ExecutionStore;
  beforeAll(async () => {
    db = makeDatabase('sqlite');
    store = await db.open();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  test.each([
    [null, 'options'],
    ['since', 'options'],
    [[], 'options'],
    [{ since: -1 }, 'since'],
    [{ since: Number.NaN }, 'since'],
    [{ since: '2025-01-01' }, 'since'],
    [{ since: 1.5 }, 'since'],
    [{ workflowId: 42 }, 'workflowId'],
    [{ workflowId: { toString: () => 'x' } }, 'workflowId'],
    [{ status: 'done' }, 'status'],
    [{ status: "error' OR 1=1" }, 'status'],
    [{ signal: { aborted: false } }, 'signal'],
    [{ pollIntervalMs: 0 }, 'pollIntervalMs'],
    [{ pollIntervalMs: Infinity }, 'pollIntervalMs'],
    [{ pollIntervalMs: '100' }, 'pollIntervalMs'],
    [{ lookBackMs: -5 }, 'lookBackMs'],
    [{ lookBackMs: 1e12 }, 'lookBackMs'],
  ])('%p is a QueryError naming %s, thrown at the call', (options, field) => {
    let error: unknown;
    try {
      store.follow(options as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).field).toBe(field);
    expect((error as Error).message).toContain(field);
  });

  test('an already aborted signal reads nothing and ends at once', async () => {
    const events: FollowEvent[] = [];
    for await (const event of store.follow({ since: 0, signal: AbortSignal.abort() })) events.push(event);
    expect(events).toEqual([]);
  });
});
