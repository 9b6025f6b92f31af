export { ExecutionLogger, type LoggerStats } from './ExecutionLogger';
export type { ReuseNodeParams, SkipNodeParams, StartExecutionParams, StartNodeParams, WorkflowDefinitionParams } from './recordParams';
export type { ErrorContext } from './ErrorReporter';
export { currentExecution } from './context';
