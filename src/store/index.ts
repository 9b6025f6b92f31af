export { ExecutionStore } from './ExecutionStore';
export { DEFAULT_DATABASE } from './target';
export type * from './types';
