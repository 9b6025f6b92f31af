/**
 * The shape of a workflow as `workflow_definitions.definition` holds it: nodes and edges, never
 * functions or data. The runner builds it (`runner/definition/workflowShape.ts`) and stores it
 * once per hash; `store.getDefinition(hash)` reads it back, `flowtrail show --graph` draws it.
 */
export interface WorkflowShape {
  /** The format of this JSON; a reader refuses one it does not know. */
  format: 1;
  id: string;
  name: string;
  /** In declaration order. */
  nodes: ShapeNode[];
  /** In declaration order: output `output` of node `from` feeds input `input` of node `to`. */
  edges: ShapeEdge[];
}

export interface ShapeNode {
  id: string;
  type: string;
  name: string;
  /** Inputs the node cannot run without; left out when it has none. */
  requiredInputs?: string[];
  /** The outputs the node declares (a condition's `true` and `false`); left out when it declares none. */
  outputNames?: string[];
}

export interface ShapeEdge {
  from: string;
  /** The output that feeds the edge: for a condition, the branch (`true` / `false`). */
  output: string;
  to: string;
  input: string;
}

/** What a stored definition row holds, with its JSON parsed. */
export interface StoredDefinition {
  /** sha256 hex of the canonical JSON. */
  hash: string;
  workflowId: string;
  definition: WorkflowShape;
  createdAt: number;
}

/**
 * `text` parsed as a WorkflowShape, or null when it is not one (damaged, of a format this release
 * does not read, or missing a field a reader uses: `StartExecutionParams.definition` takes any JSON).
 */
export function parseWorkflowShape(text: unknown): WorkflowShape | null {
  let value: unknown = text;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }
  const shape = value as Partial<WorkflowShape> | null;
  if (typeof shape !== 'object' || shape === null || shape.format !== 1) return null;
  if (typeof shape.id !== 'string' || typeof shape.name !== 'string' || !Array.isArray(shape.nodes) || !Array.isArray(shape.edges)) {
    return null;
  }
  return shape.nodes.every(isShapeNode) && shape.edges.every(isShapeEdge) ? (shape as WorkflowShape) : null;
}

function isShapeNode(node: unknown): node is ShapeNode {
  const candidate = node as Partial<ShapeNode> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    [candidate.id, candidate.type, candidate.name].every((field) => typeof field === 'string') &&
    [candidate.requiredInputs, candidate.outputNames].every((names) => names === undefined || isStrings(names))
  );
}

function isShapeEdge(edge: unknown): edge is ShapeEdge {
  const candidate = edge as Partial<ShapeEdge> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    [candidate.from, candidate.output, candidate.to, candidate.input].every((field) => typeof field === 'string')
  );
}

function isStrings(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
