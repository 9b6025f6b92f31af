// Child process for the follow tests: writes `count` executions of two steps each through the
// store's batch API, on three concurrent lanes. Every fourth execution is committed late: its ids
// are made, then the lane waits before the first write, so that rows of the other lanes and of the
// other processes with newer ids are committed (and can be seen) before it. Each execution is
// inserted running with its first step running, then the step completes, a second step is
// inserted already finished, and the execution ends (every fifth in error).
const { ExecutionStore, uuidv7 } = require('../../dist');
const { storeOptionsFor } = require('./storeOptions');

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a write again when the database chose it as a deadlock victim (40001/40P01: MariaDB's gap
 * locks on the steps' unique index, between these processes' transactions), as the logger's
 * writer does; the transaction was rolled back whole, and a batch is safe to replay.
 */
async function retried(write) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const state = error?.driverError?.sqlState ?? error?.sqlState ?? error?.driverError?.code ?? error?.code;
      if (attempt >= 10 || !['40001', '40P01', 'ER_LOCK_DEADLOCK'].includes(state)) throw error;
      await pause(attempt * 10);
    }
  }
}

async function main() {
  const [target, schema, count] = process.argv.slice(2);
  const store = await ExecutionStore.open(storeOptionsFor(target, schema));
  let next = 0;
  const lane = async () => {
    while (next < Number(count)) {
      const n = next++;
      const startedAt = Date.now();
      const id = uuidv7(startedAt);
      const first = uuidv7(startedAt);
      if (n % 4 === 0) await pause(150 + Math.random() * 250);
      const workflowId = `follow-${n % 2}`;
      await retried(() =>
        store.writeBatch({
          executions: [{ id, workflowId, workflowName: 'follow', triggerType: 'test', status: 'running', startedAt }],
          steps: [{ id: first, executionId: id, nodeId: 'a', nodeType: 't', stepIndex: 0, startedAt, status: 'running' }],
        }),
      );
      await pause(Math.random() * 20);
      const now = Date.now();
      const failed = n % 5 === 0;
      await retried(() =>
        store.writeBatch({
          steps: [
            {
              id: uuidv7(now),
              executionId: id,
              nodeId: 'b',
              nodeType: 't',
              stepIndex: 1,
              startedAt: now,
              completedAt: now,
              durationMs: 0,
              status: failed ? 'error' : 'success',
            },
          ],
          stepUpdates: [{ id: first, patch: { status: 'success', completedAt: now, durationMs: now - startedAt } }],
        }),
      );
      await pause(Math.random() * 20);
      await retried(() =>
        store.updateExecution(id, {
          status: failed ? 'error' : 'success',
          completedAt: Date.now(),
          durationMs: Date.now() - startedAt,
        }),
      );
    }
  };
  await Promise.all([lane(), lane(), lane()]);
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
