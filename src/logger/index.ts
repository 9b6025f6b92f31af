export { ExecutionLogger, type LoggerStats, type SkipNodeParams, type StartExecutionParams, type StartNodeParams } from './ExecutionLogger';
export { currentExecution } from './context';
