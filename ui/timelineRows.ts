import type { ExecutionDetail, ExecutionSummary, StepSummary } from './api';

/** A child execution the page was asked to show in place: being read, read, or failed to read. */
export type Expansion = { state: 'loading' } | { state: 'loaded'; detail: ExecutionDetail } | { state: 'failed'; message: string };

/** One line of the timeline: a step, or a note in place of a child's steps (loading, failed). */
export type TimelineRow =
  | {
      kind: 'step';
      step: StepSummary;
      /** 0 for the execution's own steps; tries of a retry and a child's steps one deeper than their step. */
      depth: number;
      /** Among the steps at the same depth under the same parent: steps that overlap in time get different lanes. */
      lane: number;
      /** A retry's try: its number. */
      attempt: number | null;
      /** A retry's step: how many tries it made. */
      tries: number;
      /** The execution this step started (a sub-workflow), when there is one. */
      child: ExecutionSummary | null;
      /** Whether that child's steps are shown under it. */
      expanded: boolean;
    }
  | { kind: 'note'; key: string; depth: number; text: string };

const TRY = /^(.*)#([0-9]+)$/;

/**
 * The timeline's rows: the steps in start order, each followed by its retry's tries and, when
 * expanded, its child execution's steps (recursively). Lanes are assigned greedily: each step
 * takes the lowest lane whose previous step ended by the time it started, so steps that ran in
 * parallel sit in different lanes and a sequence stays in lane 0.
 */
export function timelineRows(
  detail: Pick<ExecutionDetail, 'steps' | 'children'>,
  expanded: ReadonlyMap<string, Expansion>,
  depth = 0,
): TimelineRow[] {
  const { steps, children } = detail;
  const childOf = new Map<string, ExecutionSummary>();
  for (const child of children) if (child.parentStepId !== null && !childOf.has(child.parentStepId)) childOf.set(child.parentStepId, child);

  // A try `<id>#n` belongs to the step of node `<id>` that started last at or before it.
  const byNode = new Map<string, StepSummary[]>();
  for (const step of steps) listIn(byNode, step.nodeId).push(step);
  const triesOf = new Map<string, StepSummary[]>();
  const own: StepSummary[] = [];
  for (const step of steps) {
    const match = TRY.exec(step.nodeId);
    const parent = match && (byNode.get(match[1]!) ?? []).filter((candidate) => candidate.startedAt <= step.startedAt).pop();
    if (parent) listIn(triesOf, parent.id).push(step);
    else own.push(step);
  }

  const rows: TimelineRow[] = [];
  const lanes = assignLanes(own);
  for (const step of own) {
    const tries = triesOf.get(step.id) ?? [];
    const child = childOf.get(step.id) ?? null;
    const expansion = child && expanded.get(step.id);
    rows.push({ kind: 'step', step, depth, lane: lanes.get(step)!, attempt: null, tries: tries.length, child, expanded: !!expansion });
    const tryLanes = assignLanes(tries);
    for (const attempt of tries) {
      const number = Number(TRY.exec(attempt.nodeId)![2]);
      rows.push({
        kind: 'step',
        step: attempt,
        depth: depth + 1,
        lane: tryLanes.get(attempt)!,
        attempt: number,
        tries: 0,
        child: null,
        expanded: false,
      });
    }
    if (!expansion) continue;
    if (expansion.state === 'loading')
      rows.push({ kind: 'note', key: `${step.id} loading`, depth: depth + 1, text: 'Loading the child execution…' });
    else if (expansion.state === 'failed') rows.push({ kind: 'note', key: `${step.id} failed`, depth: depth + 1, text: expansion.message });
    // A child's own children expand the same way; a history whose links loop stops at a depth no real nesting reaches.
    else if (depth < 20) rows.push(...timelineRows(expansion.detail, expanded, depth + 1));
  }
  return rows;
}

function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** Greedy interval partitioning in start order (ties in the given order): step → lane. */
function assignLanes(steps: StepSummary[]): Map<StepSummary, number> {
  const order = steps.map((step, index) => ({ step, index })).sort((a, b) => a.step.startedAt - b.step.startedAt || a.index - b.index);
  const ends: number[] = [];
  const lanes = new Map<StepSummary, number>();
  for (const { step } of order) {
    const end = step.completedAt ?? (step.status === 'running' ? Infinity : step.startedAt);
    let lane = ends.findIndex((laneEnd) => laneEnd <= step.startedAt);
    if (lane === -1) lane = ends.push(end) - 1;
    else ends[lane] = end;
    lanes.set(step, lane);
  }
  return lanes;
}
