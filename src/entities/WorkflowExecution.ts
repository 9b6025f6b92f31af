import { Column, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';
import type { ExecutionStep } from './ExecutionStep';

export type ExecutionStatus = 'running' | 'success' | 'error' | 'interrupted';
export type TriggerType = 'webhook' | 'schedule' | 'manual' | 'db_change' | 'internal_event' | 'test' | (string & {});

/**
 * One workflow run (CF11-004 `workflow_executions`). Every column names its type explicitly so the
 * mapping does not depend on emitted decorator metadata, and is chosen to read back identically
 * on SQLite and PostgreSQL: text ids, bigint epoch ms read as numbers, JSON stored as text.
 *
 * The newest-first indexes are declared ascending: TypeORM's index API cannot say DESC, and both
 * databases walk a B-tree backwards as fast as forwards, so `ORDER BY started_at DESC, id DESC`
 * uses them alike. The migration creates them DESC; TypeORM does not compare directions.
 * There is no index on `workflow_id` alone: `(workflow_id, started_at, id)` serves every lookup by workflow.
 */
@Entity({ name: 'workflow_executions' })
@Index('idx_executions_status', ['status'])
@Index('idx_executions_started', ['startedAt', 'id'])
@Index('idx_executions_workflow_started', ['workflowId', 'startedAt', 'id'])
@Index('idx_executions_parent', ['parentExecutionId'])
@Index('idx_executions_running', ['instanceId'], { where: "status = 'running'" })
@Index('idx_executions_trace', ['traceId'], { where: 'trace_id IS NOT NULL' })
@Index('idx_executions_forked_from', ['forkedFromExecutionId'], { where: 'forked_from_execution_id IS NOT NULL' })
export class WorkflowExecution {
  /** UUIDv7, made by the client: time-ordered. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'workflow_id', type: 'text' })
  workflowId!: string;

  @Column({ name: 'workflow_name', type: 'text' })
  workflowName!: string;

  @Column({ name: 'trigger_type', type: 'text' })
  triggerType!: TriggerType;

  @Column({ name: 'trigger_data', type: 'simple-json', nullable: true })
  triggerData!: unknown;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: ExecutionStatus;

  /** Epoch milliseconds. */
  @Column({ name: 'started_at', type: 'bigint', transformer: epochMs })
  startedAt!: number;

  @Column({ name: 'completed_at', type: 'bigint', nullable: true, transformer: epochMs })
  completedAt!: number | null;

  @Column({ name: 'duration_ms', type: 'bigint', nullable: true, transformer: epochMs })
  durationMs!: number | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'error_stack', type: 'text', nullable: true })
  errorStack!: string | null;

  @Column({ name: 'metadata', type: 'simple-json', nullable: true })
  metadata!: unknown;

  /** Set when this workflow was started from inside a node of another execution. */
  @Column({ name: 'parent_execution_id', type: 'varchar', length: 36, nullable: true })
  parentExecutionId!: string | null;

  @Column({ name: 'parent_step_id', type: 'varchar', length: 36, nullable: true })
  parentStepId!: string | null;

  /** The logger instance (process) that owns this row while it is running; see crash recovery. */
  @Column({ name: 'instance_id', type: 'varchar', length: 36, nullable: true })
  instanceId!: string | null;

  /** Tags to find the run by (string → string); indexed in `execution_tags`. */
  @Column({ name: 'tags', type: 'simple-json', nullable: true })
  tags!: Record<string, string> | null;

  /** The OpenTelemetry trace this run belongs to: the span active when it started, or flowtrail's own. */
  @Column({ name: 'trace_id', type: 'varchar', length: 32, nullable: true })
  traceId!: string | null;

  @Column({ name: 'span_id', type: 'varchar', length: 16, nullable: true })
  spanId!: string | null;

  /** On a re-run (`runner.rerun`): the execution it was forked from. */
  @Column({ name: 'forked_from_execution_id', type: 'varchar', length: 36, nullable: true })
  forkedFromExecutionId!: string | null;

  /** On a re-run: the original execution's step it re-ran from. */
  @Column({ name: 'forked_from_step_id', type: 'varchar', length: 36, nullable: true })
  forkedFromStepId!: string | null;

  /** On a recorded replay (`replayStep(…, { record: true })`): the step whose input it ran again. */
  @Column({ name: 'replay_of_step_id', type: 'varchar', length: 36, nullable: true })
  replayOfStepId!: string | null;

  /** The workflow's shape this run had: a `WorkflowDefinition.hash` (runs of the built-in runner). */
  @Column({ name: 'definition_hash', type: 'varchar', length: 64, nullable: true })
  definitionHash!: string | null;

  @OneToMany('ExecutionStep', (step: ExecutionStep) => step.execution)
  steps?: ExecutionStep[];
}
