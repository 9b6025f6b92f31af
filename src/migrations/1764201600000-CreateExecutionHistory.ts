import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CF11-004 schema. Written as SQL that SQLite and PostgreSQL both accept, because TypeORM's
 * index API cannot say DESC and the newest-first indexes are what the history queries use.
 */
export class CreateExecutionHistory1764201600000 implements MigrationInterface {
  name = 'CreateExecutionHistory1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE workflow_executions (
      id varchar(36) PRIMARY KEY NOT NULL,
      workflow_id text NOT NULL,
      workflow_name text NOT NULL,
      trigger_type text NOT NULL,
      trigger_data text,
      status varchar(16) NOT NULL,
      started_at bigint NOT NULL,
      completed_at bigint,
      duration_ms bigint,
      error_message text,
      error_stack text,
      metadata text,
      parent_execution_id varchar(36),
      parent_step_id varchar(36),
      instance_id varchar(36)
    )`);
    await queryRunner.query(`CREATE TABLE execution_steps (
      id varchar(36) PRIMARY KEY NOT NULL,
      execution_id varchar(36) NOT NULL REFERENCES workflow_executions (id) ON DELETE CASCADE,
      node_id text NOT NULL,
      node_type text NOT NULL,
      node_name text,
      step_index integer NOT NULL,
      started_at bigint NOT NULL,
      completed_at bigint,
      duration_ms bigint,
      status varchar(16) NOT NULL,
      input_data text,
      output_data text,
      error_message text,
      error_stack text,
      instance_id varchar(36)
    )`);
    await queryRunner.query(`CREATE TABLE flowtrail_instances (
      id varchar(36) PRIMARY KEY NOT NULL,
      hostname text NOT NULL,
      pid integer NOT NULL,
      started_at bigint NOT NULL,
      heartbeat_at bigint NOT NULL,
      stopped_at bigint
    )`);
    const indexes = [
      'idx_executions_workflow ON workflow_executions (workflow_id)',
      'idx_executions_status ON workflow_executions (status)',
      'idx_executions_started ON workflow_executions (started_at DESC, id DESC)',
      'idx_executions_workflow_started ON workflow_executions (workflow_id, started_at DESC, id DESC)',
      'idx_executions_parent ON workflow_executions (parent_execution_id)',
      // Only running rows are scanned by crash recovery; a partial index keeps that scan tiny.
      "idx_executions_running ON workflow_executions (instance_id) WHERE status = 'running'",
      'UNIQUE INDEX idx_steps_execution_index ON execution_steps (execution_id, step_index)',
      'idx_steps_node ON execution_steps (node_id)',
      "idx_steps_running ON execution_steps (instance_id) WHERE status = 'running'",
    ];
    for (const index of indexes) {
      const unique = index.startsWith('UNIQUE ');
      await queryRunner.query(`CREATE ${unique ? index : `INDEX ${index}`}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE execution_steps');
    await queryRunner.query('DROP TABLE workflow_executions');
    await queryRunner.query('DROP TABLE flowtrail_instances');
  }
}
