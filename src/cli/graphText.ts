import type { ExecutionStep } from '../entities';
import { incomingEdges } from '../runner/definition/shapeGraph';
import type { ShapeEdge, WorkflowShape } from '../store/WorkflowShape';
import { colorStatus, renderTable, sanitize, type Palette } from './format';

/** What `show --graph` says for a node the execution has no step of. */
export const NOT_RUN = 'not run';

/**
 * A workflow's graph as `flowtrail show --graph` prints it: one line per node, in topological
 * order (declaration order among nodes ready together), indented by its depth (the longest path
 * from a root), with its status in this run and where its inputs come from (`node.output`, and
 * `→ input` when the input has another name). A condition's branch is the output its edge
 * leaves from: `check.true`.
 */
export function renderGraph(shape: WorkflowShape, steps: readonly ExecutionStep[], palette: Palette): string {
  const incoming = incomingEdges(shape);
  const statusOf = new Map<string, string>();
  const attempts = new Map<string, number>();
  for (const step of steps) {
    if (!statusOf.has(step.nodeId)) statusOf.set(step.nodeId, step.status);
    const retried = /^(.*)#\d+$/.exec(step.nodeId)?.[1];
    if (retried !== undefined) attempts.set(retried, (attempts.get(retried) ?? 0) + 1);
  }
  const depth = depths(shape, incoming);
  const rows = topologicalOrder(shape, incoming).map((id) => {
    const node = shape.nodes.find((candidate) => candidate.id === id)!;
    const status = statusOf.get(id);
    const tries = attempts.get(id);
    const sources = incoming.get(id) ?? [];
    return [
      '  '.repeat(depth.get(id) ?? 0) + sanitize(node.id),
      sanitize(node.type),
      sanitize(node.name),
      (status === undefined ? palette.dim(NOT_RUN) : colorStatus(status, palette)) +
        (tries === undefined ? '' : ` (${tries} ${tries === 1 ? 'attempt' : 'attempts'})`),
      sources.length === 0 ? palette.dim('(trigger)') : sources.map(describeSource).join(', '),
    ];
  });
  return renderTable(
    [
      { header: 'NODE' },
      { header: 'TYPE', maxWidth: 20 },
      { header: 'NAME', maxWidth: 28 },
      { header: 'STATUS' },
      { header: 'INPUTS FROM' },
    ],
    rows,
    palette,
  );
}

function describeSource(edge: ShapeEdge): string {
  const source = `${sanitize(edge.from)}.${sanitize(edge.output)}`;
  return edge.input === edge.output ? source : `${source} → ${sanitize(edge.input)}`;
}

/** Kahn's order, taking ready nodes in declaration order; nodes on a cycle (a damaged definition) come last. */
function topologicalOrder(shape: WorkflowShape, incoming: ReadonlyMap<string, readonly ShapeEdge[]>): string[] {
  const waiting = new Map(shape.nodes.map((node) => [node.id, incoming.get(node.id)?.length ?? 0]));
  const order: string[] = [];
  const placed = new Set<string>();
  for (let progress = true; progress;) {
    progress = false;
    for (const node of shape.nodes) {
      if (placed.has(node.id) || (waiting.get(node.id) ?? 0) > 0) continue;
      placed.add(node.id);
      order.push(node.id);
      progress = true;
      for (const edge of shape.edges) if (edge.from === node.id) waiting.set(edge.to, (waiting.get(edge.to) ?? 0) - 1);
      break;
    }
  }
  for (const node of shape.nodes) if (!placed.has(node.id)) order.push(node.id);
  return order;
}

/** Each node's longest path from a root, in edges. */
function depths(shape: WorkflowShape, incoming: ReadonlyMap<string, readonly ShapeEdge[]>): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const value = Math.max(-1, ...(incoming.get(id) ?? []).map((edge) => of(edge.from))) + 1;
    visiting.delete(id);
    depth.set(id, value);
    return value;
  };
  for (const node of shape.nodes) of(node.id);
  return depth;
}
