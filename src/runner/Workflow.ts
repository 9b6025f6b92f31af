import { WorkflowGraphError } from '../errors';
import type { Connection, Workflow } from './types';
import type { WorkflowNode } from './WorkflowNode';

/** The input through which root nodes (no incoming connection) receive the trigger data. */
export const TRIGGER_INPUT = 'trigger';

/** A validated workflow, indexed for scheduling. Built once per run; cheap (linear). */
export interface WorkflowGraph {
  readonly workflow: Workflow;
  /** By id, in declaration order. */
  readonly nodes: ReadonlyMap<string, WorkflowNode>;
  readonly incoming: ReadonlyMap<string, readonly Connection[]>;
  readonly outgoing: ReadonlyMap<string, readonly Connection[]>;
  /** Nodes without incoming connections, in declaration order: they start first, with the trigger. */
  readonly roots: readonly WorkflowNode[];
}

/**
 * Validates a workflow definition and returns it, so that a malformed graph fails where it is
 * written rather than at its first run. The runner validates again on every run (a definition
 * is plain data and may have changed).
 * @throws WorkflowGraphError as `validateWorkflow` does.
 */
export function defineWorkflow<W extends Workflow>(workflow: W): W {
  validateWorkflow(workflow);
  return workflow;
}

/**
 * Checks that a workflow can run, before anything runs, and indexes it. The error's `culprit`
 * names the node (or connection) at fault.
 * @throws WorkflowGraphError for: a node without a usable id or `execute`, a duplicate node id, a
 * connection to or from an unknown node or from an output its node does not declare, an input
 * fed by two connections, a required input that nothing feeds, a cycle (naming a node on it).
 */
export function validateWorkflow(workflow: Workflow): WorkflowGraph {
  const name = describeWorkflow(workflow);
  if (!Array.isArray(workflow?.nodes) || !Array.isArray(workflow.connections)) {
    throw new WorkflowGraphError(name, `Workflow ${name} must have a nodes array and a connections array`);
  }
  const nodes = indexNodes(workflow, name);
  const incoming = new Map<string, Connection[]>([...nodes.keys()].map((id) => [id, []]));
  const outgoing = new Map<string, Connection[]>([...nodes.keys()].map((id) => [id, []]));
  const fedInputs = new Map<string, Connection>();
  for (const connection of workflow.connections) {
    const label = describeConnection(connection);
    const source = nodes.get(connection?.from?.node);
    const target = nodes.get(connection?.to?.node);
    if (!source)
      throw new WorkflowGraphError(
        String(connection?.from?.node),
        `Connection ${label} comes from unknown node ${JSON.stringify(connection?.from?.node)} in workflow ${name}`,
      );
    if (!target)
      throw new WorkflowGraphError(
        String(connection?.to?.node),
        `Connection ${label} goes to unknown node ${JSON.stringify(connection?.to?.node)} in workflow ${name}`,
      );
    if (!isName(connection.from.output) || !isName(connection.to.input)) {
      throw new WorkflowGraphError(label, `Connection ${label} must name an output and an input (non-empty strings)`);
    }
    if (source.outputNames && !source.outputNames.includes(connection.from.output)) {
      throw new WorkflowGraphError(
        source.id,
        `Connection ${label} reads output "${connection.from.output}", which node "${source.id}" does not have (it has: ${source.outputNames.join(', ')})`,
      );
    }
    const inputKey = `${target.id}\u0000${connection.to.input}`;
    const earlier = fedInputs.get(inputKey);
    if (earlier) {
      throw new WorkflowGraphError(
        target.id,
        `Input "${connection.to.input}" of node "${target.id}" is fed by two connections: ${describeConnection(earlier)} and ${label}`,
      );
    }
    fedInputs.set(inputKey, connection);
    outgoing.get(source.id)?.push(connection);
    incoming.get(target.id)?.push(connection);
  }
  const roots = [...nodes.values()].filter((node) => incoming.get(node.id)?.length === 0);
  for (const node of nodes.values()) {
    const isRoot = incoming.get(node.id)?.length === 0;
    for (const input of node.requiredInputs) {
      if (fedInputs.has(`${node.id}\u0000${input}`) || (isRoot && input === TRIGGER_INPUT)) continue;
      throw new WorkflowGraphError(node.id, `Node "${node.id}" requires input "${input}", but no connection feeds it`);
    }
  }
  assertAcyclic(nodes, incoming, outgoing, name);
  return { workflow, nodes, incoming, outgoing, roots };
}

function indexNodes(workflow: Workflow, name: string): Map<string, WorkflowNode> {
  const nodes = new Map<string, WorkflowNode>();
  workflow.nodes.forEach((node, position) => {
    if (!node || !isName(node.id))
      throw new WorkflowGraphError(`nodes[${position}]`, `Node at nodes[${position}] of workflow ${name} has no id (a non-empty string)`);
    if (typeof node.execute !== 'function') throw new WorkflowGraphError(node.id, `Node "${node.id}" has no execute() method`);
    if (nodes.has(node.id)) throw new WorkflowGraphError(node.id, `Duplicate node id "${node.id}" in workflow ${name}`);
    nodes.set(node.id, node);
  });
  return nodes;
}

/**
 * Kahn's algorithm: whatever cannot be sorted is on a cycle or downstream of one. Each such node
 * has an unsorted predecessor, so walking predecessors from any of them must come back to a node
 * already visited, and that node is on a cycle: it is the one named.
 */
function assertAcyclic(
  nodes: ReadonlyMap<string, WorkflowNode>,
  incoming: ReadonlyMap<string, readonly Connection[]>,
  outgoing: ReadonlyMap<string, readonly Connection[]>,
  name: string,
): void {
  const waiting = new Map([...nodes.keys()].map((id) => [id, incoming.get(id)?.length ?? 0]));
  const ready = [...waiting].filter(([, count]) => count === 0).map(([id]) => id);
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    waiting.delete(id);
    for (const connection of outgoing.get(id) ?? []) {
      const left = (waiting.get(connection.to.node) ?? 0) - 1;
      waiting.set(connection.to.node, left);
      if (left === 0) ready.push(connection.to.node);
    }
  }
  const [start] = waiting.keys();
  if (start === undefined) return;
  const walk: string[] = [];
  let current = start;
  while (!walk.includes(current)) {
    walk.push(current);
    const predecessor = incoming.get(current)?.find((connection) => waiting.has(connection.from.node));
    // Unreachable: an unsorted node always has an unsorted predecessor.
    if (!predecessor) break;
    current = predecessor.from.node;
  }
  // The walk went against the edges: reverse the loop part to print it in flow order.
  const loop = [current, ...walk.slice(walk.indexOf(current) + 1).reverse(), current];
  throw new WorkflowGraphError(current, `Workflow ${name} has a cycle through node "${current}": ${loop.join(' → ')}`);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function describeWorkflow(workflow: Workflow): string {
  return JSON.stringify(String(workflow?.id ?? '(no id)'));
}

function describeConnection(connection: Connection): string {
  return `${String(connection?.from?.node)}.${String(connection?.from?.output)} → ${String(connection?.to?.node)}.${String(connection?.to?.input)}`;
}
