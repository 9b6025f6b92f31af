// Runs a recorded workflow from the built package with `@opentelemetry/api` either made
// unresolvable (argv[2] 'absent': a require hook throws MODULE_NOT_FOUND for it, as when the peer is
// not installed) or installed but never set up ('present'). Prints what was recorded as JSON.
const Module = require('node:module');

const [mode, database] = process.argv.slice(2);
if (mode === 'absent') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@opentelemetry/api' || request.startsWith('@opentelemetry/api/')) {
      const error = new Error(`Cannot find module '${request}'`);
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }
    return resolve.call(this, request, ...rest);
  };
}

const { ExecutionLogger, ExecutionStore, LoggedNode, LoggedWorkflow } = require('../../dist');

const { decorate } = require('./decorate');

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
  const logger = new ExecutionLogger(store, { configFile: false, writerThread: false, flushOnExit: false });
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
