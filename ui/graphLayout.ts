import type { WorkflowShape } from './api';

export interface PlacedNode {
  id: string;
  name: string;
  type: string;
  /** Its topological layer: 0 for the roots, else one more than its deepest upstream node. */
  layer: number;
  /** Its place within the layer, in declaration order. */
  row: number;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: { from: PlacedNode; to: PlacedNode; output: string }[];
  layers: number;
  rows: number;
}

/**
 * A layered layout of a workflow's shape: each node in the layer after its deepest upstream node
 * (longest path), in declaration order within a layer. A shape that loops (the runner refuses one,
 * but the stored JSON is data) puts the nodes of the loop after the others instead of hanging.
 */
export function layoutGraph(shape: WorkflowShape): GraphLayout {
  const ids = new Set(shape.nodes.map((node) => node.id));
  const edges = shape.edges.filter((edge) => ids.has(edge.from) && ids.has(edge.to) && edge.from !== edge.to);
  const upstream = new Map<string, string[]>(shape.nodes.map((node) => [node.id, []]));
  for (const edge of edges) upstream.get(edge.to)!.push(edge.from);
  const layer = new Map<string, number>();
  // Kahn's order, relaxing each node's layer from its placed upstream nodes; nodes left over loop.
  let pending = shape.nodes.map((node) => node.id);
  while (pending.length > 0) {
    const ready = pending.filter((id) => upstream.get(id)!.every((from) => layer.has(from)));
    const next = ready.length > 0 ? ready : [pending[0]!];
    for (const id of next) layer.set(id, Math.max(-1, ...upstream.get(id)!.map((from) => layer.get(from) ?? -1)) + 1);
    const placed = new Set(next);
    pending = pending.filter((id) => !placed.has(id));
  }
  const perLayer: number[] = [];
  const placed = new Map<string, PlacedNode>();
  const nodes = shape.nodes
    .filter((node, index) => shape.nodes.findIndex((other) => other.id === node.id) === index)
    .map((node) => {
      const at = layer.get(node.id)!;
      const row = perLayer[at] ?? 0;
      perLayer[at] = row + 1;
      const placedNode = { id: node.id, name: node.name, type: node.type, layer: at, row };
      placed.set(node.id, placedNode);
      return placedNode;
    });
  return {
    nodes,
    edges: edges.map((edge) => ({ from: placed.get(edge.from)!, to: placed.get(edge.to)!, output: edge.output })),
    layers: perLayer.length,
    rows: Math.max(0, ...perLayer.map((count) => count ?? 0)),
  };
}
