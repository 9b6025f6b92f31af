import type { Dialect } from './types';

/** Collects bound parameters and hands out the dialect's placeholder for each. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Dialect) {}

  add(value: unknown): string {
    this.values.push(bindable(value, this.dialect));
    return this.dialect === 'postgres' ? `$${this.values.length}` : '?';
  }

  list(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}

/**
 * PostgreSQL text cannot hold U+0000, and one such string would fail its whole batch on every
 * retry. It is stored as U+FFFD (the replacement character) there; filters are mapped the same
 * way so they still match. JSON columns are unaffected: JSON escapes NUL as "\u0000".
 */
export function bindable(value: unknown, dialect: Dialect): unknown {
  return dialect === 'postgres' && typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}
