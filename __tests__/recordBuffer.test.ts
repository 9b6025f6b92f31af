import { RecordBuffer } from '../src/writer/RecordBuffer';
import type { StepRow } from '../src/writer/records';

// How the writer folds a row's later patches into what it still holds: as applying them in turn
// would leave the row in the database.
describe('RecordBuffer folds patches', () => {
  const step = (id: string): StepRow => ({
    id,
    executionId: 'e',
    nodeId: 'n',
    nodeType: 't',
    stepIndex: 0,
    startedAt: 1,
    status: 'running',
    errorMessage: 'kept',
  });

  test('into a row not yet written: defined keys win, null sets NULL, undefined leaves the key', () => {
    const buffer = new RecordBuffer();
    buffer.insertStep(step('s'));
    buffer.updateStep('s', { status: 'error', completedAt: 5, errorMessage: undefined, durationMs: null });
    expect(buffer.steps.get('s')).toMatchObject({ status: 'error', completedAt: 5, errorMessage: 'kept', durationMs: null });
    expect(buffer.stepUpdates.size).toBe(0);
  });

  test('into an update already held, without changing either patch the caller passed', () => {
    const buffer = new RecordBuffer();
    const first = { status: 'error' as const, errorMessage: 'first', durationMs: 3 };
    const second = { status: 'success' as const, errorMessage: undefined, durationMs: null };
    buffer.updateStep('s', first);
    buffer.updateStep('s', second);
    expect(buffer.stepUpdates.get('s')).toEqual({ status: 'success', errorMessage: 'first', durationMs: null });
    expect(first).toEqual({ status: 'error', errorMessage: 'first', durationMs: 3 });
    expect(second).toEqual({ status: 'success', errorMessage: undefined, durationMs: null });
  });
});
