export { ExecutionStore } from './ExecutionStore';
export { DEFAULT_DATABASE } from './target';
export { MAX_STATS_BUCKETS } from './statsOverTime';
export type * from './types';
export type {
  ChildComparison,
  CompareExecutionsOptions,
  ComparisonCounts,
  ExecutionComparison,
  ExecutionSummary,
  StepComparison,
  StepSummary,
} from './compareExecutions';
export type { FollowEvent, FollowOptions } from './followOptions';
export type { CappedJson, JsonDiff, PathChange } from './jsonDiff';
export type { DataPredicate } from './dataPredicate';
export type { RecordedOutput } from './recordedOutputs';
export type { ShapeEdge, ShapeNode, StoredDefinition, WorkflowShape } from './WorkflowShape';
