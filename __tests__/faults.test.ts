import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow, type ErrorContext, type LoggerStats } from '../src';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from './support/privatePostgres';
import { until } from './support/until';

// Database faults with real parts: a PostgreSQL server of our own stopped and started again, a
// full tmpfs under a SQLite file, a file system that turns read-only under an open SQLite
// database, and a folder made read-only to the unprivileged user that owns it. Each test prints
// one `FAULT …` line; the README's Reliability table is made of those lines.

/** The spool's counters, once the writer has them; 0 before. */
function spoolCounters(stats: LoggerStats): { spooled: number; replayed: number } {
  const loose = stats as unknown as { spooled?: number; replayed?: number };
  return { spooled: loose.spooled ?? 0, replayed: loose.replayed ?? 0 };
}

interface Report {
  operation: string;
  message: string;
}

function collector(): { reports: Report[]; onError: (error: unknown, context: ErrorContext) => void } {
  const reports: Report[] = [];
  return {
    reports,
    onError: (error, context) =>
      reports.push({ operation: context.operation, message: error instanceof Error ? error.message : String(error) }),
  };
}

const writeReports = (reports: Report[]) => reports.filter((report) => report.operation === 'write');

/** A 3-step workflow (one node, then two in parallel) that resolves to 2n + 4. */
function faultWorkflow(logger: ExecutionLogger): (n: number) => Promise<number> {
  class Work {
    readonly type = 'work';
    constructor(readonly id: string) {}

    @LoggedNode()
    async execute(input: { n: number }): Promise<{ n: number }> {
      await new Promise((resolve) => setImmediate(resolve));
      return { n: input.n + 1 };
    }
  }
  class FaultJob {
    readonly id = 'fault-job';

    @LoggedWorkflow({ logger })
    async run(trigger: { n: number }): Promise<number> {
      const first = await new Work('first').execute(trigger);
      const [left, right] = await Promise.all([new Work('left').execute(first), new Work('right').execute(first)]);
      return left.n + right.n;
    }
  }
  const job = new FaultJob();
  return (n) => job.run({ n });
}

/**
 * Runs workflows `from`..`from + count - 1`, `lanes` at a time. Resolves with how many returned
 * the wrong value (a workflow that threw rejects it) and the most records held in memory.
 */
