// Child process for the database-fault tests that cannot run inside jest: as another user (root
// ignores file modes), or on a file system that may fault in ways that must not hit the runner.
// Driven over IPC; every command is answered with one message: { ok, ...result } or { ok: false, error }.
const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } = require('../../dist');
const { decorate } = require('./decorate');

class Work {
  constructor(id) {
    this.id = id;
    this.type = 'work';
  }
  async execute(input) {
    await new Promise((resolve) => setImmediate(resolve));
    return { n: input.n + 1 };
  }
}
decorate(Work, 'execute', LoggedNode());

class Job {
  constructor() {
    this.id = 'fault-job';
  }
  async run(trigger) {
    const first = await new Work('first').execute(trigger);
    const [left, right] = await Promise.all([new Work('left').execute(first), new Work('right').execute(first)]);
    return left.n + right.n;
  }
}
decorate(Job, 'run', LoggedWorkflow());

const options = JSON.parse(process.argv[2]);
const reports = [];
let store;
let logger;
let next = 0;

const commands = {
  async open() {
    store = await ExecutionStore.open({ database: options.database });
    logger = new ExecutionLogger(store, {
      configFile: false,
      durability: options.durability,
      maxQueueSize: options.maxQueueSize,
      retryDelayMs: 20,
      maxRetryDelayMs: 200,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2000,
      spoolDir: options.spoolDir,
      onError: (error, context) =>
        reports.push({ operation: context.operation, message: error instanceof Error ? error.message : String(error) }),
    });
    ExecutionLogger.setDefault(logger);
    await logger.ready;
    return {};
  },
  /** Runs `count` workflows, `lanes` at a time; reports wrong results and the most records held. */
  async run({ count, lanes }) {
    const job = new Job();
    let maxQueued = 0;
    let wrong = 0;
    let done = 0;
    const lane = async () => {
      while (done < count) {
        done++;
        const n = next++;
        if ((await job.run({ n })) !== 2 * n + 4) wrong++;
        maxQueued = Math.max(maxQueued, logger.stats().queued);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return { completed: done, wrong, maxQueued, stats: logger.stats() };
  },
  async waitForFailure() {
    while (logger.stats().failedWrites === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return { stats: logger.stats() };
  },
  async flush() {
    return { written: await logger.flush(), stats: logger.stats() };
  },
  /** What opening the same database again (a restart, a second process) does now. */
  async openAgain() {
    try {
      const again = await ExecutionStore.open({ database: options.database });
      await again.close();
      return { opened: true };
    } catch (error) {
      return { opened: false, name: error.name, message: error.message };
    }
  },
  async shutdown() {
    await logger.shutdown();
    await store.close().catch(() => undefined);
    return { stats: logger.stats(), reports };
  },
};

process.on('message', (message) => {
  commands[message.command](message)
    .then((result) => process.send({ ok: true, ...result }))
    .catch((error) => process.send({ ok: false, error: String(error && error.stack ? error.stack : error) }))
    // The IPC channel keeps the process alive; after shutdown nothing is left to do.
    .finally(() => message.command === 'shutdown' && process.disconnect());
});
process.send({ ok: true, ready: true });
