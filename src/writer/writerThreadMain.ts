import { parentPort, workerData } from 'node:worker_threads';
import { ExecutionStore } from '../store/ExecutionStore';
import { describeError, type ThreadData, type ThreadReply, type ThreadRequest } from './threadProtocol';
import { fromWire } from './wireBatch';

/**
 * The writer thread: its own connection to the logger's database, and its own event loop, so
 * that a batch's round trips (BEGIN, the statements, COMMIT) never wait for a busy workflow
 * thread to come back to its event loop.
 */
const port = parentPort;
if (port === null) throw new Error('writerThreadMain runs as a worker thread only');

const { store: storeOptions, committed } = workerData as ThreadData;

const opening = ExecutionStore.open(storeOptions).then((store) => {
  // Here the calling thread is not the workflows': least work in all wins, and bound parameters
  // beat one JSON parameter that the database unpacks (bench throughput, on SQLite and PostgreSQL).
  store.jsonBatches = false;
  return store;
});
opening.then(
  () => reply({ kind: 'ready' }),
  (error: unknown) => reply({ kind: 'ready', error: describeError(error) }),
);

port.on('message', (request: ThreadRequest) => {
  void handle(request);
});

async function handle(request: ThreadRequest): Promise<void> {
  if (request.kind === 'close') {
    await opening.then((store) => store.close()).catch(() => undefined);
    port!.close();
    return;
  }
  try {
    const store = await opening;
    await store.writeBatch(fromWire(request.batch));
    Atomics.store(committed, 0, request.id);
    reply({ kind: 'written', id: request.id });
  } catch (error) {
    reply({ kind: 'written', id: request.id, error: describeError(error) });
  }
}

function reply(message: ThreadReply): void {
  port!.postMessage(message);
}
