import 'reflect-metadata';

export * from './decorators';
export * from './logger';
export * from './runner';
export * from './replay';
export { CONFIG_ENV_VARS, DEFAULT_CONFIG, type Durability, type LoggerConfig } from './config/LoggerConfig';
export type { RetentionConfig } from './config/RetentionConfig';
export { captureData, DEFAULT_REDACT_KEYS, type CaptureOptions, type TruncatedData } from './capture';
export type { WriterStats } from './writer/BatchWriter';
export * from './entities';
export { executionHistoryMigrations } from './migrations';
export * from './store';
export * from './errors';
export { uuidv7 } from './ids';
export { createHistoryHandler, type AuthorizeResult, type HistoryHandler, type HistoryHandlerOptions } from './ui';
