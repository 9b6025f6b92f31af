/** The viewer API's wire format (src/ui/summaries.ts on the server), as the browser reads it. */

export type ExecutionStatus = 'running' | 'success' | 'error' | 'interrupted';
export type StepStatus = ExecutionStatus | 'skipped' | 'reused';

export interface ExecutionSummary {
  id: string;
  workflowId: string;
  workflowName: string;
  triggerType: string;
  status: ExecutionStatus;
  startedAt: number;
  completedAt: number | null;
  durationMs: number | null;
  errorMessage: string | null;
  parentExecutionId: string | null;
  parentStepId: string | null;
  tags?: Record<string, string> | null;
  traceId?: string | null;
  definitionHash?: string | null;
  hasTriggerData: boolean;
  hasMetadata: boolean;
}

export interface StepSummary {
  id: string;
  executionId: string;
  nodeId: string;
  nodeType: string;
  nodeName: string | null;
  stepIndex: number;
  startedAt: number;
  completedAt: number | null;
  durationMs: number | null;
  status: StepStatus;
  errorMessage: string | null;
  hasInput: boolean;
  hasOutput: boolean;
  hasErrorStack: boolean;
}

export interface ExecutionPage {
  items: ExecutionSummary[];
  nextCursor: string | null;
  /** The server's clock (epoch ms) just before it read the page. */
  now: number;
  matchingSteps?: Record<string, StepSummary[]>;
}

export interface ExecutionDetail {
  execution: ExecutionSummary;
  steps: StepSummary[];
  /** The executions it started, oldest first (bounded: `childrenTruncated` says more exist). */
  children: ExecutionSummary[];
  childrenTruncated: boolean;
  /** The workflow's stored shape (src/store/WorkflowShape.ts); null with a note saying why. */
  definition: WorkflowShape | null;
  definitionNote: 'none' | 'too-large' | null;
}

export interface WorkflowShape {
  id: string;
  name: string;
  nodes: { id: string; type: string; name: string }[];
  edges: { from: string; output: string; to: string; input: string }[];
}

export interface StepData {
  step: StepSummary;
  input: unknown;
  output: unknown;
  errorMessage: string | null;
  errorStack: string | null;
}

/** `/api/compare` (src/store/compareExecutions.ts). */
export interface ComparedExecution {
  id: string;
  workflowId: string;
  workflowName: string;
  status: string;
  triggerType: string;
  startedAt: number;
  durationMs: number | null;
  errorMessage: string | null;
  stepCount: number | null;
}

export interface ComparedStep {
  id: string;
  stepIndex: number;
  nodeType: string;
  nodeName: string | null;
  status: string;
  durationMs: number | null;
  errorMessage: string | null;
}

export interface PathChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  a?: { json: string; omittedBytes: number };
  b?: { json: string; omittedBytes: number };
  marker?: 'truncated' | 'redacted';
}

export interface JsonDiff {
  changes: PathChange[];
  omitted: number;
}

export interface StepComparison {
  nodeId: string;
  occurrence: number;
  presence: 'both' | 'onlyA' | 'onlyB';
  a: ComparedStep | null;
  b: ComparedStep | null;
  statusChanged: boolean;
  durationChangeMs: number | null;
  input: JsonDiff | null;
  output: JsonDiff | null;
  changed: boolean;
}

export interface ExecutionComparison {
  a: ComparedExecution;
  b: ComparedExecution;
  sameWorkflow: boolean;
  statusChanged: boolean;
  durationChangeMs: number | null;
  steps: StepComparison[];
  counts: { matched: number; changed: number; onlyInA: number; onlyInB: number };
  children:
    | {
        parentNodeId: string | null;
        workflowId: string;
        presence: 'both' | 'onlyA' | 'onlyB';
        a: ComparedExecution | null;
        b: ComparedExecution | null;
      }[]
    | null;
}

export interface StatsBucket {
  start: number;
  end: number;
  total: number;
  success: number;
  error: number;
  interrupted: number;
  running: number;
  failureRate: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
}

/** The range's figures: the buckets' counts summed, p50/p95 over all its timed runs. */
export type StatsTotals = Omit<StatsBucket, 'start' | 'end'>;

/** `/api/stats/series`: `store.getStatsOverTime` over the range, its totals included. */
export interface StatsSeries {
  totals: StatsTotals;
  since: number;
  until: number;
  bucketMs: number;
  buckets: StatsBucket[];
}
