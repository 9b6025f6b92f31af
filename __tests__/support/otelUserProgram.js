// A user program run by otel.test.ts in a project installed without @opentelemetry (OTEL_MODE
// absent) or with it but never set up (present): records a workflow in HISTORY_FILE (the writer
// thread on) and prints what was recorded, and whether the package got loaded, as JSON.
const [mode, database] = [process.env.OTEL_MODE, process.env.HISTORY_FILE];

const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } = require('flowtrail');

// Without a compiler to apply decorators: a legacy method decorator applied by hand, as tsc emits it.
function decorate(cls, method, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  Object.defineProperty(cls.prototype, method, decorator(cls.prototype, method, descriptor));
}

class Step {
  execute(input) {
    return Promise.resolve(input * 2);
  }
}
decorate(Step, 'execute', LoggedNode({ nodeId: 'double', nodeType: 'math' }));

class Flow {
  run(trigger) {
    return new Step().execute(trigger.n);
  }
}
decorate(Flow, 'run', LoggedWorkflow({ workflowId: 'absent' }));

async function main() {
  const store = await ExecutionStore.open({ database });
  const logger = new ExecutionLogger(store, { configFile: false, flushOnExit: false });
  ExecutionLogger.setDefault(logger);
  await logger.ready;
  await new Flow().run({ n: 21 });
  await logger.flush();
  let spansError = null;
  // With the package there, this would load it; the test of that case is that nothing else does.
  if (mode === 'absent') {
    try {
      await new ExecutionLogger(store, { configFile: false, writerThread: false, flushOnExit: false, otel: { spans: true } }).shutdown();
    } catch (error) {
      spansError = { name: error.name, field: error.field };
    }
  }
  const [row] = (await store.listExecutions({ workflowId: 'absent' })).items;
  const execution = await store.getExecution(row.id, { steps: true });
  await logger.shutdown();
  await store.close();
  const loaded = Object.keys(require.cache).some((file) => file.includes(`${'@opentelemetry'}/api`));
  const result = {
    status: execution.status,
    traceId: execution.traceId,
    steps: execution.steps.map((step) => ({ traceId: step.traceId, spanId: step.spanId })),
    loaded,
  };
  if (mode === 'absent') result.spansError = spansError;
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});
