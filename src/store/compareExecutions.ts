import type { ExecutionStep, WorkflowExecution } from '../entities';
import { jsonDiff, type JsonDiff, type JsonDiffOptions } from './jsonDiff';

/** What `store.compareExecutions(a, b)` returns: run a against run b, node by node. */
export interface ExecutionComparison {
  a: ExecutionSummary;
  b: ExecutionSummary;
  /** False when the two runs are of different workflows: allowed, and said here. */
  sameWorkflow: boolean;
  statusChanged: boolean;
  /** b's duration minus a's, in ms; null unless both finished with a duration. */
  durationChangeMs: number | null;
  /** One entry per node occurrence, in order of first appearance: a's order, a step only in b just before the next step both runs have. */
  steps: StepComparison[];
  counts: ComparisonCounts;
  /**
   * The child executions of both runs, paired; those present in both compared in turn. Null when
   * they were not looked at: `maxDepth` was reached.
   */
  children: ChildComparison[] | null;
}

export interface ComparisonCounts {
  /** Node occurrences present in both runs. */
  matched: number;
  /** Of those, how many differ in status or in input/output data. */
  changed: number;
  onlyInA: number;
  onlyInB: number;
}

export interface ExecutionSummary {
  id: string;
  workflowId: string;
  workflowName: string;
  status: string;
  triggerType: string;
  startedAt: number;
  durationMs: number | null;
  errorMessage: string | null;
  /** Null for a child on one side only, whose steps are not loaded. */
  stepCount: number | null;
}

export interface StepSummary {
  id: string;
  stepIndex: number;
  nodeType: string;
  nodeName: string | null;
  status: string;
  durationMs: number | null;
  errorMessage: string | null;
}

/**
 * The k-th step of node N in run a against the k-th step of N in run b (in `stepIndex` order).
 * A step on one side only has the other side null and no data diffs.
 */
export interface StepComparison {
  nodeId: string;
  /** 0 for the node's first step in its run, 1 for its second (a loop, a retry)… */
  occurrence: number;
  presence: 'both' | 'onlyA' | 'onlyB';
  a: StepSummary | null;
  b: StepSummary | null;
  statusChanged: boolean;
  /** b's duration minus a's, in ms; null unless both have one. */
  durationChangeMs: number | null;
  /** Paths of the input data added, removed and changed from a to b; null unless both sides exist. */
  input: JsonDiff | null;
  output: JsonDiff | null;
  /** On one side only, or a different status, or any input/output path changed. A duration alone is no change. */
  changed: boolean;
}

/**
 * A child execution (one started from inside a node) of either run. Children pair by the node
 * occurrence that started them (their `parentStepId`'s step, matched as steps are), then by
 * workflow id and start order; children with no parent step pair among themselves the same way.
 */
export interface ChildComparison {
  /** The node that started it; null when it names no step of its parent. */
  parentNodeId: string | null;
  parentOccurrence: number | null;
  workflowId: string;
  /** 0 for the first child of this workflow started by this node occurrence. */
  occurrence: number;
  presence: 'both' | 'onlyA' | 'onlyB';
  a: ExecutionSummary | null;
  b: ExecutionSummary | null;
  /** The two children compared; null when one is missing. */
  comparison: ExecutionComparison | null;
}

export interface CompareExecutionsOptions extends JsonDiffOptions {
  /** Levels of child executions compared: 0 compares the two runs only. @default 3 */
  maxDepth?: number;
}

/** One run as compared: its row and its steps in `stepIndex` order. */
export interface LoadedRun {
  execution: WorkflowExecution;
  steps: readonly ExecutionStep[];
}

