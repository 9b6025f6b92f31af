// Child process for the crash tests. Mode "hang": runs a finished workflow, then one that hangs
// inside its fourth node, announcing "HANG <executionId>" so the test can SIGKILL it there.
// Mode "stream": runs nodes forever, printing "DONE <stepIndex> <completedAt>" after each one.
const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow, currentExecution } = require('../../dist');
const { decorate } = require('./decorate');

class Step {
  constructor(index) {
    this.id = `step-${index}`;
    this.type = 'work';
    this.index = index;
  }
  async execute(input) {
    if (this.index === 3 && input.value !== 0) {
      process.stdout.write(`HANG ${currentExecution().executionId}\n`);
      await new Promise(() => setInterval(() => undefined, 1000)); // a pending timer keeps the process alive
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
    return { doubled: input.value * 2, index: this.index };
  }
}
decorate(Step, 'execute', LoggedNode());

class Crashy {
  constructor() {
    this.id = 'crashy';
  }
  async run(trigger) {
    let value = trigger.value;
    for (let i = 0; i < 6; i++) value = (await new Step(i).execute({ value })).doubled;
    return value;
  }
}
decorate(Crashy, 'run', LoggedWorkflow());

class Stream {
  constructor() {
    this.id = 'stream';
  }
  async run() {
    for (let i = 0; ; i++) {
      await new Step(100 + i).execute({ value: i });
      process.stdout.write(`DONE ${i} ${Date.now()}\n`);
    }
  }
}
decorate(Stream, 'run', LoggedWorkflow());

async function main() {
  const [database, durability, mode] = process.argv.slice(2);
  const store = await ExecutionStore.open({ database });
  const logger = new ExecutionLogger(store, { configFile: false, durability, heartbeatIntervalMs: 100, leaseMs: 300, flushIntervalMs: 50 });
  ExecutionLogger.setDefault(logger);
  await logger.ready;
  if (mode === 'stream') {
    process.stdout.write('READY\n');
    await new Stream().run();
    return;
  }
  // A finished run first, which recovery must leave alone.
  await new Crashy().run({ value: 0 }).catch(() => undefined);
  await new Crashy().run({ value: 1 });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
