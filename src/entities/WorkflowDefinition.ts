import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

/**
 * The shape of a workflow the built-in runner ran (its nodes and edges), stored once per content
 * hash. `WorkflowExecution.definitionHash` points here, so a run's graph can be shown after the
 * workflow changed. Insert-only: a hash always names the same definition.
 */
@Entity({ name: 'workflow_definitions' })
export class WorkflowDefinition {
  /** SHA-256 (hex) of the definition's canonical JSON. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'workflow_id', type: 'text' })
  workflowId!: string;

  @Column({ name: 'definition', type: 'simple-json' })
  definition!: unknown;

  /** When this shape was first stored, epoch milliseconds. */
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
