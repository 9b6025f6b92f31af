import { ExecutionStep } from './ExecutionStep';
import { ExecutionTag } from './ExecutionTag';
import { LoggerInstance } from './LoggerInstance';
import { WorkflowDefinition } from './WorkflowDefinition';
import { WorkflowExecution } from './WorkflowExecution';

export { ExecutionStep, ExecutionTag, LoggerInstance, WorkflowDefinition, WorkflowExecution };
export type { ExecutionStatus, TriggerType } from './WorkflowExecution';
export type { StepStatus } from './ExecutionStep';

/** Add these to your own DataSource's `entities` (with `executionHistoryMigrations`). */
export const executionHistoryEntities = [WorkflowExecution, ExecutionStep, LoggerInstance, ExecutionTag, WorkflowDefinition];
