import { QueryError } from '../errors';

/**
 * Checks of what callers pass to the query API. TypeORM drops a `where` key whose value is
 * undefined, so `getExecution(undefined)` would find *some* execution and `getSteps(undefined)`
 * the whole table: every argument is checked before it reaches a query.
 */

/** An id argument: a string (one that names no row, even '', simply finds nothing). */
export function requireId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new QueryError(field, `${describe(value)} is not an id (a string)`);
  return value;
}

/** An optional filter that must be a string when given. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new QueryError(field, `${describe(value)} is not a string`);
  return value;
}

/** An optional OpenTelemetry trace id: 32 lowercase hex digits, as rows store it (W3C trace context). */
export function optionalTraceId(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9a-f]{32}$/.test(value)) {
    throw new QueryError(field, `${describe(value)} is not a trace id (32 lowercase hex digits)`);
  }
  return value;
}

/** An optional bound in epoch milliseconds: a finite number when given. */
export function optionalTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new QueryError(field, `${describe(value)} is not a time in epoch ms`);
  return value;
}

/** A value as an error message names it: strings quoted, objects by kind (never their content). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
