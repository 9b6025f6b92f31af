import type { ExecutionDetail, ExecutionSummary, StepSummary } from '../../ui/api';
import { timelineRows, type Expansion, type TimelineRow } from '../../ui/timelineRows';

let next = 0;
function step(
  nodeId: string,
  startedAt: number,
  completedAt: number | null,
  status: StepSummary['status'] = 'success',
  nodeType = 'function',
): StepSummary {
  const index = next++;
  return {
    id: `s${index}`,
    executionId: 'e',
    nodeId,
    nodeType,
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

const retry = (nodeId: string, startedAt: number, completedAt: number) => step(nodeId, startedAt, completedAt, 'success', 'retry');
const attempt = (nodeId: string, startedAt: number, completedAt: number, status: StepSummary['status'] = 'success') =>
  step(nodeId, startedAt, completedAt, status, 'retry-attempt');

function child(id: string, parentStepId: string): ExecutionSummary {
  return { id, parentStepId, parentExecutionId: 'e', workflowId: `wf-${id}`, workflowName: '' } as ExecutionSummary;
}
function loaded(steps: StepSummary[]): Expansion {
  return { state: 'loaded', detail: { steps, children: [] } as unknown as ExecutionDetail };
}

const lanes = (rows: TimelineRow[]) =>
  rows.map((row) =>
    row.kind === 'step'
      ? `${row.step.nodeId}:${row.depth}:${row.lane}`
      : row.kind === 'child'
        ? `child ${row.child.id}:${row.depth}`
        : row.text,
  );

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
    const steps = [
      retry('crm', 0, 50),
      attempt('crm#1', 1, 10, 'error'),
      step('other', 2, 40),
      attempt('crm#2', 20, 30),
      step('x#1', 60, 61),
    ];
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

  test('a try of a retry inside a try is drawn under it; a try whose parent is no retry is a step of its own', () => {
    const steps = [retry('x', 0, 50), retry('x#1', 1, 40), attempt('x#1#1', 2, 30), attempt('y#1', 60, 61), step('y#1#1', 62, 63)];
    const rows = timelineRows({ steps, children: [] }, new Map());
    expect(lanes(rows)).toEqual(['x:0:0', 'x#1:1:0', 'x#1#1:2:0', 'y#1:0:0', 'y#1#1:0:0']);
  });

  test('a node id of the user’s own ending in #n is not a try of the node before it', () => {
    const rows = timelineRows({ steps: [step('order', 0, 10), step('order#2', 10, 20)], children: [] }, new Map());
    expect(lanes(rows)).toEqual(['order:0:0', 'order#2:0:0']);
    expect(rows.map((row) => (row.kind === 'step' ? [row.attempt, row.tries] : null))).toEqual([
      [null, 0],
      [null, 0],
    ]);
  });

  test('every step yields exactly one row, whatever its node id and type', () => {
    // A fixed pseudo-random walk over ids built of #n suffixes and the node types that matter.
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const ids = ['a', 'a#1', 'a#2', 'a#1#1', 'a#1#2', 'a#1#1#1', 'b#1', 'order#2', 'a#x'];
    const types = ['retry', 'retry-attempt', 'function'];
    for (let round = 0; round < 50; round++) {
      const steps = Array.from({ length: 12 }, () => {
        const start = random(100);
        return step(ids[random(ids.length)]!, start, start + random(30), 'success', types[random(types.length)]);
      });
      const rows = timelineRows({ steps, children: [] }, new Map());
      const drawn = rows.flatMap((row) => (row.kind === 'step' ? [row.step.id] : []));
      expect(drawn.sort()).toEqual(steps.map((one) => one.id).sort());
    }
  });

  test('a child started inside a retry’s try gets its disclosure on the try', () => {
    const steps = [retry('pay', 0, 50), attempt('pay#1', 1, 10, 'error'), attempt('pay#2', 20, 30)];
    const rows = timelineRows({ steps, children: [child('c1', steps[2]!.id)] }, new Map([['c1', loaded([step('inner', 21, 22)])]]));
    expect(lanes(rows)).toEqual(['pay:0:0', 'pay#1:1:0', 'pay#2:1:0', 'inner:2:0']);
    const second = rows[2]!;
    expect(second.kind === 'step' && [second.child?.id, second.expanded]).toEqual(['c1', true]);
  });

  test('a step that started several children lists each, each expanded on its own', () => {
    const loop = step('loop', 0, 50);
    const children = [child('c1', loop.id), child('c2', loop.id), child('c3', loop.id)];
    const rows = timelineRows({ steps: [loop, step('after', 50, 60)], children }, new Map([['c2', loaded([step('inside c2', 10, 20)])]]));
    expect(lanes(rows)).toEqual(['loop:0:0', 'child c1:1', 'child c2:1', 'inside c2:2:0', 'child c3:1', 'after:0:0']);
    expect(rows.map((row) => (row.kind === 'child' ? [row.number, row.of, row.expanded] : row.kind))).toEqual([
      'step',
      [1, 3, false],
      [2, 3, true],
      'step',
      [3, 3, false],
      'step',
    ]);
    // The step itself has no single child to disclose: its children's rows do.
    expect(rows[0]!.kind === 'step' && rows[0]!.child).toBe(null);
  });
});
