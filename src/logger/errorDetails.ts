const MAX_CAUSES = 8;

/**
 * Message and stack of anything thrown, with the `cause` chain appended to the stack. Reads each
 * property defensively: a thrown value can be a Proxy or have throwing getters, and recording it
 * must never throw in its place.
 */
export function errorDetails(thrown: unknown): { errorMessage: string; errorStack: string | null } {
  const message = safe(() => (thrown instanceof Error ? thrown.message : describe(thrown)), 'unknown error');
  const stack = safe(() => stackWithCauses(thrown), null);
  return { errorMessage: message, errorStack: stack };
}

function stackWithCauses(thrown: unknown): string | null {
  if (!(thrown instanceof Error)) return null;
  const parts = [ownStack(thrown)];
  const seen = new Set<unknown>([thrown]);
  let cause = safe(() => thrown.cause, undefined);
  while (cause !== undefined && cause !== null && !seen.has(cause) && parts.length <= MAX_CAUSES) {
    seen.add(cause);
    parts.push(`Caused by: ${cause instanceof Error ? ownStack(cause) : describe(cause)}`);
    const current: unknown = cause;
    cause = current instanceof Error ? safe(() => current.cause, undefined) : undefined;
  }
  return parts.join('\n');
}

function ownStack(error: Error): string {
  return safe(() => error.stack, undefined) ?? `${safe(() => error.name, 'Error')}: ${safe(() => error.message, '')}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return safe(() => String(value), Object.prototype.toString.call(value));
  }
}

function safe<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read();
  } catch {
    return fallback;
  }
}
