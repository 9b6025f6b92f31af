// Child process for the many-processes test: runs N workflows of 3 nodes (two in parallel)
// against the database named by its arguments, then shuts its logger down and prints its stats.
const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } = require('../../dist');
const { storeOptionsFor } = require('./storeOptions');
const { decorate } = require('./decorate');

class Work {
  constructor(id) {
    this.id = id;
    this.type = 'work';
  }
  async execute(input) {
    await new Promise((resolve) => setImmediate(resolve));
    return { seen: input.n };
  }
}
decorate(Work, 'execute', LoggedNode());

class Job {
  constructor(id) {
    this.id = id;
  }
  async run(trigger) {
    await new Work('first').execute({ n: trigger.n });
    await Promise.all([new Work('left').execute({ n: trigger.n }), new Work('right').execute({ n: trigger.n })]);
  }
}
decorate(Job, 'run', LoggedWorkflow());

async function main() {
  const [target, schema, count] = process.argv.slice(2);
  const store = await ExecutionStore.open(storeOptionsFor(target, schema));
  const errors = [];
  const logger = new ExecutionLogger(store, { configFile: false, onError: (error) => errors.push(String(error)) });
  ExecutionLogger.setDefault(logger);
  const job = new Job(`proc-${process.pid}`);
  const runs = [];
  for (let n = 0; n < Number(count); n++) {
    runs.push(job.run({ n }));
    if (runs.length === 50) await Promise.all(runs.splice(0));
  }
  await Promise.all(runs);
  await logger.shutdown();
  await store.close();
  process.stdout.write(JSON.stringify({ stats: logger.stats(), errors }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
