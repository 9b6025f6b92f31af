import { findLostData, type LostData } from '../../capture/lostData';
import type { ExecutionStep } from '../../entities';
import { RerunError, type RerunRefusal } from '../../errors';
import type { WorkflowShape } from '../../store/WorkflowShape';
import { incomingEdges, reachable } from '../definition/shapeGraph';
import type { NodeInputs, NodeOutputs } from '../types';
import { TRIGGER_INPUT, type WorkflowGraph } from '../Workflow';

/** A node of the re-run that does not run: its step of the original is recorded again as `reused`. */
export interface ReusedNode {
  /** The original step, whose id the new one points at and whose data it copies. */
  step: ExecutionStep;
  /** Its recorded outputs, delivered downstream as if it had just returned them. */
  outputs: NodeOutputs;
}

/** What a re-run does differently from a run: computed, and checked, before anything runs. */
export interface RerunPlan {
  readonly from: string;
  /** The original's step of `from`; null when `from` was never reached there. */
  readonly forkedFromStepId: string | null;
  readonly reused: ReadonlyMap<string, ReusedNode>;
  /** `from`'s inputs, when the caller replaced them. */
  readonly input: NodeInputs | undefined;
}

/** What the plan reads of the original execution. */
export interface OriginalRun {
  id: string;
  definitionHash: string | null;
  /** The stored definition of `definitionHash`; null when there is none. */
  definition: WorkflowShape | null;
  triggerData: unknown;
  steps: readonly ExecutionStep[];
}

type LostValue = { node: string } & LostData;

/** Statuses of a step whose recorded output stands for the node's result. */
const REUSABLE = new Set(['success', 'reused']);

/**
 * Decides which nodes of `graph` run again and which are reused from `original`, or refuses.
 *
 * `from` and everything downstream of it run. Every other node is taken from the original when
 * it succeeded there (or was itself reused); an untaken branch is skipped again because the
 * reused outputs take the same branch. A node beside `from` (neither up- nor downstream) that did
 * not succeed in the original (it failed, or a failure elsewhere stopped the run before it) runs
 * too, with what depends on it: otherwise the re-run would have no result for it. Upstream of
 * `from`, such a node is a refusal instead: re-run from it, or from earlier.
 * @throws RerunError (see `RerunRefusal` for each reason).
 */
export function planRerun(
  graph: WorkflowGraph,
  hash: string,
  original: OriginalRun,
  options: { from: string; input?: NodeInputs; force?: boolean },
): RerunPlan {
  const { from } = options;
  const refuse: Refuse = (reason, message, details) => new RerunError(reason, original.id, message, details);
  if (typeof from !== 'string' || !graph.nodes.has(from)) {
    throw refuse('unknown-node', `workflow "${graph.workflow.id}" has no node ${JSON.stringify(from)}`, { nodes: [String(from)] });
  }
  const upstream = ancestors(graph, from);
  if (original.definitionHash !== hash && options.force !== true) checkDefinition(graph, original, from, upstream, refuse);

  const stepOf = new Map<string, ExecutionStep>();
  for (const step of original.steps) if (graph.nodes.has(step.nodeId) && !stepOf.has(step.nodeId)) stepOf.set(step.nodeId, step);
  const missing = [...upstream].filter((node) => {
    const status = stepOf.get(node)?.status;
    return status === undefined || !(REUSABLE.has(status) || status === 'skipped');
  });
  if (missing.length > 0) {
    const described = missing.map((node) => `${node} (${stepOf.get(node)?.status ?? 'not reached'})`).join(', ');
    throw refuse('upstream-not-recorded', `upstream of "${from}", ${described} has no result to reuse; re-run from an earlier node`, {
      nodes: missing,
    });
  }

  const starts = [
    from,
    ...[...graph.nodes.keys()].filter((node) => node !== from && !upstream.has(node) && !REUSABLE.has(stepOf.get(node)?.status ?? '')),
  ];
  const runs = downstreamOf(graph, starts);
  const reused = new Map<string, ReusedNode>();
  for (const node of graph.nodes.keys()) {
    const step = stepOf.get(node);
    if (runs.has(node) || step === undefined || !REUSABLE.has(step.status)) continue;
    reused.set(node, { step, outputs: (step.outputData ?? {}) as NodeOutputs });
  }
  checkReusedData(graph, original, reused, options.input === undefined ? null : from, options.input, refuse);
  return { from, forkedFromStepId: stepOf.get(from)?.id ?? null, reused, input: options.input };
}

type Refuse = (reason: RerunRefusal, message: string, details?: { nodes?: readonly string[]; lost?: LostValue[] }) => RerunError;

/**
 * The stored definition must still have `from` and its upstream nodes, and the workflow given must
 * have them too; a node upstream of `from` now that was not then has nothing recorded either.
 */
