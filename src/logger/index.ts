export { ExecutionLogger, type LoggerStats, type SkipNodeParams, type StartExecutionParams, type StartNodeParams } from './ExecutionLogger';
export { currentExecution } from './context';
export type { ErrorContext } from './ErrorReporter';
