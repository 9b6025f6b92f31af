import { CapturedJson } from '../capture';
import type { BatchWriter } from '../writer/BatchWriter';
import type { Labels } from './Labels';
import type { WorkflowDefinitionParams } from './recordParams';

/** A definition's hash as `workflow_definitions.hash` holds it. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Queues a definition's row the first time this logger sees its hash; later runs only name it.
 * The store ignores a hash it already has (another process, a replayed spool), so this is an
 * economy, not what keeps it once.
 */
export class DefinitionQueue {
  /** Hashes of the definitions this logger has queued: each is written once per process, not once per run. */
  private readonly definitionsQueued = new Set<string>();

  constructor(
    private readonly writer: BatchWriter,
    /** The records' own: a field's bad label is reported once, whichever row it was for. */
    private readonly labels: Labels,
  ) {}

  /** Returns the hash, or null for a definition it cannot store. */
  queue(definition: WorkflowDefinitionParams): string | null {
    const { hash, workflowId, json } = definition;
    // A hash the column cannot hold would fail the execution's row, and with it the run's history.
    if (typeof hash !== 'string' || !SHA256_HEX.test(hash) || typeof json !== 'string') return null;
    if (!this.definitionsQueued.has(hash)) {
      this.definitionsQueued.add(hash);
      this.writer.insertDefinition({
        hash,
        workflowId: this.labels.label(workflowId, 'unknown', 'workflowId'),
        definition: new CapturedJson(json),
        createdAt: Date.now(),
      });
    }
    return hash;
  }
}
