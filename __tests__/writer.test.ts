import type { ErrorContext } from '../src';
import { uuidv7 } from '../src';
import { BatchWriter } from '../src/writer/BatchWriter';
import { databaseKinds, useStorePerTest } from './support/databases';

describe.each(databaseKinds)('BatchWriter on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('a record the database refuses is set aside and reported; the rest of its batch is written', async () => {
    const { store } = current;
    const reports: ErrorContext[] = [];
    const writer = new BatchWriter(
      store.sink,
      {
        flushIntervalMs: 60_000,
        maxBatchSize: 1000,
        maxQueueSize: 1000,
        maxQueueBytes: 32 * 1024 * 1024,
        retryDelayMs: 10,
        maxRetryDelayMs: 10,
      },
      (_error, context) => reports.push(context),
    );
    const now = Date.now();
    const execution = (id: string) => ({
      id,
      workflowId: 'w',
      workflowName: 'w',
      triggerType: 'manual',
      status: 'running' as const,
      startedAt: now,
    });
    const step = (id: string, executionId: string) => ({
      id,
      executionId,
      nodeId: 'n',
      nodeType: 't',
      stepIndex: 0,
      startedAt: now,
      status: 'success' as const,
    });
    const [a, b] = [uuidv7(), uuidv7()];
    writer.insertExecution(execution(a));
    writer.insertStep(step(uuidv7(), a));
    writer.insertStep(step(uuidv7(), 'no-such-execution')); // violates the foreign key on both databases
    writer.insertExecution(execution(b));
    writer.updateExecution(a, { status: 'success' });

    expect(await writer.flush()).toBe(true);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 3, rejected: 1, dropped: 0, healthy: true });
    expect(reports).toEqual([{ operation: 'reject', records: 1 }]);
    expect(await store.getExecution(a, { steps: true })).toMatchObject({ status: 'success', steps: [{ executionId: a }] });
    expect(await store.getExecution(b)).not.toBeNull();

    // Later records flow as usual.
    writer.updateExecution(b, { status: 'error' });
    expect(await writer.flush()).toBe(true);
    expect((await store.getExecution(b))?.status).toBe('error');
    await writer.close(1000);
  });
});
