import type { ExecutionStore, StepOutline } from '../store';
import type { WorkflowShape } from '../store/WorkflowShape';
import { HttpError } from './HttpError';
import { summarizeExecution, type ExecutionSummary } from './summaries';

/** Child executions listed with an execution, the latest ones; more are said to exist (`childrenTruncated`), not sent. */
export const MAX_CHILDREN = 200;
/** A stored shape larger than this is not sent: the page says it is too large to draw. */
export const MAX_GRAPH_NODES = 500;
export const MAX_GRAPH_EDGES = 2000;

/** What `GET /api/executions/:id` answers. */
export interface ExecutionDetail {
  execution: ExecutionSummary;
  /** Without payloads: the inspector asks for one step's at a time. */
  steps: StepOutline[];
  /** The executions it started (SubWorkflowNode…): the latest MAX_CHILDREN (listExecutions is newest first), sorted oldest first. */
  children: ExecutionSummary[];
  childrenTruncated: boolean;
  /** The workflow's stored shape; null when none is stored or it is too large (`definitionNote` says which). */
  definition: WorkflowShape | null;
  definitionNote: 'none' | 'too-large' | null;
}

export async function readExecutionDetail(store: ExecutionStore, id: string): Promise<ExecutionDetail> {
  const execution = await store.getExecution(id);
  if (!execution) throw new HttpError(404, `No execution with id ${JSON.stringify(id)}`);
  const [steps, children, stored] = await Promise.all([
    store.getStepOutlines(id),
    store.listExecutions({ parentExecutionId: id, limit: MAX_CHILDREN }),
    execution.definitionHash ? store.getDefinition(execution.definitionHash) : Promise.resolve(null),
  ]);
  const shape = stored?.definition ?? null;
  const tooLarge = shape !== null && (shape.nodes.length > MAX_GRAPH_NODES || shape.edges.length > MAX_GRAPH_EDGES);
  return {
    execution: summarizeExecution(execution),
    steps,
    children: children.items.map(summarizeExecution).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)),
    childrenTruncated: children.nextCursor !== null,
    definition: tooLarge ? null : shape,
    definitionNote: shape === null ? 'none' : tooLarge ? 'too-large' : null,
  };
}
