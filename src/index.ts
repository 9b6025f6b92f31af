import 'reflect-metadata';

export * from './entities';
export { executionHistoryMigrations } from './migrations';
export * from './store';
export * from './errors';
export { uuidv7 } from './ids';
