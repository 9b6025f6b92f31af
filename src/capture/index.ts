export { captureData, captureJson, type CaptureOptions } from './capture';
export { CapturedJson } from './CapturedJson';
export { buildRedactPattern, DEFAULT_REDACT_KEYS, REDACTED, WHOLE_WORD_LENGTH } from './redact';
export { MIN_DATA_SIZE, type TruncatedData } from './truncate';
export { findLostData, type LostData, type LostDataKind } from './lostData';
