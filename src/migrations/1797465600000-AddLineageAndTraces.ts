import type { MigrationInterface, QueryRunner } from 'typeorm';
import { mysqlTableOptions } from './mysqlSchema';
import { indexName, isMysql, tableName } from './tables';

/** Columns this migration adds, by table: all nullable, so existing rows are not rewritten on any database. */
const EXECUTION_COLUMNS: readonly (readonly [string, string])[] = [
  ['trace_id', 'varchar(32)'],
  ['span_id', 'varchar(16)'],
  ['forked_from_execution_id', 'varchar(36)'],
  ['forked_from_step_id', 'varchar(36)'],
  ['replay_of_step_id', 'varchar(36)'],
  ['definition_hash', 'varchar(64)'],
];
const STEP_COLUMNS: readonly (readonly [string, string])[] = [
  ['trace_id', 'varchar(32)'],
  ['span_id', 'varchar(16)'],
  ['reused_from_step_id', 'varchar(36)'],
];

/**
 * What acting on history needs: OpenTelemetry trace and span ids on executions and steps, the
 * links of a re-run (forked from) and of a recorded replay, the `reused` step's original, and
 * `workflow_definitions`, the shape of each workflow the runner ran, by content hash.
 *
 * The two new indexes are partial where the database has partial indexes: most runs have no
 * trace and are no fork, and such rows then cost the index nothing.
 */
export class AddLineageAndTraces1797465600000 implements MigrationInterface {
  name = 'AddLineageAndTraces1797465600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const executions = tableName(queryRunner, 'workflow_executions');
    const steps = tableName(queryRunner, 'execution_steps');
    const definitions = tableName(queryRunner, 'workflow_definitions');
    if (isMysql(queryRunner)) return addMysql(queryRunner, executions, steps, definitions);
    for (const [name, type] of EXECUTION_COLUMNS) await queryRunner.query(`ALTER TABLE ${executions} ADD COLUMN "${name}" ${type}`);
    for (const [name, type] of STEP_COLUMNS) await queryRunner.query(`ALTER TABLE ${steps} ADD COLUMN "${name}" ${type}`);
    // Quoted as TypeORM writes it: it reads SQLite's schema back from this text.
    await queryRunner.query(`CREATE TABLE ${definitions} (
      "hash" varchar(64) PRIMARY KEY NOT NULL,
      "workflow_id" text NOT NULL,
      "definition" text NOT NULL,
      "created_at" bigint NOT NULL
    )`);
    await queryRunner.query(`CREATE INDEX "idx_executions_trace" ON ${executions} ("trace_id") WHERE trace_id IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "idx_executions_forked_from" ON ${executions} ("forked_from_execution_id") WHERE forked_from_execution_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = isMysql(queryRunner);
    const quote = (name: string) => (mysql ? name : `"${name}"`);
    const executions = tableName(queryRunner, 'workflow_executions');
    const steps = tableName(queryRunner, 'execution_steps');
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner, 'workflow_definitions')}`);
    for (const index of ['idx_executions_trace', 'idx_executions_forked_from'])
      await queryRunner.query(`DROP INDEX ${indexName(queryRunner, index)}${mysql ? ` ON ${executions}` : ''}`);
    for (const [name] of STEP_COLUMNS) await queryRunner.query(`ALTER TABLE ${steps} DROP COLUMN ${quote(name)}`);
    for (const [name] of EXECUTION_COLUMNS) await queryRunner.query(`ALTER TABLE ${executions} DROP COLUMN ${quote(name)}`);
  }
}

/** MySQL commits each DDL statement at once: each step is made only if missing, so that a run cut short completes next time. */
async function addMysql(queryRunner: QueryRunner, executions: string, steps: string, definitions: string): Promise<void> {
  for (const [table, quoted, columns] of [
    ['workflow_executions', executions, EXECUTION_COLUMNS],
    ['execution_steps', steps, STEP_COLUMNS],
  ] as const) {
    const rows: { name: string }[] = await queryRunner.query(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?',
      [table],
    );
    const present = new Set(rows.map((row) => row.name));
    const missing = columns.filter(([name]) => !present.has(name));
    if (missing.length > 0)
      await queryRunner.query(`ALTER TABLE ${quoted} ${missing.map(([name, type]) => `ADD COLUMN ${name} ${type} NULL`).join(', ')}`);
  }
  const indexes: { name: string }[] = await queryRunner.query(
    "SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'workflow_executions'",
  );
  const indexed = new Set(indexes.map((row) => row.name));
  // No partial indexes on these servers: every row is in them.
  if (!indexed.has('idx_executions_trace')) await queryRunner.query(`CREATE INDEX idx_executions_trace ON ${executions} (trace_id)`);
  if (!indexed.has('idx_executions_forked_from'))
    await queryRunner.query(`CREATE INDEX idx_executions_forked_from ON ${executions} (forked_from_execution_id)`);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${definitions} (
      hash varchar(64) NOT NULL,
      workflow_id text NOT NULL,
      definition text NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (hash)
    ) ${mysqlTableOptions(queryRunner)}`);
}
