import type { ReopenOptions } from '../store/ports';
import type { WriteBatch } from '../store/types';

/**
 * The messages between the writer thread and the logger's thread: what the thread starts with,
 * what it is asked, what it answers. Both sides import this module and nothing else of each
 * other. A batch crosses in the form `wireBatch.ts` gives it (its data values as CapturedJson).
 */

/** What the thread starts with: where to connect, and where it posts the id of each batch it committed. */
export interface ThreadData {
  store: ReopenOptions;
  committed: Int32Array;
}

export type ThreadRequest = { kind: 'write'; id: number; batch: WriteBatch } | { kind: 'close' };

export interface ThreadReply {
  kind: 'ready' | 'written';
  id?: number;
  error?: DescribedError;
}

/** An error as it crosses: what the writer needs to classify it (its codes), and what a report needs. */
export interface DescribedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  errno?: number;
  driverCode?: string;
  /** MySQL's class of the error, which tells refused data from an unavailable server. */
  sqlState?: string;
}

/** On the thread: an error of the store, as plain data (structured clone drops an Error's own fields). */
export function describeError(error: unknown): DescribedError {
  const source = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    code?: unknown;
    errno?: unknown;
    sqlState?: unknown;
    driverError?: { code?: unknown; errno?: unknown; sqlState?: unknown };
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    name: text(source.name) ?? 'Error',
    message: text(source.message) ?? String(error),
    stack: text(source.stack),
    code: text(source.code),
    errno: typeof source.errno === 'number' ? source.errno : undefined,
    driverCode: text(source.driverError?.code),
    sqlState: text(source.driverError?.sqlState ?? source.sqlState),
  };
}

/** On the logger's thread: an Error with the fields the store's `isDataError` reads, where it reads them. */
export function reviveError(described: DescribedError): Error {
  const error = Object.assign(new Error(described.message), {
    name: described.name,
    code: described.code,
    errno: described.errno,
    sqlState: described.sqlState,
    driverError: described.driverCode === undefined ? undefined : { code: described.driverCode },
  });
  if (described.stack !== undefined) error.stack = described.stack;
  return error;
}
