export { captureData, captureJson, type CaptureOptions } from './capture';
export { CapturedJson } from './CapturedJson';
export { buildRedactPattern, DEFAULT_REDACT_KEYS, REDACTED } from './redact';
export { MIN_DATA_SIZE, type TruncatedData } from './truncate';
