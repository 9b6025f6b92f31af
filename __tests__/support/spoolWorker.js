// Child process for the spool tests. Records a workflow ("long") that waits inside its second
// node, makes its database go away for real (its DataSource is destroyed), then runs workflows
// that spill to the spool, printing "DONE <executionId>" after each.
// Mode "exit": releases the long workflow, shuts the logger down (still no database) and prints
// "STATS <json>". Mode "kill": after `killAfter` workflows prints "KILLME" and keeps running
// workflows until the test kills it with SIGKILL.
const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow, currentExecution } = require('../../dist');
const { storeOptionsFor } = require('./storeOptions');
const { decorate } = require('./decorate');

let releaseGate;
const gate = new Promise((resolve) => (releaseGate = resolve));
let gateReached;
const reachedGate = new Promise((resolve) => (gateReached = resolve));

class Step {
  constructor(index) {
    this.id = `step-${index}`;
    this.type = 'work';
    this.index = index;
  }
  async execute(input) {
    if (input.wait && this.index === 1) {
      gateReached(currentExecution().executionId);
      await gate;
    }
    await new Promise((resolve) => setImmediate(resolve));
    return { value: input.value * 2, index: this.index, id: currentExecution().executionId };
  }
}
decorate(Step, 'execute', LoggedNode());

class Job {
  constructor(id) {
    this.id = id;
  }
  async run(trigger) {
    let value = trigger.value;
    let id = '';
    for (let i = 0; i < 3; i++) ({ value, id } = await new Step(i).execute({ value, wait: trigger.wait }));
    return id;
  }
}
decorate(Job, 'run', LoggedWorkflow());

const say = (line) => process.stdout.write(`${line}\n`);

async function main() {
  const { target, schema, spoolDir, mode, workflows, killAfter } = JSON.parse(process.argv[2]);
  const store = await ExecutionStore.open(storeOptionsFor(target, schema));
  const logger = new ExecutionLogger(store, {
    configFile: false,
    spoolDir,
    maxQueueSize: 10,
    maxBatchSize: 4,
    flushIntervalMs: 5,
    retryDelayMs: 5,
    maxRetryDelayMs: 20,
    shutdownTimeoutMs: 50,
    onError: () => undefined,
    // The outage below is made by destroying this store's DataSource; a writer thread would
    // write on a connection of its own and never see it.
    writerThread: false,
  });
  ExecutionLogger.setDefault(logger);
  await logger.ready;

  const long = new Job('long').run({ value: 1, wait: true });
  say(`LONG ${await reachedGate}`);
  await logger.flush(); // the long run and its first two steps are in the database

  await store.dataSource.destroy(); // the database is gone from here on
  // One failed attempt, so the writer knows the database is down before memory fills.
  const probe = await logger.startExecution({ workflowId: 'probe', workflowName: 'probe' });
  await logger.completeExecution(probe, true);
  if (await logger.flush()) throw new Error('the database should be down');

  for (let n = 0; n < workflows; n += 3) {
    const ids = await Promise.all([0, 1, 2].map((k) => new Job(`job-${(n + k) % 3}`).run({ value: n + k })));
    ids.forEach((id) => say(`DONE ${id}`));
    if (mode === 'kill' && n + 3 >= killAfter) {
      say('KILLME');
      for (let more = 0; ; more++) await new Job('after').run({ value: more }); // killed in here
    }
  }
  releaseGate();
  await long;
  await logger.shutdown();
  say(`STATS ${JSON.stringify(logger.stats())}`);
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
