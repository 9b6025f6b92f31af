import { uuidv7, type NewExecution, type NewStep } from '../src';
import { databaseKinds, useStorePerTest } from './support/databases';

describe.each(databaseKinds)('getStepOutlines on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('reads every column but the payloads, says which payloads exist, in step order', async () => {
    const { store } = current;
    const execution: NewExecution & { id: string } = {
      id: uuidv7(1000),
      workflowId: 'w',
      workflowName: 'W',
      triggerType: 'manual',
      status: 'error',
      startedAt: 1000,
    };
    const step = (stepIndex: number, extra: Partial<NewStep>): NewStep & { id: string } => ({
      id: uuidv7(1000 + stepIndex),
      executionId: execution.id,
      nodeId: `n${stepIndex}`,
      nodeType: 't',
      stepIndex,
      startedAt: 1000 + stepIndex,
      status: 'success',
      ...extra,
    });
    const steps = [
      step(2, { status: 'error', inputData: { big: 'x'.repeat(10_000) }, errorMessage: 'boom', errorStack: 'Error: boom\n  at x' }),
      step(0, { inputData: { a: 1 }, outputData: { b: 2 }, completedAt: 1005, durationMs: 5 }),
      step(1, { outputData: null }),
    ];
    await store.writeBatch({ executions: [execution], steps });
    const outlines = await store.getStepOutlines(execution.id);
    expect(outlines.map((outline) => [outline.stepIndex, outline.hasInput, outline.hasOutput, outline.hasErrorStack])).toEqual([
      [0, true, true, false],
      [1, false, false, false],
      [2, true, false, true],
    ]);
    for (const outline of outlines) {
      expect(outline).not.toHaveProperty('inputData');
      expect(outline).not.toHaveProperty('outputData');
      expect(outline).not.toHaveProperty('errorStack');
    }
    expect(outlines[0]).toMatchObject({ id: steps[1]!.id, nodeId: 'n0', completedAt: 1005, durationMs: 5, status: 'success' });
    expect(outlines[2]).toMatchObject({ errorMessage: 'boom', status: 'error' });
    expect(await store.getStepOutlines(uuidv7(5))).toEqual([]);
  });
});
