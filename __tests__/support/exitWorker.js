// Child process for the shutdown tests: a program that ends in one of the ways a process can end,
// without calling logger.shutdown() (except where its own signal listener does).
// argv: JSON { target, schema, spoolDir, mode, workflows, flushOnExit }
const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } = require('../../dist');
const { storeOptionsFor } = require('./storeOptions');
const { decorate } = require('./decorate');

class Step {
  constructor(id) {
    this.id = id;
  }
  async execute(input) {
    await new Promise((resolve) => setTimeout(resolve, input.ms));
    return { n: input.n };
  }
}
decorate(Step, 'execute', LoggedNode());

class Job {
  constructor() {
    this.id = 'exit-job';
  }
  async run(trigger) {
    await new Step('a').execute({ n: trigger.n, ms: trigger.ms });
    return (await new Step('b').execute({ n: trigger.n, ms: trigger.ms })).n;
  }
}
decorate(Job, 'run', LoggedWorkflow());

async function main() {
  const args = JSON.parse(process.argv[2]);
  const store = await ExecutionStore.open(storeOptionsFor(args.target, args.schema));
  const logger = new ExecutionLogger(store, {
    configFile: false,
    spoolDir: args.spoolDir ?? false,
    flushIntervalMs: 60_000, // nothing is written by the timer: only an ending can write the tail
    flushOnExit: args.flushOnExit ?? true,
  });
  ExecutionLogger.setDefault(logger);
  await logger.ready;
  const job = new Job();
  if (args.mode === 'natural' || args.mode === 'exit') {
    const results = await Promise.all(Array.from({ length: args.workflows }, (_, n) => job.run({ n, ms: 1 })));
    process.stdout.write(`DONE ${JSON.stringify(results)}\n`);
    if (args.mode === 'exit') process.exit(0);
    return; // the event loop runs dry: beforeExit
  }
  if (args.mode === 'own-handler') {
    process.on('SIGTERM', () => {
      process.stdout.write('APP HANDLER\n');
      void logger.shutdown().then(() => process.exit(3));
    });
  }
  // signal modes: workflows keep running until the signal; each node takes a while.
  let n = 0;
  const running = [];
  for (let i = 0; i < args.workflows; i++) running.push(job.run({ n: n++, ms: 200 }));
  process.stdout.write('READY\n');
  await Promise.all(running);
  process.stdout.write('ALL DONE\n');
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
