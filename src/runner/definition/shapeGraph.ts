import type { ShapeEdge, WorkflowShape } from '../../store/WorkflowShape';

/** Each node's incoming edges, by node id (every node of the shape has an entry). */
export function incomingEdges(shape: WorkflowShape): Map<string, ShapeEdge[]> {
  const incoming = new Map<string, ShapeEdge[]>(shape.nodes.map((node) => [node.id, []]));
  for (const edge of shape.edges) incoming.get(edge.to)?.push(edge);
  return incoming;
}

/**
 * Every node reached from `starts` by one or more steps of `next` (a start only when reached
 * again). Each node is walked once, so a cycle in a damaged definition ends.
 */
export function reachable(starts: Iterable<string>, next: (node: string) => Iterable<string>): Set<string> {
  const found = new Set<string>();
  const walk = [...starts];
  for (let node = walk.pop(); node !== undefined; node = walk.pop()) {
    for (const reached of next(node)) {
      if (found.has(reached)) continue;
      found.add(reached);
      walk.push(reached);
    }
  }
  return found;
}
