export { createHistoryHandler, type AuthorizeResult, type HistoryHandler, type HistoryHandlerOptions } from './createHistoryHandler';
export { CONTENT_SECURITY_POLICY } from './responses';
export { MIN_TOKEN_LENGTH, tokenGate } from './tokenGate';
export { loopbackHostGate } from './loopbackHostGate';
