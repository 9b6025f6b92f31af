export { captureData, type CaptureOptions } from './capture';
export { buildRedactPattern, DEFAULT_REDACT_KEYS, REDACTED } from './redact';
export { MIN_DATA_SIZE, type TruncatedData } from './truncate';
