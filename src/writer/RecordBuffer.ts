import type { ExecutionPatch, StepPatch, WriteBatch } from '../store/types';
import type { ExecutionRow, SpoolRecord, StepRow } from './records';

/**
 * Records waiting to be written, coalesced: the completion of a row whose insert is still here is
 * folded into that insert, so a step that starts and ends within one flush window costs one
 * INSERT. Maps keep insertion order, which is the order rows are written in.
 */
export class RecordBuffer {
  executions = new Map<string, ExecutionRow>();
  steps = new Map<string, StepRow>();
  executionUpdates = new Map<string, ExecutionPatch>();
  stepUpdates = new Map<string, StepPatch>();

  /** Records (rows and updates) held: what the queue bound counts. */
  get size(): number {
    return this.executions.size + this.steps.size + this.executionUpdates.size + this.stepUpdates.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  insertExecution(row: ExecutionRow): void {
    this.executions.set(row.id, row);
  }

  insertStep(row: StepRow): void {
    this.steps.set(row.id, row);
  }

  updateExecution(id: string, patch: ExecutionPatch): void {
    merge(this.executions, this.executionUpdates, id, patch);
  }

  updateStep(id: string, patch: StepPatch): void {
    merge(this.steps, this.stepUpdates, id, patch);
  }

  /**
   * Puts an older, unwritten batch back in front of what arrived since, keeping write order and
   * coalescing across the two.
   */
  prepend(older: RecordBuffer): void {
    const newer = this.take();
    this.append(older);
    this.append(newer);
  }

  /** Adds another buffer's records after these, coalescing updates into pending inserts. */
  append(other: RecordBuffer): void {
    for (const row of other.executions.values()) this.insertExecution(row);
    for (const row of other.steps.values()) this.insertStep(row);
    for (const [id, patch] of other.executionUpdates) this.updateExecution(id, patch);
    for (const [id, patch] of other.stepUpdates) this.updateStep(id, patch);
  }

  /**
   * Adds a record read back from the spool. An update is never folded into an insert here: the
   * insert may already be in the database from an earlier replay cut short by a crash, and an
   * insert of an existing id is skipped, together with anything folded into it.
   */
  addReplayed(record: SpoolRecord): void {
    switch (record.t) {
      case 'E':
        this.executions.set(record.r.id, record.r);
        break;
      case 'S':
        this.steps.set(record.r.id, record.r);
        break;
      case 'e':
        merge(new Map(), this.executionUpdates, record.id, record.p);
        break;
      case 's':
        merge(new Map(), this.stepUpdates, record.id, record.p);
        break;
    }
  }

  /** The records in the order a batch writes them, as the spool stores them; all with sequence `q`. */
  toSpoolRecords(q: number): SpoolRecord[] {
    const records: SpoolRecord[] = [];
    for (const row of this.executions.values()) records.push({ q, t: 'E', r: row });
    for (const row of this.steps.values()) records.push({ q, t: 'S', r: row });
    for (const [id, patch] of this.executionUpdates) records.push({ q, t: 'e', id, p: patch });
    for (const [id, patch] of this.stepUpdates) records.push({ q, t: 's', id, p: patch });
    return records;
  }

  /** One buffer per record, in the order a batch writes them. */
  split(): RecordBuffer[] {
    const singles: RecordBuffer[] = [];
    const single = (fill: (buffer: RecordBuffer) => void) => {
      const buffer = new RecordBuffer();
      fill(buffer);
      singles.push(buffer);
    };
    for (const row of this.executions.values()) single((b) => b.insertExecution(row));
    for (const row of this.steps.values()) single((b) => b.insertStep(row));
    for (const [id, patch] of this.executionUpdates) single((b) => b.updateExecution(id, patch));
    for (const [id, patch] of this.stepUpdates) single((b) => b.updateStep(id, patch));
    return singles;
  }

  /** Moves everything out into a new buffer, leaving this one empty. */
  take(): RecordBuffer {
    const taken = new RecordBuffer();
    [taken.executions, this.executions] = [this.executions, taken.executions];
    [taken.steps, this.steps] = [this.steps, taken.steps];
    [taken.executionUpdates, this.executionUpdates] = [this.executionUpdates, taken.executionUpdates];
    [taken.stepUpdates, this.stepUpdates] = [this.stepUpdates, taken.stepUpdates];
    return taken;
  }

  toWriteBatch(): WriteBatch {
    const { executions, steps, executionUpdates, stepUpdates } = this.snapshot();
    return {
      executions,
      steps,
      executionUpdates: executionUpdates.map(([id, patch]) => ({ id, patch })),
      stepUpdates: stepUpdates.map(([id, patch]) => ({ id, patch })),
    };
  }

  private snapshot() {
    return {
      executions: [...this.executions.values()],
      steps: [...this.steps.values()],
      executionUpdates: [...this.executionUpdates],
      stepUpdates: [...this.stepUpdates],
    };
  }
}

function merge<Row extends object, Patch extends object>(
  inserts: Map<string, Row>,
  updates: Map<string, Patch>,
  id: string,
  patch: Patch,
): void {
  const pending = inserts.get(id);
  if (pending !== undefined) {
    Object.assign(pending, withoutUndefined(patch));
    return;
  }
  const queued = updates.get(id);
  updates.set(id, queued === undefined ? patch : { ...queued, ...withoutUndefined(patch) });
}

function withoutUndefined<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) if (patch[key] !== undefined) out[key] = patch[key];
  return out;
}
