import { mergeUpdatesById } from '../src/store/mergeUpdatesById';

describe('mergeUpdatesById', () => {
  test('one update per id in first-seen order, later defined keys winning, the patches passed left as they were', () => {
    const first = { status: 'error', errorMessage: 'first', durationMs: 3 as number | null };
    const second = { status: 'success', errorMessage: undefined, durationMs: null };
    const updates = [
      { id: 'a', patch: first },
      { id: 'b', patch: { status: 'running' } },
      { id: 'a', patch: second },
    ];
    expect(mergeUpdatesById(updates)).toEqual([
      { id: 'a', patch: { status: 'success', errorMessage: 'first', durationMs: null } },
      { id: 'b', patch: { status: 'running' } },
    ]);
    expect(first).toEqual({ status: 'error', errorMessage: 'first', durationMs: 3 });
    expect(second).toEqual({ status: 'success', errorMessage: undefined, durationMs: null });
  });

  test('without a repeated id, the same array back', () => {
    const updates = [
      { id: 'a', patch: { status: 'success' } },
      { id: 'b', patch: { status: 'error' } },
    ];
    expect(mergeUpdatesById(updates)).toBe(updates);
  });
});
