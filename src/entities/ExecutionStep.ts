import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';
import type { WorkflowExecution } from './WorkflowExecution';

/** `reused`: a re-run took this node's recorded output from the original run instead of running it. */
export type StepStatus = 'running' | 'success' | 'error' | 'skipped' | 'interrupted' | 'reused';

/** Every step status, for checking a filter. */
export const STEP_STATUSES: readonly StepStatus[] = ['running', 'success', 'error', 'interrupted', 'skipped', 'reused'];

/** One node execution inside a workflow run (CF11-004 `execution_steps`). */
@Entity({ name: 'execution_steps' })
@Index('idx_steps_execution_index', ['executionId', 'stepIndex'], { unique: true })
// On node_id only where a query reads it: PostgreSQL and MySQL (`list --node`). SQLite's node search
// keeps node_id off indexes, so migration DropUnqueriedIndexes1798070400000 drops it there; left out
// of synchronize, which would otherwise make or drop it on one kind or the other.
@Index('idx_steps_node', { synchronize: false })
// Crash recovery scans only running rows: a partial index keeps that scan small.
@Index('idx_steps_running', ['instanceId'], { where: "status = 'running'" })
export class ExecutionStep {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'execution_id', type: 'varchar', length: 36 })
  executionId!: string;

  @ManyToOne('WorkflowExecution', (execution: WorkflowExecution) => execution.steps, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'execution_id', foreignKeyConstraintName: 'fk_steps_execution' })
  execution?: WorkflowExecution;

  @Column({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @Column({ name: 'node_type', type: 'text' })
  nodeType!: string;

  @Column({ name: 'node_name', type: 'text', nullable: true })
  nodeName!: string | null;

  /** 0-based, unique within the execution, in start order. */
  @Column({ name: 'step_index', type: 'integer' })
  stepIndex!: number;

  @Column({ name: 'started_at', type: 'bigint', transformer: epochMs })
  startedAt!: number;

  @Column({ name: 'completed_at', type: 'bigint', nullable: true, transformer: epochMs })
  completedAt!: number | null;

  @Column({ name: 'duration_ms', type: 'bigint', nullable: true, transformer: epochMs })
  durationMs!: number | null;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: StepStatus;

  @Column({ name: 'input_data', type: 'simple-json', nullable: true })
  inputData!: unknown;

  @Column({ name: 'output_data', type: 'simple-json', nullable: true })
  outputData!: unknown;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'error_stack', type: 'text', nullable: true })
  errorStack!: string | null;

  @Column({ name: 'instance_id', type: 'varchar', length: 36, nullable: true })
  instanceId!: string | null;

  /** The OpenTelemetry trace and span active when the step started, or flowtrail's own span for it. */
  @Column({ name: 'trace_id', type: 'varchar', length: 32, nullable: true })
  traceId!: string | null;

  @Column({ name: 'span_id', type: 'varchar', length: 16, nullable: true })
  spanId!: string | null;

  /** On a `reused` step: the original run's step whose recorded output a re-run took. */
  @Column({ name: 'reused_from_step_id', type: 'varchar', length: 36, nullable: true })
  reusedFromStepId!: string | null;
}
