import type { ExecutionStep, WorkflowExecution } from '../entities';
import { NotFoundError, QueryError } from '../errors';
import { compareRuns, pairChildren, type CompareExecutionsOptions, type ExecutionComparison, type LoadedRun } from './compareExecutions';
import type { HistoryReader } from './HistoryReader';
import { DEFAULT_MAX_PATHS, DEFAULT_MAX_VALUE_BYTES } from './jsonDiff';
import { IDS_PER_QUERY } from './HistoryReader';
import { requireId } from './queryArguments';

export const DEFAULT_MAX_DEPTH = 3;
const MAX_DEPTH_LIMIT = 10;

interface Level {
  a: LoadedRun;
  b: LoadedRun;
  comparison: ExecutionComparison;
}

/**
 * Loads two executions and compares them (see {@link ExecutionComparison}), with their child
 * executions level by level down to `maxDepth`. Queries: one for the two rows, one for their steps,
 * then per level one for the children of every pair and one for the steps of the children present
 * on both sides. A parent link that loops back cannot make it run away: the depth bounds it.
 * @throws NotFoundError when either id names no execution; QueryError for an argument that is not an id or an option out of range.
 */
export async function compareStoredExecutions(
  reader: HistoryReader,
  idA: string,
  idB: string,
  options: CompareExecutionsOptions = {},
): Promise<ExecutionComparison> {
  requireId(idA, 'a');
  requireId(idB, 'b');
  const diff = {
    maxPaths: optionalInteger(options.maxPaths, 'maxPaths', 0, 100_000) ?? DEFAULT_MAX_PATHS,
    maxValueBytes: optionalInteger(options.maxValueBytes, 'maxValueBytes', 16, 1_000_000) ?? DEFAULT_MAX_VALUE_BYTES,
  };
  const maxDepth = optionalInteger(options.maxDepth, 'maxDepth', 0, MAX_DEPTH_LIMIT) ?? DEFAULT_MAX_DEPTH;

  const rows = await reader.getExecutions(idA === idB ? [idA] : [idA, idB]);
  const executionA = rows.get(idA);
  const executionB = rows.get(idB);
  if (!executionA) throw new NotFoundError('execution', idA);
  if (!executionB) throw new NotFoundError('execution', idB);
  const steps = await reader.getStepsOf([...new Set([executionA.id, executionB.id])]);
  const runA = { execution: executionA, steps: steps.get(executionA.id) ?? [] };
  const runB = { execution: executionB, steps: steps.get(executionB.id) ?? [] };
  const top: Level = { a: runA, b: runB, comparison: compareRuns(runA, runB, diff) };

  let level = [top];
  for (let depth = 0; depth < maxDepth && level.length > 0; depth++) {
    const parentIds = new Set(level.flatMap(({ a, b }) => [a.execution.id, b.execution.id]));
    const childrenOf = groupBy(await reader.getChildrenOf([...parentIds]), (child) => child.parentExecutionId as string);
    const pairs: { a: WorkflowExecution; b: WorkflowExecution; set(comparison: ExecutionComparison): void }[] = [];
    for (const { a, b, comparison } of level) {
      const children = pairChildren(
        { run: a, children: childrenOf.get(a.execution.id) ?? [] },
        { run: b, children: childrenOf.get(b.execution.id) ?? [] },
      );
      comparison.children = children;
      // The rows behind each pair, found again by id: pairChildren keeps only summaries.
      const rowsA = new Map((childrenOf.get(a.execution.id) ?? []).map((row) => [row.id, row]));
      const rowsB = new Map((childrenOf.get(b.execution.id) ?? []).map((row) => [row.id, row]));
      for (const child of children) {
        const left = child.a && rowsA.get(child.a.id);
        const right = child.b && rowsB.get(child.b.id);
        if (left && right) pairs.push({ a: left, b: right, set: (result) => (child.comparison = result) });
      }
    }
    const childSteps = await stepsOf(reader, [...new Set(pairs.flatMap(({ a, b }) => [a.id, b.id]))]);
    level = pairs.map(({ a, b, set }) => {
      const left = { execution: a, steps: childSteps.get(a.id) ?? [] };
      const right = { execution: b, steps: childSteps.get(b.id) ?? [] };
      const comparison = compareRuns(left, right, diff);
      set(comparison);
      return { a: left, b: right, comparison };
    });
  }
  return top.comparison;
}

/** getStepsOf, in as many queries as the ids need. */
async function stepsOf(reader: HistoryReader, ids: readonly string[]): Promise<Map<string, ExecutionStep[]>> {
  const all = new Map<string, ExecutionStep[]>();
  for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
    for (const [id, steps] of await reader.getStepsOf(ids.slice(start, start + IDS_PER_QUERY))) all.set(id, steps);
  }
  return all;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function optionalInteger(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QueryError(field, `${String(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}
