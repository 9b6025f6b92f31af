import type { QueryRunner } from 'typeorm';
import { tableName } from './tables';

/**
 * Characters of a text column an index holds on MySQL/MariaDB, which cannot index a whole TEXT:
 * 255 four-byte characters stay within InnoDB's 3072-byte key. TypeORM reads an index's columns
 * without their prefix length, so it sees the entities' indexes as declared.
 */
const TEXT_KEY_CHARS = 255;

/**
 * The history schema on MySQL 8 / MariaDB 10.6+, as the entities declare it. `utf8mb4` holds
 * every character a captured value can have; a binary collation without padding compares ids and
 * names exactly, as SQLite and PostgreSQL do (`utf8mb4_bin` would find 'a' by 'a '). Neither server has partial indexes: the running-rows
 * indexes hold every row. Data columns are TEXT (65 535 bytes), which is what TypeORM maps the
 * entities' `simple-json` to; the logger caps each value to fit (see `maxDataSize`).
 *
 * MySQL commits each CREATE TABLE at once, whatever transaction the migration runs in: a run
 * that fails half-way (two processes opening a new database together) leaves some tables, so
 * each is created only if missing, and the next run completes the schema.
 */
export async function createMysqlSchema(queryRunner: QueryRunner): Promise<void> {
  const executions = tableName(queryRunner, 'workflow_executions');
  const steps = tableName(queryRunner, 'execution_steps');
  const instances = tableName(queryRunner, 'flowtrail_instances');
  const table = mysqlTableOptions(queryRunner);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${executions} (
      id varchar(36) NOT NULL,
      workflow_id text NOT NULL,
      workflow_name text NOT NULL,
      trigger_type text NOT NULL,
      trigger_data text NULL,
      status varchar(16) NOT NULL,
      started_at bigint NOT NULL,
      completed_at bigint NULL,
      duration_ms bigint NULL,
      error_message text NULL,
      error_stack text NULL,
      metadata text NULL,
      parent_execution_id varchar(36) NULL,
      parent_step_id varchar(36) NULL,
      instance_id varchar(36) NULL,
      PRIMARY KEY (id),
      INDEX idx_executions_workflow (workflow_id(${TEXT_KEY_CHARS})),
      INDEX idx_executions_status (status),
      INDEX idx_executions_started (started_at DESC, id DESC),
      INDEX idx_executions_workflow_started (workflow_id(${TEXT_KEY_CHARS}), started_at DESC, id DESC),
      INDEX idx_executions_parent (parent_execution_id),
      INDEX idx_executions_running (instance_id)
    ) ${table}`);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${steps} (
      id varchar(36) NOT NULL,
      execution_id varchar(36) NOT NULL,
      node_id text NOT NULL,
      node_type text NOT NULL,
      node_name text NULL,
      step_index int NOT NULL,
      started_at bigint NOT NULL,
      completed_at bigint NULL,
      duration_ms bigint NULL,
      status varchar(16) NOT NULL,
      input_data text NULL,
      output_data text NULL,
      error_message text NULL,
      error_stack text NULL,
      instance_id varchar(36) NULL,
      PRIMARY KEY (id),
      UNIQUE INDEX idx_steps_execution_index (execution_id, step_index),
      INDEX idx_steps_node (node_id(${TEXT_KEY_CHARS})),
      INDEX idx_steps_running (instance_id),
      CONSTRAINT fk_steps_execution FOREIGN KEY (execution_id) REFERENCES ${executions} (id) ON DELETE CASCADE ON UPDATE NO ACTION
    ) ${table}`);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${instances} (
      id varchar(36) NOT NULL,
      hostname text NOT NULL,
      pid int NOT NULL,
      started_at bigint NOT NULL,
      heartbeat_at bigint NOT NULL,
      stopped_at bigint NULL,
      PRIMARY KEY (id)
    ) ${table}`);
}

/** What every history table is created with on MySQL/MariaDB (see {@link createMysqlSchema}). */
export function mysqlTableOptions(queryRunner: QueryRunner): string {
  const collation = queryRunner.connection.options.type === 'mariadb' ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
  return `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`;
}
