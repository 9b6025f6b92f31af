/**
 * The steps every database's opening shares: initialize a DataSource, run what it needs
 * (pragmas, checks, migrations), load a driver package, and turn any failure into a
 * StoreOpenError naming what was being opened.
 */
import type { DataSource } from 'typeorm';
import { StoreOpenError } from '../errors';

/** Where a store's DataSource records the migrations it ran. */
export const MIGRATIONS_TABLE = 'flowtrail_migrations';

/** `dataSource.initialize()`, its failure a StoreOpenError naming `target`. */
export async function initialize(dataSource: DataSource, target: string): Promise<void> {
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new StoreOpenError(target, describe(error), error);
  }
}

/** An error's message for a StoreOpenError: the first of an AggregateError's (a refused connection to each address). */
export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Runs `work` (pragmas, migrations) on an initialized DataSource; a failure closes it and is a StoreOpenError naming `target`. */
export async function setUp(dataSource: DataSource, target: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error instanceof StoreOpenError ? error : new StoreOpenError(target, describe(error), error);
  }
}

/** A driver flowtrail loads only for its database: missing, it is a StoreOpenError saying what to install. */
export function requirePackage(name: string, target: string): void {
  try {
    require.resolve(name);
  } catch (error) {
    throw new StoreOpenError(target, `the "${name}" package is not installed (npm install ${name})`, error);
  }
}
