import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uuidv7, type ExecutionStore } from '../src';
import { ErrorReporter, type ErrorContext } from '../src/logger/ErrorReporter';
import { InstanceLifecycle, type InstanceLifecycleSettings } from '../src/logger/InstanceLifecycle';
import type { InstanceRegistry } from '../src/store/ports';
import { databaseKinds, sqliteDatabase, useStorePerTest } from './support/databases';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a condition; throws (failing the test) if it never holds. Asserts nothing about time. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await sleep(5);
  }
  throw new Error(`never happened: ${what}`);
}

const settings = (overrides: Partial<InstanceLifecycleSettings> = {}): InstanceLifecycleSettings => ({
  heartbeatIntervalMs: 20,
  leaseMs: 30_000,
  recoverOnStart: true,
  ...overrides,
});

describe.each(databaseKinds)('InstanceLifecycle on %s', (kind) => {
  const current = useStorePerTest(kind);
  let reports: { operation: string; message: string }[];
  let reporter: ErrorReporter;
  const lifecycles: InstanceLifecycle[] = [];

  beforeEach(() => {
    reports = [];
    reporter = new ErrorReporter((error: unknown, context: ErrorContext) =>
      reports.push({ operation: context.operation, message: error instanceof Error ? error.message : String(error) }),
    );
  });

  afterEach(() => {
    for (const lifecycle of lifecycles.splice(0)) lifecycle.stopHeartbeat();
  });

  function lifecycle(registry: InstanceRegistry, overrides: Partial<InstanceLifecycleSettings> = {}, id = uuidv7()): InstanceLifecycle {
    const made = new InstanceLifecycle(registry, id, settings(overrides), reporter);
    lifecycles.push(made);
    return made;
  }

  const instance = async (id: string) => (await current.store.listInstances()).find((row) => row.id === id);

  async function runningExecution(store: ExecutionStore, instanceId: string, startedAt: number): Promise<string> {
    const id = uuidv7(startedAt);
    await store.writeBatch({
      executions: [{ id, workflowId: 'w', workflowName: 'W', triggerType: 'manual', status: 'running', startedAt, instanceId }],
    });
    return id;
  }

  test('start registers the instance and beats on the timer; once stopped, no beat follows', async () => {
    const id = uuidv7();
    const life = lifecycle(current.store.instances, { recoverOnStart: false }, id);
    await life.start();
    const registered = await instance(id);
    expect(registered).toMatchObject({ hostname: hostname(), pid: process.pid, stoppedAt: null });
    await until(async () => Number((await instance(id))?.heartbeatAt) > Number(registered?.heartbeatAt), 'a timer beat');
    life.stopHeartbeat();
    await life.markStopped();
    const stopped = await instance(id);
    expect(stopped?.stoppedAt).not.toBeNull();
    await sleep(100);
    expect(await instance(id)).toEqual(stopped);
    expect(reports).toEqual([]);
  });

  test('start-up recovery interrupts what dead instances left past the lease, never this instance’s own rows', async () => {
    // Fault injection: the first heartbeat fails, so this instance is not in the registry either.
    const registry: InstanceRegistry = {
      ...current.store.instances,
      heartbeat: () => Promise.reject(new Error('connection reset (injected)')),
    };
    const id = uuidv7();
    const now = Date.now();
    const own = await runningExecution(current.store, id, now - 3_600_000);
    const pastLease = await runningExecution(current.store, uuidv7(), now - 120_000); // instances the database never saw
    const withinLease = await runningExecution(current.store, uuidv7(), now - 45_000);
    await lifecycle(registry, { leaseMs: 60_000 }, id).start();
    expect((await current.store.getExecution(own))?.status).toBe('running');
    expect((await current.store.getExecution(pastLease))?.status).toBe('interrupted');
    expect((await current.store.getExecution(withinLease))?.status).toBe('running');
    expect(reports.map((report) => report.operation)).toEqual(['heartbeat']);
  });

  test('without recoverOnStart nothing is recovered at start', async () => {
    const ghost = await runningExecution(current.store, uuidv7(), Date.now() - 3_600_000);
    await lifecycle(current.store.instances, { recoverOnStart: false }).start();
    expect((await current.store.getExecution(ghost))?.status).toBe('running');
  });

  test('a heartbeat that keeps failing is one report per outage, however many beats fail', async () => {
    // Fault injection: the real registry, with a heartbeat that fails while `down`.
    let down = true;
    let attempts = 0;
    const registry: InstanceRegistry = {
      ...current.store.instances,
      heartbeat: (info, now) => {
        attempts++;
        return down ? Promise.reject(new Error('connection refused (injected)')) : current.store.instances.heartbeat(info, now);
      },
    };
    const id = uuidv7();
    await lifecycle(registry, { recoverOnStart: false }, id).start();
    await until(() => attempts >= 5, 'five failed beats');
    expect(reports).toEqual([{ operation: 'heartbeat', message: 'connection refused (injected)' }]);
    down = false;
    await until(async () => (await instance(id)) !== undefined, 'a beat after the outage');
    down = true;
    const before = attempts;
    await until(() => attempts >= before + 3, 'three more failed beats');
    expect(reports.map((report) => report.operation)).toEqual(['heartbeat', 'heartbeat']);
    expect(reporter.reported).toBe(2);
  });

  test('a slow heartbeat: beats do not pile up, and one in flight when the instance is marked stopped does not revive it', async () => {
    // Fault injection: a slow network, which delays each beat before it reaches the database.
    let slow = false;
    let inFlight = 0;
    let mostInFlight = 0;
    const registry: InstanceRegistry = {
      ...current.store.instances,
      heartbeat: async (info, now) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          if (slow) await sleep(150);
          return await current.store.instances.heartbeat(info, now);
        } finally {
          inFlight--;
        }
      },
    };
    const id = uuidv7();
    const life = lifecycle(registry, { recoverOnStart: false }, id);
    await life.start();
    slow = true;
    await until(() => inFlight > 0, 'a slow timer beat in flight');
    await sleep(100); // five intervals: beats that did not wait for each other would overlap here
    life.stopHeartbeat();
    await life.markStopped();
    await sleep(300); // a beat left behind would land here
    expect((await instance(id))?.stoppedAt).not.toBeNull();
    expect(mostInFlight).toBe(1);
  });

  test('retiring a dead logger whose spool was replayed: its instance is stopped and its running rows interrupted at once', async () => {
    const dead = { id: uuidv7(), hostname: hostname(), pid: 999_999, startedAt: Date.now() - 1000 };
    // Recent rows of an instance the database never saw: the lease alone would not recover them yet.
    const left = await runningExecution(current.store, dead.id, Date.now());
    await lifecycle(current.store.instances).retire(dead);
    expect((await instance(dead.id))?.stoppedAt).not.toBeNull();
    expect((await current.store.getExecution(left))?.status).toBe('interrupted');
  });

  test('retiring without recoverOnStart stops the instance and leaves its rows to recoverInterrupted()', async () => {
    const dead = { id: uuidv7(), hostname: hostname(), pid: 999_999, startedAt: Date.now() - 1000 };
    const left = await runningExecution(current.store, dead.id, Date.now());
    const life = lifecycle(current.store.instances, { recoverOnStart: false });
    await life.retire(dead);
    expect((await instance(dead.id))?.stoppedAt).not.toBeNull();
    expect((await current.store.getExecution(left))?.status).toBe('running');
    expect(await life.recover()).toEqual({ executions: 1, steps: 0 });
    expect((await current.store.getExecution(left))?.status).toBe('interrupted');
  });

  test('a failure to retire is reported as recovery, never thrown', async () => {
    // Fault injection: a registry that cannot retire.
    const registry: InstanceRegistry = { ...current.store.instances, retire: () => Promise.reject(new Error('read-only (injected)')) };
    await expect(lifecycle(registry).retire({ id: uuidv7(), hostname: hostname(), pid: 1, startedAt: 0 })).resolves.toBeUndefined();
    expect(reports).toEqual([{ operation: 'recovery', message: 'read-only (injected)' }]);
  });
});

test('the heartbeat timer does not keep a finished program alive', async () => {
  // The built package (globalSetup builds it), as an application would run it.
  const db = sqliteDatabase();
  const dist = join(__dirname, '..', 'dist');
  const script = `
    const { ExecutionStore } = require(${JSON.stringify(dist)});
    const { InstanceLifecycle } = require(${JSON.stringify(join(dist, 'logger', 'InstanceLifecycle'))});
    const { ErrorReporter } = require(${JSON.stringify(join(dist, 'logger', 'ErrorReporter'))});
    (async () => {
      const store = await ExecutionStore.open(${JSON.stringify(db.options)});
      const settings = { heartbeatIntervalMs: 50, leaseMs: 1000, recoverOnStart: false };
      await new InstanceLifecycle(store.instances, 'idle-instance', settings, new ErrorReporter(undefined)).start();
      process.stdout.write('started');
      // No stopHeartbeat(), no store.close(): the program simply ends.
    })();`;
  try {
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(stdout).toBe('started');
  } finally {
    await db.drop();
  }
});
