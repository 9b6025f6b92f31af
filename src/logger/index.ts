export { ExecutionLogger, type LoggerStats } from './ExecutionLogger';
export type { SkipNodeParams, StartExecutionParams, StartNodeParams } from './Recorder';
export type { ErrorContext } from './ErrorReporter';
export { currentExecution } from './context';
