import type { StepSummary } from '../../ui/api';
import { timelineRows, type TimelineRow } from '../../ui/timelineRows';

let next = 0;
function step(nodeId: string, startedAt: number, completedAt: number | null, status: StepSummary['status'] = 'success'): StepSummary {
  const index = next++;
  return {
    id: `s${index}`,
    executionId: 'e',
    nodeId,
    nodeType: 'function',
    nodeName: null,
    stepIndex: index,
    startedAt,
    completedAt,
    durationMs: completedAt === null ? null : completedAt - startedAt,
    status,
    errorMessage: null,
    hasInput: false,
    hasOutput: false,
    hasErrorStack: false,
  };
}

const lanes = (rows: TimelineRow[]) => rows.map((row) => (row.kind === 'step' ? `${row.step.nodeId}:${row.depth}:${row.lane}` : row.text));

// The layout the browser suite checks on real runs, here on the edge cases a run rarely hits on cue.
describe('timelineRows', () => {
  test('a step that starts as another ends shares its lane; overlapping ones take the lowest free lane', () => {
    const steps = [step('a', 0, 10), step('b', 10, 30), step('c', 12, 20), step('d', 15, 40), step('e', 20, 25), step('f', 30, 31)];
    expect(lanes(timelineRows({ steps, children: [] }, new Map()))).toEqual(['a:0:0', 'b:0:0', 'c:0:1', 'd:0:2', 'e:0:1', 'f:0:0']);
  });

  test('a running step holds its lane open; a skipped one takes no time', () => {
    const steps = [step('run', 0, null, 'running'), step('skip', 5, null, 'skipped'), step('later', 5, 6)];
    expect(lanes(timelineRows({ steps, children: [] }, new Map()))).toEqual(['run:0:0', 'skip:0:1', 'later:0:1']);
  });

  test("a retry's tries go under the step of their node that started last before them, not among its siblings", () => {
    const steps = [step('crm', 0, 50), step('crm#1', 1, 10, 'error'), step('other', 2, 40), step('crm#2', 20, 30), step('x#1', 60, 61)];
    const rows = timelineRows({ steps, children: [] }, new Map());
    expect(lanes(rows)).toEqual(['crm:0:0', 'crm#1:1:0', 'crm#2:1:0', 'other:0:1', 'x#1:0:0']);
    expect(rows.map((row) => (row.kind === 'step' ? [row.attempt, row.tries] : null))).toEqual([
      [null, 2],
      [1, 0],
      [2, 0],
      [null, 0],
      [null, 0],
    ]);
  });
});
