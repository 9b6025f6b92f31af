import type { SpanError } from './FlowSpan';

const MAX_TYPE_LENGTH = 128;

/**
 * What a span records of a failure: the row's stored text (masked, redacted, capped), never the
 * thrown value itself, and its class name (read defensively: a thrown Proxy may throw).
 */
export function spanError(thrown: unknown, stored: { errorMessage?: string | null; errorStack?: string | null }): SpanError {
  return { errorMessage: stored.errorMessage ?? 'unknown error', errorStack: stored.errorStack ?? null, errorType: typeName(thrown) };
}

function typeName(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const name = thrown.constructor?.name || thrown.name;
      if (typeof name === 'string' && name !== '') return name.slice(0, MAX_TYPE_LENGTH);
      return 'Error';
    }
  } catch {
    return 'Error';
  }
  return thrown === null ? 'null' : typeof thrown;
}
