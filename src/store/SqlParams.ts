import type { SqlDialect } from './dialects';

/** Collects bound parameters and hands out the dialect's placeholder for each. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: SqlDialect) {}

  add(value: unknown): string {
    this.values.push(this.dialect.bindable(value));
    return this.dialect.placeholder(this.values.length);
  }

  list(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}
