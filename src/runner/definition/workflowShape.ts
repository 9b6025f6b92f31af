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

/** {@link workflowShape}, its JSON and hash. Linear in the graph's size, once per run. */
export function workflowDefinition(workflow: Workflow): WorkflowDefinitionRecord {
  const shape = workflowShape(workflow);
  const json = JSON.stringify(shape);
  return { hash: createHash('sha256').update(json).digest('hex'), json, shape };
}
