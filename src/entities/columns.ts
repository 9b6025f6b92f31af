import type { ValueTransformer } from 'typeorm';

/**
 * Epoch-millisecond columns are `bigint` so they never overflow; node-postgres returns int8 as a
 * string to avoid precision loss, so read them back as numbers (safe: ms timestamps < 2^53).
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
