import type { ExecutionDetail, ExecutionSummary, StepSummary } from './api';

/** A child execution the page was asked to show in place: being read, read, or failed to read. */
export type Expansion = { state: 'loading' } | { state: 'loaded'; detail: ExecutionDetail } | { state: 'failed'; message: string };

/** One line of the timeline: a step, a child execution of a step that started several, or a note (loading, failed). */
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
      /** The execution this step started (a sub-workflow) when it started exactly one; several get a `child` row each. */
      child: ExecutionSummary | null;
      /** Whether that child's steps are shown under it. */
      expanded: boolean;
    }
  | { kind: 'child'; key: string; depth: number; child: ExecutionSummary; expanded: boolean; number: number; of: number }
  | { kind: 'note'; key: string; depth: number; text: string };

const TRY = /^(.*)#([0-9]+)$/;
/** RetryNode's `type`, stored as its step's nodeType: only its step has tries. */
const RETRY = 'retry';

/**
 * The timeline's rows: the steps in start order, each followed by its retry's tries (recursively)
 * and its child executions: one it started is expanded on its own row; several get a row each.
 * An expanded child's steps follow (recursively), keyed by the child's id in `expanded`. Every
 * step yields exactly one row. Lanes are assigned greedily: each step takes the lowest lane whose
 * previous step ended by the time it started, so steps that ran in parallel sit in different
 * lanes and a sequence stays in lane 0.
 */
export function timelineRows(
  detail: Pick<ExecutionDetail, 'steps' | 'children'>,
  expanded: ReadonlyMap<string, Expansion>,
  depth = 0,
): TimelineRow[] {
  const { steps, children } = detail;
  const childrenOf = new Map<string, ExecutionSummary[]>();
  for (const child of children) if (child.parentStepId !== null) listIn(childrenOf, child.parentStepId).push(child);

  // A try `<id>#n` belongs to the retry step of node `<id>` that started last at or before it;
  // `<id>#n` under any other step is a node id of the user's own.
  const retries = new Map<string, StepSummary[]>();
  for (const step of steps) if (step.nodeType === RETRY) listIn(retries, step.nodeId).push(step);
  const triesOf = new Map<string, StepSummary[]>();
  const own: StepSummary[] = [];
  for (const step of steps) {
    const match = TRY.exec(step.nodeId);
    const parent = match && (retries.get(match[1]!) ?? []).filter((candidate) => candidate.startedAt <= step.startedAt).pop();
    if (parent) listIn(triesOf, parent.id).push(step);
    else own.push(step);
  }

  const rows: TimelineRow[] = [];
  // A try's parent has a shorter node id than the try, so this recursion cannot loop.
  const emit = (group: StepSummary[], at: number, tries: boolean) => {
    const lanes = assignLanes(group);
    for (const step of group) {
      const itsTries = triesOf.get(step.id) ?? [];
      const started = childrenOf.get(step.id) ?? [];
      const only = started.length === 1 ? started[0]! : null;
      rows.push({
        kind: 'step',
        step,
        depth: at,
        lane: lanes.get(step)!,
        attempt: tries ? Number(TRY.exec(step.nodeId)![2]) : null,
        tries: itsTries.length,
        child: only,
        expanded: only !== null && expanded.has(only.id),
      });
      emit(itsTries, at + 1, true);
      if (only) rows.push(...childRows(only, at + 1, expanded, depth));
      else
        started.forEach((child, index) => {
          const expansion = expanded.has(child.id);
          rows.push({
            kind: 'child',
            key: `child ${child.id}`,
            depth: at + 1,
            child,
            expanded: expansion,
            number: index + 1,
            of: started.length,
          });
          rows.push(...childRows(child, at + 2, expanded, depth));
        });
    }
  };
  emit(own, depth, false);
  return rows;
}

/** An expanded child's rows at `at`: a note while it loads or when it failed, else its own timeline. */
function childRows(child: ExecutionSummary, at: number, expanded: ReadonlyMap<string, Expansion>, nesting: number): TimelineRow[] {
  const expansion = expanded.get(child.id);
  if (!expansion) return [];
  if (expansion.state === 'loading') return [{ kind: 'note', key: `${child.id} loading`, depth: at, text: 'Loading the child execution…' }];
  if (expansion.state === 'failed') return [{ kind: 'note', key: `${child.id} failed`, depth: at, text: expansion.message }];
  // A child's own children expand the same way; a history whose links loop stops at a depth no real nesting reaches.
  return nesting < 20 ? timelineRows(expansion.detail, expanded, at) : [];
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
