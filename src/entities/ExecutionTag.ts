import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';
import type { WorkflowExecution } from './WorkflowExecution';

/**
 * One tag of an execution: the index `listExecutions({ tags })` reads. The store derives these
 * rows from `WorkflowExecution.tags` in the transaction that writes it; query them, never write
 * them. `startedAt` is the execution's, so that a tag's runs come newest first from the index.
 *
 * The lookup index is declared ascending (the migration makes its time columns DESC), for the
 * reason given on {@link WorkflowExecution}.
 */
@Entity({ name: 'execution_tags' })
@Index('idx_tags_lookup', ['tagKey', 'tagValue', 'startedAt', 'executionId'])
export class ExecutionTag {
  @PrimaryColumn({ name: 'execution_id', type: 'varchar', length: 36 })
  executionId!: string;

  @ManyToOne('WorkflowExecution', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'execution_id', foreignKeyConstraintName: 'fk_tags_execution' })
  execution?: WorkflowExecution;

  /** At most 64 UTF-16 code units. */
  @PrimaryColumn({ name: 'tag_key', type: 'varchar', length: 64 })
  tagKey!: string;

  /** At most 256 UTF-16 code units. */
  @Column({ name: 'tag_value', type: 'varchar', length: 256 })
  tagValue!: string;

  /** The execution's `startedAt`, epoch milliseconds. */
  @Column({ name: 'started_at', type: 'bigint', transformer: epochMs })
  startedAt!: number;
}
