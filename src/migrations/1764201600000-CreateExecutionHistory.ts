import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMysqlSchema } from './mysqlSchema';
import { isMysql, tableName } from './tables';

/**
 * The CF11-004 schema. Written as SQL that SQLite and PostgreSQL both accept, because TypeORM's
 * index API cannot say DESC and the newest-first indexes are what the history queries use.
 * MySQL and MariaDB, supported later, get the schema as it is today in one step (mysqlSchema.ts).
 */
export class CreateExecutionHistory1764201600000 implements MigrationInterface {
  name = 'CreateExecutionHistory1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) return createMysqlSchema(queryRunner);
    const executions = tableName(queryRunner, 'workflow_executions');
    const steps = tableName(queryRunner, 'execution_steps');
    const instances = tableName(queryRunner, 'flowtrail_instances');
    await queryRunner.query(`CREATE TABLE ${executions} (
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
    await queryRunner.query(`CREATE TABLE ${steps} (
      id varchar(36) PRIMARY KEY NOT NULL,
      execution_id varchar(36) NOT NULL REFERENCES ${executions} (id) ON DELETE CASCADE,
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
    await queryRunner.query(`CREATE TABLE ${instances} (
      id varchar(36) PRIMARY KEY NOT NULL,
      hostname text NOT NULL,
      pid integer NOT NULL,
      started_at bigint NOT NULL,
      heartbeat_at bigint NOT NULL,
      stopped_at bigint
    )`);
    const indexes = [
      `idx_executions_workflow ON ${executions} (workflow_id)`,
      `idx_executions_status ON ${executions} (status)`,
      `idx_executions_started ON ${executions} (started_at DESC, id DESC)`,
      `idx_executions_workflow_started ON ${executions} (workflow_id, started_at DESC, id DESC)`,
      `idx_executions_parent ON ${executions} (parent_execution_id)`,
      // Only running rows are scanned by crash recovery; a partial index keeps that scan tiny.
      `idx_executions_running ON ${executions} (instance_id) WHERE status = 'running'`,
      `UNIQUE INDEX idx_steps_execution_index ON ${steps} (execution_id, step_index)`,
      `idx_steps_node ON ${steps} (node_id)`,
      `idx_steps_running ON ${steps} (instance_id) WHERE status = 'running'`,
    ];
    for (const index of indexes) {
      const unique = index.startsWith('UNIQUE ');
      await queryRunner.query(`CREATE ${unique ? index : `INDEX ${index}`}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner, 'execution_steps')}`);
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner, 'workflow_executions')}`);
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner, 'flowtrail_instances')}`);
  }
}