/** Compares two loaded runs, without their children (`children` is left null for the caller to fill). */
export function compareRuns(a: LoadedRun, b: LoadedRun, options: JsonDiffOptions = {}): ExecutionComparison {
  const pairs = pairByOccurrence(
    a.steps,
    b.steps,
    (step) => step.nodeId,
    (step) => step.stepIndex,
  );
  const steps = pairs.map(({ key, occurrence, a: left, b: right }) => compareStep(key, occurrence, left, right, options));
  const counts: ComparisonCounts = { matched: 0, changed: 0, onlyInA: 0, onlyInB: 0 };
  for (const step of steps) {
    if (step.presence === 'onlyA') counts.onlyInA++;
    else if (step.presence === 'onlyB') counts.onlyInB++;
    else {
      counts.matched++;
      if (step.changed) counts.changed++;
    }
  }
  return {
    a: summarizeExecution(a),
    b: summarizeExecution(b),
    sameWorkflow: a.execution.workflowId === b.execution.workflowId,
    statusChanged: a.execution.status !== b.execution.status,
    durationChangeMs: change(a.execution.durationMs, b.execution.durationMs),
    steps,
    counts,
    children: null,
  };
}

function compareStep(
  nodeId: string,
  occurrence: number,
  a: ExecutionStep | null,
  b: ExecutionStep | null,
  options: JsonDiffOptions,
): StepComparison {
  if (a === null || b === null) {
    return {
      nodeId,
      occurrence,
      presence: a === null ? 'onlyB' : 'onlyA',
      a: a && summarizeStep(a),
      b: b && summarizeStep(b),
      statusChanged: false,
      durationChangeMs: null,
      input: null,
      output: null,
      changed: true,
    };
  }
  const input = jsonDiff(a.inputData ?? null, b.inputData ?? null, options);
  const output = jsonDiff(a.outputData ?? null, b.outputData ?? null, options);
  const statusChanged = a.status !== b.status;
  return {
    nodeId,
    occurrence,
    presence: 'both',
    a: summarizeStep(a),
    b: summarizeStep(b),
    statusChanged,
    durationChangeMs: change(a.durationMs, b.durationMs),
    input,
    output,
    changed: statusChanged || differs(input) || differs(output),
  };
}

/**
 * Pairs the child executions of two paired runs (see {@link ChildComparison}). `comparison` is
 * left null: the caller compares the pairs present on both sides once their steps are loaded.
 */
export function pairChildren(
  a: { run: LoadedRun; children: readonly WorkflowExecution[] },
  b: { run: LoadedRun; children: readonly WorkflowExecution[] },
): ChildComparison[] {
  const parentKeys = (run: LoadedRun) => {
    const keys = new Map<string, { nodeId: string; occurrence: number }>();
    const seen = new Map<string, number>();
    for (const step of run.steps) {
      const occurrence = seen.get(step.nodeId) ?? 0;
      seen.set(step.nodeId, occurrence + 1);
      keys.set(step.id, { nodeId: step.nodeId, occurrence });
    }
    return keys;
  };
  const keysA = parentKeys(a.run);
  const keysB = parentKeys(b.run);
  const parentOf = (keys: Map<string, { nodeId: string; occurrence: number }>, child: WorkflowExecution) =>
    child.parentStepId === null ? undefined : keys.get(child.parentStepId);
  // The key holds the parent node occurrence and the workflow; JSON keeps any characters in them apart.
  const keyOf = (keys: Map<string, { nodeId: string; occurrence: number }>, child: WorkflowExecution) => {
    const parent = parentOf(keys, child);
    return JSON.stringify([parent?.nodeId ?? null, parent?.occurrence ?? null, child.workflowId]);
  };
  const pairs = pairByOccurrence(
    a.children,
    b.children,
    (child) => keyOf(keysA, child),
    (child) => child.startedAt,
    (child) => keyOf(keysB, child),
  );
  return pairs.map(({ occurrence, a: left, b: right }) => {
    const parent = left ? parentOf(keysA, left) : parentOf(keysB, right as WorkflowExecution);
    const child = (left ?? right) as WorkflowExecution;
    return {
      parentNodeId: parent?.nodeId ?? null,
      parentOccurrence: parent?.occurrence ?? null,
      workflowId: child.workflowId,
      occurrence,
      presence: left && right ? 'both' : left ? 'onlyA' : 'onlyB',
      a: left && summarizeExecution({ execution: left, steps: [] }, null),
      b: right && summarizeExecution({ execution: right, steps: [] }, null),
      comparison: null,
    };
  });
}

