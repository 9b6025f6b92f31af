import type { ExecutionPatch, StepPatch, WriteBatch } from '../store/types';
import { assignDefined } from '../store/assignDefined';
import { recordBytes, type DefinitionRow, type ExecutionRow, type SpoolRecord, type StepRow } from './records';

/**
 * Records waiting to be written, coalesced: the completion of a row whose insert is still here is
 * folded into that insert, so a step that starts and ends within one flush window costs one
 * INSERT. Maps keep insertion order, which is the order rows are written in. The buffer keeps the
 * estimated bytes of what it holds ({@link recordBytes}); a fold adds its patch's estimate, so
 * the total may run over what the folded rows hold, never under.
 */
export class RecordBuffer {
  /** Workflow definitions by hash; written first in a batch, so an execution never names one not written yet. */
  definitions = new Map<string, DefinitionRow>();
  executions = new Map<string, ExecutionRow>();
  steps = new Map<string, StepRow>();
  executionUpdates = new Map<string, ExecutionPatch>();
  stepUpdates = new Map<string, StepPatch>();
  /** Estimated bytes held: what the queue's byte bound counts. */
  bytes = 0;

  /** Records (rows and updates) held: what the queue bound counts. */
  get size(): number {
    return this.definitions.size + this.executions.size + this.steps.size + this.executionUpdates.size + this.stepUpdates.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  insertDefinition(row: DefinitionRow): void {
    this.definitions.set(row.hash, row);
    this.bytes += recordBytes(row);
  }

  insertExecution(row: ExecutionRow): void {
    this.executions.set(row.id, row);
    this.bytes += recordBytes(row);
  }

  insertStep(row: StepRow): void {
    this.steps.set(row.id, row);
    this.bytes += recordBytes(row);
  }

  updateExecution(id: string, patch: ExecutionPatch): void {
    merge(this.executions, this.executionUpdates, id, patch);
    this.bytes += recordBytes(patch);
  }

  updateStep(id: string, patch: StepPatch): void {
    merge(this.steps, this.stepUpdates, id, patch);
    this.bytes += recordBytes(patch);
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
    for (const row of other.definitions.values()) this.insertDefinition(row);
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
    this.bytes += recordBytes(record.t === 'E' || record.t === 'S' || record.t === 'D' ? record.r : record.p);
    switch (record.t) {
      case 'D':
        this.definitions.set(record.r.hash, record.r);
        break;
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
    for (const row of this.definitions.values()) records.push({ q, t: 'D', r: row });
    for (const row of this.executions.values()) records.push({ q, t: 'E', r: row });
    for (const row of this.steps.values()) records.push({ q, t: 'S', r: row });
    for (const [id, patch] of this.executionUpdates) records.push({ q, t: 'e', id, p: patch });
    for (const [id, patch] of this.stepUpdates) records.push({ q, t: 's', id, p: patch });
    return records;
  }

  /**
   * The records in the order a batch writes them, in parts of at most `maxBytes` estimated bytes
   * (a record larger than that is a part alone); by default one record a part. A buffer that fits
   * is its own only part. Records are placed as they are, never folded: an update here may
   * belong to an insert of the same buffer (one read back from the spool), which a part written
   * earlier may already have committed.
   */
  split(maxBytes = 0): RecordBuffer[] {
    if (!this.isEmpty && this.bytes <= maxBytes) return [this];
    const parts: RecordBuffer[] = [];
    let part = new RecordBuffer();
    const place = <T extends object>(map: (buffer: RecordBuffer) => Map<string, T>, id: string, record: T) => {
      const bytes = recordBytes(record);
      if (!part.isEmpty && part.bytes + bytes > maxBytes) {
        parts.push(part);
        part = new RecordBuffer();
      }
      map(part).set(id, record);
      part.bytes += bytes;
    };
    for (const [hash, row] of this.definitions) place((b) => b.definitions, hash, row);
    for (const [id, row] of this.executions) place((b) => b.executions, id, row);
    for (const [id, row] of this.steps) place((b) => b.steps, id, row);
    for (const [id, patch] of this.executionUpdates) place((b) => b.executionUpdates, id, patch);
    for (const [id, patch] of this.stepUpdates) place((b) => b.stepUpdates, id, patch);
    if (!part.isEmpty) parts.push(part);
    return parts;
  }

  /** Moves everything out into a new buffer, leaving this one empty. */
  take(): RecordBuffer {
    const taken = new RecordBuffer();
    [taken.definitions, this.definitions] = [this.definitions, taken.definitions];
    [taken.executions, this.executions] = [this.executions, taken.executions];
    [taken.steps, this.steps] = [this.steps, taken.steps];
    [taken.executionUpdates, this.executionUpdates] = [this.executionUpdates, taken.executionUpdates];
    [taken.stepUpdates, this.stepUpdates] = [this.stepUpdates, taken.stepUpdates];
    [taken.bytes, this.bytes] = [this.bytes, 0];
    return taken;
  }

  toWriteBatch(): WriteBatch {
    const { definitions, executions, steps, executionUpdates, stepUpdates } = this.snapshot();
    return {
      definitions,
      executions,
      steps,
      executionUpdates: executionUpdates.map(([id, patch]) => ({ id, patch })),
      stepUpdates: stepUpdates.map(([id, patch]) => ({ id, patch })),
    };
  }

  private snapshot() {
    return {
      definitions: [...this.definitions.values()],
      executions: [...this.executions.values()],
      steps: [...this.steps.values()],
      executionUpdates: [...this.executionUpdates],
      stepUpdates: [...this.stepUpdates],
    };
  }
}

function merge<Row extends object, Patch extends Partial<Row>>(
  inserts: Map<string, Row>,
  updates: Map<string, Patch>,
  id: string,
  patch: Patch,
): void {
  const pending = inserts.get(id);
  if (pending !== undefined) {
    assignDefined(pending, patch);
    return;
  }
  const queued = updates.get(id);
  updates.set(id, queued === undefined ? patch : assignDefined<Patch>({ ...queued }, patch));
}
