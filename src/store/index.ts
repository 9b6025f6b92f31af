export { ExecutionStore } from './ExecutionStore';
export { DEFAULT_DATABASE } from './openDataSource';
export type * from './types';
