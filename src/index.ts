import 'reflect-metadata';

export * from './decorators';
export * from './logger';
export * from './runner';
export * from './replay';
export { CONFIG_ENV_VARS, DEFAULT_CONFIG, type Durability, type LoggerConfig } from './config/LoggerConfig';
export type { RetentionConfig } from './config/RetentionConfig';
export type { OtelConfig, OtelTracer } from './otel';
export {
  captureData,
  DEFAULT_REDACT_KEYS,
  findLostData,
  type CaptureOptions,
  type LostData,
  type LostDataKind,
  type TruncatedData,
} from './capture';
export type { WriterStats } from './writer/BatchWriter';
export * from './entities';
export { executionHistoryMigrations } from './migrations';
export * from './store';
export * from './errors';
export { uuidv7 } from './ids';
export {
  createHistoryHandler,
  loopbackHostGate,
  MIN_TOKEN_LENGTH,
  tokenGate,
  type AuthorizeResult,
  type HistoryHandler,
  type HistoryHandlerOptions,
} from './ui';
