import { CapturedJson } from '../src/capture/CapturedJson';
import { RecordBuffer } from '../src/writer/RecordBuffer';
import { recordBytes } from '../src/writer/records';

/**
 * Memory is bounded in bytes as well as in records, and no batch, however large its records, is
 * too big for the writer thread.
 */

describe('RecordBuffer bytes', () => {
  const data = (length: number) => new CapturedJson(JSON.stringify('d'.repeat(length)));
  const execution = (id: string) => ({
    id,
    workflowId: 'w',
    workflowName: 'W',
    triggerType: 'manual',
    status: 'running' as const,
    startedAt: 0,
    triggerData: data(1000),
  });
  const step = (id: string) => ({
    id,
    executionId: 'e',
    nodeId: 'n',
    nodeType: 't',
    stepIndex: 0,
    startedAt: 0,
    status: 'running' as const,
    inputData: data(5000),
  });
  /** What the records held weigh, estimated afresh. */
  const estimate = (buffer: RecordBuffer) =>
    [...buffer.executions.values(), ...buffer.steps.values(), ...buffer.executionUpdates.values(), ...buffer.stepUpdates.values()]
      .map(recordBytes)
      .reduce((sum, bytes) => sum + bytes, 0);

  test('never fall below what the records hold, through folds, take, prepend and split', () => {
    const buffer = new RecordBuffer();
    buffer.insertExecution(execution('e'));
    buffer.insertStep(step('s1'));
    buffer.insertStep(step('s2'));
    expect(buffer.bytes).toBe(estimate(buffer));
    expect(buffer.bytes).toBeGreaterThan(11_000);

    // A completion folded into its insert adds its output.
    buffer.updateStep('s1', { status: 'success', outputData: data(20_000) });
    expect(buffer.bytes).toBeGreaterThanOrEqual(estimate(buffer));
    expect(estimate(buffer)).toBeGreaterThan(31_000);

    const taken = buffer.take();
    expect(buffer.bytes).toBe(0);
    buffer.updateStep('s0', { status: 'error', errorMessage: 'm'.repeat(3000) });
    buffer.prepend(taken);
    expect(buffer.size).toBe(4);
    expect(buffer.bytes).toBeGreaterThanOrEqual(estimate(buffer));

    const parts = buffer.split(12_000);
    expect(parts.map((part) => part.size)).toEqual([1, 1, 2]);
    expect(parts.map((part) => [...part.executions.keys(), ...part.steps.keys(), ...part.stepUpdates.keys()])).toEqual([
      ['e'],
      ['s1'],
      ['s2', 's0'],
    ]);
    for (const part of parts) expect(part.bytes).toBe(estimate(part));
    expect(buffer.split(buffer.bytes)).toEqual([buffer]);
    expect(buffer.split().map((part) => part.size)).toEqual([1, 1, 1, 1]);
  });
});
