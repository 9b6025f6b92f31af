// Child process for the follow tests: follows the database named by its arguments until the first
// event, then stops the way it is told (`abort` the signal while the follower sleeps, or `break`),
// closes the store, and prints what is still holding the event loop. The test expects nothing but
// the process's own stdio, and the process to exit by itself.
const { ExecutionStore } = require('../../dist');
const { storeOptionsFor } = require('./storeOptions');

async function main() {
  const [target, schema, how] = process.argv.slice(2);
  const store = await ExecutionStore.open(storeOptionsFor(target, schema));
  const stop = new AbortController();
  let seen = 0;
  process.stdout.write('following\n');
  for await (const event of store.follow({ since: 0, signal: stop.signal, pollIntervalMs: 60_000 })) {
    seen++;
    if (how === 'break') break;
    // The follower now sleeps for a minute; the abort must end that sleep.
    if (seen === 1) setImmediate(() => stop.abort());
    void event;
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ seen, resources: process.getActiveResourcesInfo() })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