interface Pair<T> {
  key: string;
  occurrence: number;
  a: T | null;
  b: T | null;
}

/**
 * Pairs the k-th item of each key in `a` with the k-th of the same key in `b`. Order: a's items as
 * they come; an item only in b goes just before the next item of b that a has too (after a's own
 * items there), or last, so a node added in b shows where it ran, as a line diff shows a change.
 */
function pairByOccurrence<T>(
  a: readonly T[],
  b: readonly T[],
  keyOfA: (item: T) => string,
  order: (item: T) => number,
  keyOfB: (item: T) => string = keyOfA,
): Pair<T>[] {
  const sortedA = isSorted(a, order) ? a : [...a].sort((x, y) => order(x) - order(y));
  const sortedB = isSorted(b, order) ? b : [...b].sort((x, y) => order(x) - order(y));
  const pairs: (Pair<T> & { anchor: number; rank: number })[] = [];
  const indexOf = new Map<string, number>();
  const counts = new Map<string, number>();
  const occurrenceKey = (key: string, occurrence: number) => `${occurrence}:${key}`;
  for (const item of sortedA) {
    const key = keyOfA(item);
    const occurrence = counts.get(key) ?? 0;
    counts.set(key, occurrence + 1);
    indexOf.set(occurrenceKey(key, occurrence), pairs.length);
    pairs.push({ key, occurrence, a: item, b: null, anchor: pairs.length, rank: 0 });
  }
  counts.clear();
  let waiting: (Pair<T> & { anchor: number; rank: number })[] = [];
  let rank = 0;
  for (const item of sortedB) {
    const key = keyOfB(item);
    const occurrence = counts.get(key) ?? 0;
    counts.set(key, occurrence + 1);
    const index = indexOf.get(occurrenceKey(key, occurrence));
    const matched = index === undefined ? undefined : pairs[index];
    if (matched) {
      matched.b = item;
      for (const only of waiting) only.anchor = matched.anchor - 0.5;
      waiting = [];
    } else {
      const only = { key, occurrence, a: null, b: item, anchor: Infinity, rank: ++rank };
      waiting.push(only);
      pairs.push(only);
    }
  }
  return pairs
    .sort((x, y) => x.anchor - y.anchor || x.rank - y.rank)
    .map(({ key, occurrence, a: left, b: right }) => ({ key, occurrence, a: left, b: right }));
}

function isSorted<T>(items: readonly T[], order: (item: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (order(items[i - 1] as T) > order(items[i] as T)) return false;
  return true;
}

/** Any change, listed or only counted (`maxPaths` 0 lists none). */
function differs(diff: JsonDiff): boolean {
  return diff.changes.length > 0 || diff.omitted > 0;
}

function change(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : b - a;
}

function summarizeExecution(run: LoadedRun, stepCount: number | null = run.steps.length): ExecutionSummary {
  const e = run.execution;
  return {
    id: e.id,
    workflowId: e.workflowId,
    workflowName: e.workflowName,
    status: e.status,
    triggerType: e.triggerType,
    startedAt: e.startedAt,
    durationMs: e.durationMs,
    errorMessage: e.errorMessage,
    stepCount,
  };
}

function summarizeStep(step: ExecutionStep): StepSummary {
  return {
    id: step.id,
    stepIndex: step.stepIndex,
    nodeType: step.nodeType,
    nodeName: step.nodeName,
    status: step.status,
    durationMs: step.durationMs,
    errorMessage: step.errorMessage,
  };
}
