import type { ExecutionPatch, NewExecution, NewStep, StepPatch } from '../store/types';

/**
 * The records the writer moves: rows to insert and patches to apply, as the buffer holds them
 * and as the spool stores them, one per line. Shared by `RecordBuffer` and the spool, so that
 * neither imports the other.
 */

export type ExecutionRow = NewExecution & { id: string };
export type StepRow = NewStep & { id: string };

/**
 * One spooled record, one line of a segment file. `q` is the writer's admission sequence number:
 * it tells the writer which `flush()` calls a replayed chunk completes. E/S insert an execution
 * or a step, e/s update one.
 */
export type SpoolRecord =
  | { q: number; t: 'E'; r: ExecutionRow }
  | { q: number; t: 'S'; r: StepRow }
  | { q: number; t: 'e'; id: string; p: ExecutionPatch }
  | { q: number; t: 's'; id: string; p: StepPatch };

/** The line of a segment file that holds `record`, without its newline. */
export function encodeSpoolLine(record: SpoolRecord): string {
  return JSON.stringify(record);
}

/** The record a line holds, or null when it is not one (torn by a crash, or damaged). */
export function parseSpoolLine(line: string): SpoolRecord | null {
  try {
    const record = JSON.parse(line) as SpoolRecord;
    if (typeof record !== 'object' || record === null || typeof record.q !== 'number') return null;
    switch (record.t) {
      case 'E':
      case 'S':
        return typeof record.r === 'object' && record.r !== null && typeof record.r.id === 'string' ? record : null;
      case 'e':
      case 's':
        return typeof record.id === 'string' && typeof record.p === 'object' && record.p !== null ? record : null;
      default:
        return null;
    }
  } catch {
    return null;
  }
}