async function drive(
  run: (n: number) => Promise<number>,
  logger: ExecutionLogger,
  from: number,
  count: number,
  lanes = 8,
  onEach?: (done: number) => void,
): Promise<{ wrong: number; maxQueued: number }> {
  let next = from;
  let done = 0;
  let wrong = 0;
  let maxQueued = 0;
  const lane = async () => {
    while (next < from + count) {
      const n = next++;
      if ((await run(n)) !== 2 * n + 4) wrong++;
      maxQueued = Math.max(maxQueued, logger.stats().queued);
      onEach?.(++done);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { wrong, maxQueued };
}

function faultLine(fault: string, figures: Record<string, unknown>): void {
  // One line per fault, for the README's table.
  console.log(
    `FAULT ${fault}: ${Object.entries(figures)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  );
}

/** Runs a setup step that needs a privilege or a tool; says why a suite cannot run here, or undefined. */
function unavailable(probe: () => void): string | undefined {
  try {
    probe();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** Outside CI a missing part skips its suite loudly; on CI it fails, so the faults are always tested there. */
function describeIf(reason: string | undefined, name: string, body: () => void): void {
  if (reason === undefined) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () =>
      test('can run here (required on CI)', () => {
        throw new Error(`${name}: ${reason}`);
      }),
    );
  }
  process.stderr.write(`\n!!! ${name}: SKIPPED (${reason})\n\n`);
  describe.skip(name, body);
}

// ── PostgreSQL stopped mid-run and started again ─────────────────────────────────────────────────

const pgBin = postgresBinDir();

describeIf(pgBin ? undefined : 'initdb/pg_ctl not found', 'PostgreSQL stopped in the middle of a run and started again', () => {
  let cluster: PrivatePostgres;
  let spoolRoot: string;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    spoolRoot = mkdtempSync(join(tmpdir(), 'flowtrail-spool-'));
  }, 60_000);

  afterAll(() => {
    cluster?.destroy();
    if (spoolRoot) rmSync(spoolRoot, { recursive: true, force: true });
  });

  async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Counts in the schema: rows, distinct ids, unique step indexes, unfinished rows. */
  async function history(schema: string) {
    const [row] = await query<Record<string, string>>(`
      SELECT (SELECT COUNT(*) FROM "${schema}".workflow_executions) AS executions,
             (SELECT COUNT(DISTINCT id) FROM "${schema}".workflow_executions) AS execution_ids,
             (SELECT COUNT(*) FROM "${schema}".execution_steps) AS steps,
             (SELECT COUNT(DISTINCT execution_id || ':' || step_index) FROM "${schema}".execution_steps) AS step_indexes,
             (SELECT COUNT(*) FROM "${schema}".workflow_executions WHERE status <> 'success') +
             (SELECT COUNT(*) FROM "${schema}".execution_steps WHERE status <> 'success') AS unfinished`);
    return Object.fromEntries(Object.entries(row!).map(([key, value]) => [key, Number(value)]));
  }

  async function openLogger(schema: string, config: ConstructorParameters<typeof ExecutionLogger>[1]) {
    const store = await ExecutionStore.open({ url: cluster.url, schema, poolSize: 4, connectTimeoutMs: 2000 });
    const errors = collector();
    const logger = new ExecutionLogger(store, {
      configFile: false,
      retryDelayMs: 20,
      maxRetryDelayMs: 200,
      spoolDir: mkdtempSync(join(spoolRoot, `${schema}-`)),
      onError: errors.onError,
      ...config,
    });
    await logger.ready;
    return { store, logger, reports: errors.reports };
  }

  test.each(['strict', 'batched'] as const)(
    '%s: workflows never fail, every record is written exactly once after the restart, the outage is reported once',
    async (durability) => {
      const schema = `ft_restart_${durability}`;
      const { store, logger, reports } = await openLogger(schema, { durability });
      const run = faultWorkflow(logger);
      try {
        // Stopped while workflows are in flight: the server terminates the pool's sessions under them.
        let stopping: Promise<void> | undefined;
        const before = await drive(run, logger, 0, 150, 8, (done) => {
          if (done === 50) stopping = cluster.stop();
        });
        await stopping;
        const during = await drive(run, logger, 150, 150);
        await until(() => logger.stats().failedWrites > 0, 'a failed write');
        const down = logger.stats();
        expect(down.healthy).toBe(false);
        // Batched mode holds them in memory; strict mode fsyncs them to the spool rather than wait for the server.
        if (durability === 'strict') expect(down.spooled).toBeGreaterThan(0);
        else expect(down.queued).toBeGreaterThan(0);
        expect(down.queued).toBeLessThanOrEqual(logger.config.maxQueueSize);

        // Started again while workflows keep running.
        const starting = cluster.start();
        const after = await drive(run, logger, 300, 100);
        await starting;
        const backAt = Date.now();
        await until(() => logger.stats().queued === 0 && logger.stats().spoolBacklog === 0 && logger.stats().healthy, 'the queue to drain');
        const recoveryMs = Date.now() - backAt;
        await logger.shutdown();

        expect([before.wrong, during.wrong, after.wrong]).toEqual([0, 0, 0]);
        const stats = logger.stats();
        expect(stats).toMatchObject({ queued: 0, dropped: 0, rejected: 0, healthy: true, executionsStarted: 400, stepsStarted: 1200 });
        expect(stats.failedWrites).toBeGreaterThan(0);
        expect(stats.retried).toBeGreaterThan(0);
        expect(await history(schema)).toEqual({ executions: 400, execution_ids: 400, steps: 1200, step_indexes: 1200, unfinished: 0 });
        // One report for the outage, however many attempts failed; the heartbeat may report its own, once.
        expect(writeReports(reports)).toHaveLength(1);
        expect(reports.filter((report) => report.operation === 'heartbeat').length).toBeLessThanOrEqual(1);
        expect(reports.every((report) => ['write', 'heartbeat'].includes(report.operation))).toBe(true);
        const counts = await history(schema);
        faultLine(`postgres-restart ${durability}`, {
          workflows: 400,
          steps: 1200,
          lost: 400 + 1200 - counts.executions! - counts.steps!,
          writeReports: writeReports(reports).length,
          failedWrites: stats.failedWrites,
          retried: stats.retried,
          queuedPeak: Math.max(during.maxQueued, after.maxQueued),
          recoveryMs,
          maxRetryDelayMs: logger.config.maxRetryDelayMs,
        });
      } finally {
        await logger.shutdown();
        await store.close();
      }
    },
    60_000,
  );

  test('a server that does not come back: memory stays within maxQueueSize, nothing is lost silently', async () => {
    const schema = 'ft_gone';
    const maxQueueSize = 400;
    const { store, logger, reports } = await openLogger(schema, { maxQueueSize, shutdownTimeoutMs: 200 });
    const run = faultWorkflow(logger);
    let maxQueued = 0;
    try {
      await drive(run, logger, 0, 50);
      expect(await logger.flush()).toBe(true);
      await cluster.stop();
      // 1 000 workflows are 4 000 rows: ten times what memory may hold.
      for (let batch = 0; batch < 10; batch++) {
        const outcome = await drive(run, logger, 50 + batch * 100, 100);
        expect(outcome.wrong).toBe(0);
        maxQueued = Math.max(maxQueued, outcome.maxQueued);
      }
      const down = logger.stats();
      expect(maxQueued).toBeLessThanOrEqual(maxQueueSize);
      expect(down.healthy).toBe(false);
      const { spooled } = spoolCounters(down);
      // Past the bound, records either spill to the spool or are dropped — and then counted.
      expect(down.dropped + spooled).toBeGreaterThan(0);
      expect(writeReports(reports)).toHaveLength(1);
      expect(reports.filter((report) => report.operation === 'drop').length).toBeLessThanOrEqual(1);
    } finally {
      await cluster.start();
    }
    // The server is back only now: what memory (or the spool) held is written; nothing else is missing.
    await until(() => logger.stats().queued === 0 && logger.stats().healthy, 'the queue to drain');
    await logger.shutdown();
    await store.close();
    const stats = logger.stats();
    const counts = await history(schema);
    const missingRows = 1050 * 4 - counts.executions! - counts.steps!;
    const incompleteRows = missingRows + counts.unfinished!;
    // Every row absent or left `running` is accounted for by a dropped record (each touches one row).
    expect(incompleteRows).toBeLessThanOrEqual(stats.dropped);
    expect(counts.execution_ids).toBe(counts.executions);
    expect(counts.step_indexes).toBe(counts.steps);
    const { spooled, replayed } = spoolCounters(stats);
    expect(replayed).toBe(spooled);
    faultLine('postgres-gone', {
      workflows: 1050,
      steps: 3150,
      maxQueueSize,
      queuedPeak: maxQueued,
      dropped: stats.dropped,
      spooled,
      replayed,
      rowsIncomplete: incompleteRows,
      writeReports: writeReports(reports).length,
    });
  }, 60_000);
});

// ── SQLite on a full disk ────────────────────────────────────────────────────────────────────────

/** Creates a folder and mounts a small tmpfs on it: a disk that really fills up. */
function mountTmpfs(sizeBytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowtrail-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // Busy or gone: detach it lazily so the folder can still go.
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // Not mounted.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

const mounted = new Set<string>();
process.once('exit', () => [...mounted].forEach(unmount));

const tmpfsUnavailable = unavailable(() => unmount(mountTmpfs(1 << 20)));

/** Writes zeros into `path` until the file system has no room left; returns the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (const chunk of [Buffer.alloc(64 * 1024), Buffer.alloc(4096), Buffer.alloc(512)]) {
      for (;;) {
        try {
          bytes += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

describeIf(tmpfsUnavailable, 'SQLite on a disk that fills up', () => {
  let disk: string;

  beforeAll(() => {
    disk = mountTmpfs(4 * 1024 * 1024);
    mounted.add(disk);
  });

  afterAll(() => {
    if (!disk) return;
    unmount(disk);
    mounted.delete(disk);
  });

  test.each(['strict', 'batched'] as const)(
    '%s: workflows complete, records wait in memory or the spool, all are written once space is freed',
    async (durability) => {
      const folder = join(disk, durability);
      const filler = join(disk, 'filler');
      const store = await ExecutionStore.open({ database: join(folder, 'history.sqlite') });
      const { reports, onError } = collector();
      const spoolDir = mkdtempSync(join(tmpdir(), 'flowtrail-spool-'));
      const logger = new ExecutionLogger(store, {
        configFile: false,
        durability,
        retryDelayMs: 20,
        maxRetryDelayMs: 200,
        spoolDir,
        onError,
      });
      try {
        await logger.ready;
        const run = faultWorkflow(logger);
        expect((await drive(run, logger, 0, 20)).wrong).toBe(0);
        expect(await logger.flush()).toBe(true);

        const filled = fillDisk(filler);
        expect(filled).toBeGreaterThan(0);
        const full = await drive(run, logger, 20, 100);
        await until(() => logger.stats().failedWrites > 0, 'a failed write');
        const down = logger.stats();
        expect(full.wrong).toBe(0);
        expect(down.healthy).toBe(false);
        // Batched mode holds them in memory; strict mode fsyncs them to the spool (on another disk) rather than wait.
        if (durability === 'strict') expect(down.spooled).toBeGreaterThan(0);
        else expect(down.queued).toBeGreaterThan(0);
        expect(down.queued).toBeLessThanOrEqual(logger.config.maxQueueSize);
        expect(down.lastError).toMatch(/SQLITE_FULL/);

        rmSync(filler);
        // A write attempt that failed on the full disk just before the space came back makes one
        // flush false (its records stay queued, as documented): flush until written, a few times at most.
        let flushed = false;
        for (let attempt = 0; attempt < 10 && !flushed; attempt++) flushed = await logger.flush();
        expect(flushed).toBe(true);
        const stats = logger.stats();
        expect(stats).toMatchObject({ queued: 0, dropped: 0, rejected: 0, healthy: true });
        expect(stats.retried).toBeGreaterThan(0);
        const [counts] = await store.dataSource.query(
          `SELECT (SELECT COUNT(*) FROM workflow_executions WHERE status = 'success') AS executions,
                  (SELECT COUNT(*) FROM execution_steps WHERE status = 'success') AS steps`,
        );
        expect({ executions: Number(counts.executions), steps: Number(counts.steps) }).toEqual({ executions: 120, steps: 360 });
        expect(await store.dataSource.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        expect(writeReports(reports)).toHaveLength(1);
        expect(writeReports(reports)[0]!.message).toMatch(/SQLITE_FULL/);
        faultLine(`sqlite-disk-full ${durability}`, {
          workflows: 120,
          steps: 360,
          lost: 120 + 360 - Number(counts.executions) - Number(counts.steps),
          writeReports: writeReports(reports).length,
          failedWrites: stats.failedWrites,
          retried: stats.retried,
          queuedPeak: full.maxQueued,
        });
      } finally {
        rmSync(filler, { force: true });
        await logger.shutdown();
        await store.close();
        rmSync(folder, { recursive: true, force: true });
        rmSync(spoolDir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});

// ── SQLite: the folder or the file system turns read-only ───────────────────────────────────────

interface WorkerReply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** The fault worker (support/faultWorker.js, on the built package) as an object to send commands to. */
function startWorker(options: object, identity?: { uid: number; gid: number }) {
  const child: ChildProcess = fork(join(__dirname, 'support', 'faultWorker.js'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    cwd: tmpdir(),
    ...identity,
  });
  const replies: WorkerReply[] = [];
  const waiting: ((reply: WorkerReply) => void)[] = [];
  child.on('message', (message) => {
    const reply = message as WorkerReply;
    const next = waiting.shift();
    if (next) next(reply);
    else replies.push(reply);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const nextReply = () =>
    new Promise<WorkerReply>((resolve, reject) => {
      const queued = replies.shift();
      if (queued) return resolve(queued);
      waiting.push(resolve);
      void exited.then((code) => reject(new Error(`fault worker exited (${code}) before answering`)));
    });
  const send = async <T extends object>(command: string, args: object = {}): Promise<T & WorkerReply> => {
    child.send({ command, ...args });
    const reply = await nextReply();
    if (!reply.ok) throw new Error(`fault worker: ${command}: ${reply.error}`);
    return reply as T & WorkerReply;
  };
  return { child, ready: nextReply(), send, exited };
}

const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;

describeIf(asRoot ? undefined : 'needs root to run a worker as another user', 'SQLite folder made read-only under a running logger', () => {
  test('the open database keeps taking records; a restart in the read-only folder fails at open, by name', async () => {
    // As root, file modes are not enforced, so the logger runs as an unprivileged user in a child.
    // A running SQLite connection holds its database, -wal and -shm files open: modes are checked
    // only at open(), so a folder (and files) made read-only under it change nothing for it — the
    // history goes on. What a read-only folder does break is the next open: a restart, a second
    // process. That is asserted here; a file system that refuses writes to open files is below.
    const folder = mkdtempSync(join(tmpdir(), 'flowtrail-ro-'));
    chmodSync(folder, 0o755); // mkdtemp makes it 0700, and the worker must reach inside
    const database = join(folder, 'db', 'history.sqlite');
    mkdirSync(join(folder, 'db'));
    chownSync(join(folder, 'db'), NOBODY.uid, NOBODY.gid);
    const spoolDir = join(folder, 'spool');
    mkdirSync(spoolDir);
    chownSync(spoolDir, NOBODY.uid, NOBODY.gid);
    const worker = startWorker({ database, durability: 'batched', spoolDir }, NOBODY);
    try {
      await worker.ready;
      await worker.send('open');
      await worker.send('run', { count: 50, lanes: 8 });
      expect((await worker.send<{ written: boolean }>('flush')).written).toBe(true);

      for (const name of readdirSync(join(folder, 'db'))) chmodSync(join(folder, 'db', name), 0o444);
      chmodSync(join(folder, 'db'), 0o555);

      const ran = await worker.send<{ wrong: number; stats: LoggerStats }>('run', { count: 500, lanes: 8 });
      expect(ran.wrong).toBe(0);
      expect((await worker.send<{ written: boolean }>('flush')).written).toBe(true);
      const again = await worker.send<{ opened: boolean; name?: string; message?: string }>('openAgain');
      expect(again).toMatchObject({ opened: false, name: 'StoreOpenError' });
      expect(again.message).toMatch(/writable/);
      const { stats, reports } = await worker.send<{ stats: LoggerStats; reports: Report[] }>('shutdown');
      expect(await worker.exited).toBe(0);
      expect(stats).toMatchObject({ queued: 0, dropped: 0, failedWrites: 0, healthy: true, executionsStarted: 550, stepsStarted: 1650 });
      expect(reports).toEqual([]);

      const store = await ExecutionStore.open({ database });
      try {
        const [counts] = await store.dataSource.query(
          `SELECT (SELECT COUNT(*) FROM workflow_executions WHERE status = 'success') AS executions,
                  (SELECT COUNT(*) FROM execution_steps WHERE status = 'success') AS steps`,
        );
        expect({ executions: Number(counts.executions), steps: Number(counts.steps) }).toEqual({ executions: 550, steps: 1650 });
        faultLine('sqlite-folder-read-only', {
          workflows: 550,
          steps: 1650,
          lost: 550 + 1650 - Number(counts.executions) - Number(counts.steps),
          writeReports: 0,
          failedWrites: stats.failedWrites,
          reopen: again.name,
        });
      } finally {
        await store.close();
      }
    } finally {
      worker.child.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A small ext4 image mounted with errors=remount-ro, and how to make the kernel turn it read-only. */
function mountExt4(sizeBytes: number): { dir: string; image: string; device: string; makeReadOnly(): void; remount(): void } {
  const root = mkdtempSync(join(tmpdir(), 'flowtrail-ext4-'));
  const image = join(root, 'disk.img');
  const dir = join(root, 'mnt');
  mkdirSync(dir);
  try {
    writeFileSync(image, '');
    execFileSync('truncate', ['-s', String(sizeBytes), image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const device = execFileSync('findmnt', ['-no', 'SOURCE', dir], { encoding: 'utf8' }).trim();
  return {
    dir,
    image,
    device,
    // What the kernel does on a disk error under errors=remount-ro: the file system is read-only
    // from then on, for files already open too. ext4's own test hook raises such an error.
    makeReadOnly: () => writeFileSync(`/sys/fs/ext4/${basename(device)}/trigger_fs_error`, '1'),
    // Only after an fsck, as an operator would: this is when the database is back.
    remount: () => {
      execFileSync('umount', [dir]);
      try {
        execFileSync('e2fsck', ['-f', '-y', image], { stdio: 'ignore' });
      } catch (error) {
        // Exit code 1: errors found and corrected — expected after a forced error.
        if ((error as { status?: number }).status !== 1) throw error;
      }
      execFileSync('mount', ['-o', 'loop', image, dir]);
    },
  };
}

const ext4Unavailable = !asRoot
  ? 'needs root to mount a loop device'
  : unavailable(() => {
      const probe = mountExt4(8 * 1024 * 1024);
      const hook = `/sys/fs/ext4/${basename(probe.device)}/trigger_fs_error`;
      const hasHook = existsSync(hook);
      unmount(probe.dir);
      rmSync(join(probe.dir, '..'), { recursive: true, force: true });
      if (!hasHook) throw new Error(`no ext4 error hook (${hook})`);
    });

describeIf(ext4Unavailable, 'SQLite on a file system that turns read-only', () => {
  test('workflows complete, the failure is reported once, memory stays bounded, every record is accounted for', async () => {
    const disk = mountExt4(16 * 1024 * 1024);
    mounted.add(disk.dir);
    const spoolDir = mkdtempSync(join(tmpdir(), 'flowtrail-spool-'));
    const database = join(disk.dir, 'history.sqlite');
    const maxQueueSize = 300;
    // A child process: SQLite maps its -shm file, and a mapping on a file system gone read-only may
    // fault; whatever happens must not take the test runner with it.
    const worker = startWorker({ database, durability: 'batched', maxQueueSize, spoolDir, shutdownTimeoutMs: 300 });
    try {
      await worker.ready;
      await worker.send('open');
      await worker.send('run', { count: 50, lanes: 8 });
      expect((await worker.send<{ written: boolean }>('flush')).written).toBe(true);

      // synchronous=NORMAL does not fsync each WAL commit, so commits the kernel has not yet written
      // back die with a file system that aborts, as in an OS crash (the README says so). Write them
      // back first, as time would: then the fault is about what comes after, not before.
      execFileSync('sync', ['-f', database]);
      disk.makeReadOnly();
      const ran = await worker.send<{ wrong: number; maxQueued: number }>('run', { count: 500, lanes: 8 });
      const { stats: down } = await worker.send<{ stats: LoggerStats }>('waitForFailure');
      expect(ran.wrong).toBe(0);
      expect(ran.maxQueued).toBeLessThanOrEqual(maxQueueSize);
      expect(down.healthy).toBe(false);
      expect(down.queued).toBeLessThanOrEqual(maxQueueSize);
      expect(down.dropped + spoolCounters(down).spooled).toBeGreaterThan(0);
      const { stats, reports } = await worker.send<{ stats: LoggerStats; reports: Report[] }>('shutdown');
      expect(await worker.exited).toBe(0);
      expect(writeReports(reports)).toHaveLength(1);
      expect(reports.filter((report) => report.operation === 'drop').length).toBeLessThanOrEqual(1);
      expect(stats.queued).toBe(0);

      // Repaired and mounted again: what was committed before the fault is intact, and every row
      // of the 500 workflows run after it is either there or covered by a counted record.
      disk.remount();
      const store = await ExecutionStore.open({ database });
      try {
        expect(await store.dataSource.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        const [counts] = await store.dataSource.query(
          `SELECT (SELECT COUNT(*) FROM workflow_executions WHERE status = 'success') AS executions,
                  (SELECT COUNT(*) FROM execution_steps WHERE status = 'success') AS steps`,
        );
        const complete = Number(counts.executions) + Number(counts.steps);
        expect(complete).toBeGreaterThanOrEqual(50 * 4);
        const { spooled } = spoolCounters(stats);
        expect(550 * 4 - complete).toBeLessThanOrEqual(stats.dropped + spooled);
        faultLine('sqlite-fs-read-only', {
          workflows: 550,
          steps: 1650,
          maxQueueSize,
          queuedPeak: ran.maxQueued,
          committedBefore: complete,
          dropped: stats.dropped,
          spooled,
          writeReports: writeReports(reports).length,
          lastError: JSON.stringify(stats.lastError),
        });
      } finally {
        await store.close();
      }
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
      unmount(disk.dir);
      mounted.delete(disk.dir);
      rmSync(join(disk.dir, '..'), { recursive: true, force: true });
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 60_000);
});
