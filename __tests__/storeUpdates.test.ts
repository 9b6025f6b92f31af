import { ExecutionStep, uuidv7, type NewExecution, type NewStep } from '../src';
import { databaseKinds, useStorePerTest } from './support/databases';

/**
 * `writeBatch`'s updates on both write paths: one JSON parameter, and bound parameters (the
 * writer thread's), where SQLite and PostgreSQL take a shape's rows in one UPDATE … FROM (VALUES …).
 */

const base = 1_700_000_000_000;

function execution(overrides: Partial<NewExecution> = {}): NewExecution & { id: string } {
  return { id: uuidv7(), workflowId: 'wf', workflowName: 'W', triggerType: 'manual', status: 'running', startedAt: base, ...overrides };
}

function step(executionId: string, stepIndex: number, overrides: Partial<NewStep> = {}): NewStep & { id: string } {
  return { id: uuidv7(), executionId, nodeId: `n${stepIndex}`, nodeType: 't', stepIndex, startedAt: base, status: 'running', ...overrides };
}

const paths = [
  ['one JSON parameter', true],
  ['bound parameters (the writer thread)', false],
] as const;

describe.each(databaseKinds)('batch updates on %s', (kind) => {
  const current = useStorePerTest(kind);
  afterEach(() => jest.restoreAllMocks());

  test.each(paths)('patches of one id in one batch leave the row as applying them in order would: %s', async (_path, jsonBatches) => {
    current.store.jsonBatches = jsonBatches;
    const [other, plain, sameShape, nulled, reordered] = [execution(), execution(), execution(), execution(), execution()];
    const parent = execution();
    const steps = Array.from({ length: 3 }, (_, i) => step(parent.id, i));
    await current.store.writeBatch({ executions: [other, plain, sameShape, nulled, reordered, parent], steps });
    await current.store.writeBatch({
      executionUpdates: [
        // `other` and `plain` bring a shape in first, so grouping by shape alone would apply the
        // later patch of `reordered` and of `nulled` before their earlier one.
        { id: other.id, patch: { status: 'success', completedAt: base + 1, durationMs: 1, metadata: { v: 'other' } } },
        { id: plain.id, patch: { completedAt: base + 4, errorMessage: 'plain' } },
        { id: sameShape.id, patch: { status: 'error', errorMessage: 'first' } },
        { id: reordered.id, patch: { tags: { stage: 'one' }, metadata: { v: 1 } } },
        { id: nulled.id, patch: { status: 'error', completedAt: base + 2, durationMs: 2, errorMessage: 'boom' } },
        { id: sameShape.id, patch: { status: 'error', errorMessage: 'second' } },
        { id: reordered.id, patch: { status: 'success', completedAt: base + 3, durationMs: 3, metadata: { v: 2 } } },
        // null sets NULL; undefined leaves the earlier patch's value.
        { id: nulled.id, patch: { completedAt: null, durationMs: undefined, errorMessage: null } },
        { id: reordered.id, patch: { tags: { stage: 'two' } } },
      ],
      stepUpdates: steps.flatMap(({ id }, i) => [
        { id, patch: { status: 'error' as const, errorMessage: `first ${i}`, outputData: { n: 1 } } },
        { id, patch: { status: 'success' as const, errorMessage: null, outputData: { n: 2 } } },
      ]),
    });
    expect(await current.store.getExecution(other.id)).toMatchObject({
      status: 'success',
      completedAt: base + 1,
      metadata: { v: 'other' },
    });
    expect(await current.store.getExecution(sameShape.id)).toMatchObject({ status: 'error', errorMessage: 'second' });
    expect(await current.store.getExecution(plain.id)).toMatchObject({ status: 'running', completedAt: base + 4, errorMessage: 'plain' });
    expect(await current.store.getExecution(nulled.id)).toMatchObject({
      status: 'error',
      completedAt: null,
      durationMs: 2,
      errorMessage: null,
    });
    expect(await current.store.getExecution(reordered.id)).toMatchObject({
      status: 'success',
      completedAt: base + 3,
      durationMs: 3,
      metadata: { v: 2 },
      tags: { stage: 'two' },
    });
    expect((await current.store.listExecutions({ tags: { stage: 'two' } })).items.map((row) => row.id)).toEqual([reordered.id]);
    expect((await current.store.listExecutions({ tags: { stage: 'one' } })).items).toEqual([]);
    const read = await current.store.getExecution(parent.id, { steps: true });
    expect(read?.steps?.map(({ status, errorMessage, outputData }) => ({ status, errorMessage, outputData }))).toEqual(
      steps.map(() => ({ status: 'success', errorMessage: null, outputData: { n: 2 } })),
    );
  });

  test.each(paths)('a patch sets completedAt back to NULL on a row that has one: %s', async (_path, jsonBatches) => {
    current.store.jsonBatches = jsonBatches;
    const parent = execution({ status: 'success', completedAt: base + 9, durationMs: 9 });
    const steps = Array.from({ length: 3 }, (_, i) => step(parent.id, i, { status: 'success', completedAt: base + i, durationMs: i }));
    await current.store.writeBatch({ executions: [parent], steps });
    await current.store.writeBatch({
      // Alone in its statement: the column holds only NULL.
      executionUpdates: [{ id: parent.id, patch: { completedAt: null } }],
      // One statement holding NULL and a number in the same columns.
      stepUpdates: [
        { id: steps[0]!.id, patch: { status: 'running', completedAt: null, durationMs: null } },
        { id: steps[1]!.id, patch: { status: 'running', completedAt: base + 50, durationMs: null } },
      ],
    });
    expect(await current.store.getExecution(parent.id)).toMatchObject({ status: 'success', completedAt: null, durationMs: 9 });
    const read = await current.store.getExecution(parent.id, { steps: true });
    expect(read?.steps?.map(({ status, completedAt, durationMs }) => ({ status, completedAt, durationMs }))).toEqual([
      { status: 'running', completedAt: null, durationMs: null },
      { status: 'running', completedAt: base + 50, durationMs: null },
      { status: 'success', completedAt: base + 2, durationMs: 2 },
    ]);
  });

  test.each(paths)('completions of one shape are set-wise, at most 500 rows a statement: %s', async (_path, jsonBatches) => {
    current.store.jsonBatches = jsonBatches;
    const parent = execution();
    const steps = Array.from({ length: 1201 }, (_, i) => step(parent.id, i));
    await current.store.writeBatch({ executions: [parent], steps });
    const logged = jest.spyOn(current.store.dataSource.logger, 'logQuery');
    await current.store.writeBatch({
      stepUpdates: steps.map(({ id }, i) => ({ id, patch: { status: 'success', completedAt: base + i, durationMs: i } })),
    });
    const updates = logged.mock.calls.filter(([sql]) => /^\s*UPDATE\b/i.test(sql));
    // MySQL runs one UPDATE a row on the bound path (its row constructor differs between MySQL and MariaDB).
    if (kind !== 'mysql') expect(updates.length).toBeLessThanOrEqual(Math.ceil(steps.length / 500));
    expect(updates.length).toBeGreaterThan(0);
    const done = await current.store.dataSource
      .getRepository(ExecutionStep)
      .count({ where: { executionId: parent.id, status: 'success' } });
    expect(done).toBe(steps.length);
    // Each row got its own values, not a neighbour's: ids and values travel in one VALUES list.
    const stored = await current.store.getSteps(parent.id);
    const wrong = stored.filter((row) => row.durationMs !== row.stepIndex || row.completedAt !== base + row.stepIndex);
    expect(wrong.map(({ stepIndex, completedAt, durationMs }) => ({ stepIndex, completedAt, durationMs }))).toEqual([]);
  });
});