function checkDefinition(graph: WorkflowGraph, original: OriginalRun, from: string, upstream: ReadonlySet<string>, refuse: Refuse): void {
  const stored = original.definition;
  if (stored === null) {
    const why =
      original.definitionHash === null ? 'it was recorded without a workflow definition' : 'its workflow definition is not stored';
    throw refuse('definition-missing', `${why}, so the graph it ran cannot be compared with this one (pass force: true to re-run anyway)`);
  }
  const storedNodes = new Set(stored.nodes.map((node) => node.id));
  const gone = storedNodes.has(from) ? [...shapeAncestors(stored, from)].filter((node) => !graph.nodes.has(node)) : [from];
  const added = [...upstream].filter((node) => !storedNodes.has(node));
  const changed = [...gone, ...added];
  if (changed.length === 0) return;
  const listed = changed.map((node) => `"${node}"`).join(', ');
  throw refuse(
    'definition-changed',
    `the workflow changed since it ran (definition ${original.definitionHash?.slice(0, 12) ?? '?'}): ${listed} ${
      changed.length === 1 ? 'is' : 'are'
    } not upstream of "${from}" in both (pass force: true to re-run anyway)`,
    { nodes: changed },
  );
}

/**
 * The reused outputs that a node of the re-run reads must be there, whole: not left uncaptured,
 * not truncated, redacted or otherwise lost by capture (the trigger data too, when a root runs).
 */
function checkReusedData(
  graph: WorkflowGraph,
  original: OriginalRun,
  reused: ReadonlyMap<string, ReusedNode>,
  overridden: string | null,
  input: NodeInputs | undefined,
  refuse: Refuse,
): void {
  const lost: LostValue[] = [];
  const uncaptured: string[] = [];
  for (const [node, { step, outputs }] of reused) {
    const read = (graph.outgoing.get(node) ?? []).filter((edge) => !reused.has(edge.to.node) && edge.to.node !== overridden);
    if (read.length === 0) continue;
    if (step.outputData === null || step.outputData === undefined) {
      uncaptured.push(node);
      continue;
    }
    const whole = findLostData(outputs, { limit: 1 }).find((found) => found.path === '$');
    if (whole !== undefined) {
      lost.push({ node, path: '$', kind: whole.kind });
      continue;
    }
    for (const output of new Set(read.map((edge) => edge.from.output))) {
      for (const found of findLostData(outputs[output], { base: [output] })) lost.push({ node, ...found });
    }
  }
  // A new trigger given as `from`'s input is what every root of the re-run reads: the original's is not.
  const triggerGiven =
    overridden !== null && graph.roots.some((root) => root.id === overridden) && Object.hasOwn(input ?? {}, TRIGGER_INPUT);
  const rootsRun = graph.roots.filter((root) => !reused.has(root.id) && root.id !== overridden);
  if (rootsRun.length > 0 && !triggerGiven) {
    if ((original.triggerData === null || original.triggerData === undefined) && !inputsCaptured(original)) {
      uncaptured.push(TRIGGER_INPUT);
    } else {
      for (const found of findLostData(original.triggerData)) lost.push({ node: TRIGGER_INPUT, ...found });
    }
  }
  if (uncaptured.length > 0) {
    throw refuse(
      'output-not-recorded',
      uncaptured
        .map((node) =>
          node === TRIGGER_INPUT
            ? 'the trigger data was not captured there (captureInputs off)'
            : `the output of "${node}" was not captured there (captureOutputs off)`,
        )
        .join('; ') + ', and the re-run needs it (pass input, or re-run from earlier)',
      { nodes: uncaptured },
    );
  }
  if (lost.length > 0) {
    const listed = lost.map((item) => `${item.node} ${item.path} (${item.kind})`).join(', ');
    throw refuse('output-incomplete', `a recorded value the re-run needs lost data when it was captured: ${listed}`, {
      nodes: [...new Set(lost.map((item) => item.node))],
      lost,
    });
  }
}

/**
 * Whether the original recorded its inputs: a step with input data shows it. Without, a trigger
 * stored as null may be data that was not captured (`captureInputs: false`) rather than none.
 */
function inputsCaptured(original: OriginalRun): boolean {
  return original.steps.some((step) => step.inputData !== null && step.inputData !== undefined);
}

/** Every node `node` depends on, transitively. */
function ancestors(graph: WorkflowGraph, node: string): Set<string> {
  return reachable([node], (next) => (graph.incoming.get(next) ?? []).map((edge) => edge.from.node));
}

/** Every node `node` depended on in a stored definition, transitively. */
function shapeAncestors(shape: WorkflowShape, node: string): Set<string> {
  const incoming = incomingEdges(shape);
  return reachable([node], (next) => (incoming.get(next) ?? []).map((edge) => edge.from));
}

/** `starts` and every node downstream of any of them. */
function downstreamOf(graph: WorkflowGraph, starts: readonly string[]): Set<string> {
  return new Set([...starts, ...reachable(starts, (next) => (graph.outgoing.get(next) ?? []).map((edge) => edge.to.node))]);
}
