import { createHash } from 'node:crypto';
import type { ShapeNode, WorkflowShape } from '../../store/WorkflowShape';
import type { Workflow } from '../types';

/** A workflow's shape, its canonical JSON and that JSON's sha256: what the runner stores once per hash. */
export interface WorkflowDefinitionRecord {
  hash: string;
  json: string;
  shape: WorkflowShape;
}

/**
 * The shape of a validated workflow: ids, types, labels and declared inputs and outputs of its
 * nodes, and its connections, in declaration order. Nothing a node closes over (functions,
 * configuration, secrets) is read. Keys are written in a fixed order, so the same workflow gives
 * the same JSON, and so the same hash, in every process.
 */
export function workflowShape(workflow: Workflow): WorkflowShape {
  return {
    format: 1,
    id: String(workflow.id),
    name: String(workflow.name ?? workflow.id),
    nodes: workflow.nodes.map((node) => {
      const shape: ShapeNode = { id: node.id, type: String(node.type), name: String(node.label ?? node.id) };
      if (node.requiredInputs.length > 0) shape.requiredInputs = [...node.requiredInputs];
      if (node.outputNames !== undefined) shape.outputNames = [...node.outputNames];
      return shape;
    }),
    edges: workflow.connections.map((connection) => ({
      from: connection.from.node,
      output: connection.from.output,
      to: connection.to.node,
      input: connection.to.input,
    })),
  };
}

/** The definition last computed per workflow object, with the nodes and connections it was computed from. */
const computed = new WeakMap<Workflow, { nodes: readonly unknown[]; connections: readonly unknown[]; record: WorkflowDefinitionRecord }>();

/**
 * {@link workflowShape}, its JSON and hash. Computed once per workflow object (hashing takes tens
 * of microseconds a run otherwise), and again when its nodes or connections are other objects:
 * a workflow is readonly data, so a node changed in place is not noticed.
 */
export function workflowDefinition(workflow: Workflow): WorkflowDefinitionRecord {
  const cached = computed.get(workflow);
  if (cached !== undefined && sameItems(cached.nodes, workflow.nodes) && sameItems(cached.connections, workflow.connections)) {
    return cached.record;
  }
  const shape = workflowShape(workflow);
  const json = JSON.stringify(shape);
  // Frozen: every caller of the same workflow gets this one object.
  for (const item of [...shape.nodes, ...shape.edges, shape.nodes, shape.edges, shape]) Object.freeze(item);
  const record = Object.freeze({ hash: createHash('sha256').update(json).digest('hex'), json, shape });
  computed.set(workflow, { nodes: [...workflow.nodes], connections: [...workflow.connections], record });
  return record;
}

function sameItems(before: readonly unknown[], now: readonly unknown[]): boolean {
  if (before.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) if (before[i] !== now[i]) return false;
  return true;
}
