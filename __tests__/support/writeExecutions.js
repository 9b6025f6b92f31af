// Child process for multi-process tests: writes N executions (one step each) to a SQLite file.
const { ExecutionStore, uuidv7 } = require('../../dist');

async function main() {
  const [database, count] = process.argv.slice(2);
  const store = await ExecutionStore.open({ database });
  for (let i = 0; i < Number(count); i++) {
    const startedAt = Date.now();
    const id = uuidv7(startedAt);
    await store.writeBatch({
      executions: [{ id, workflowId: `child-${process.pid}`, workflowName: 'child', triggerType: 'test', status: 'success', startedAt }],
      steps: [{ id: uuidv7(startedAt), executionId: id, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt, status: 'success' }],
    });
  }
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
