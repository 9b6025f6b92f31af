import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql, isPostgres, tableName } from './tables';

/** The name the entity gives the steps → executions foreign key, so that TypeORM finds it as declared. */
const FOREIGN_KEY = 'fk_steps_execution';
/** What PostgreSQL named it when the first migration left it unnamed. */
const POSTGRES_DEFAULT_NAME = 'execution_steps_execution_id_fkey';

/**
 * Names the foreign key of `execution_steps`. The first migration declared it inline and
 * unnamed; TypeORM compares foreign keys by name, so a DataSource holding flowtrail's entities saw
 * a schema change to make (on SQLite, a rebuild of the steps table) on every database it created.
 *
 * PostgreSQL renames the constraint in place. SQLite cannot alter a constraint: the table is
 * rebuilt once (copied, as SQLite documents for such changes), which takes time in proportion to
 * the history's size. On MySQL and MariaDB the key has had this name from the first migration.
 */
export class NameStepsForeignKey1795996800000 implements MigrationInterface {
  name = 'NameStepsForeignKey1795996800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) return;
    if (isPostgres(queryRunner)) await renamePostgres(queryRunner, FOREIGN_KEY);
    else await rebuildSqlite(queryRunner, `CONSTRAINT "${FOREIGN_KEY}" FOREIGN KEY ("execution_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) return;
    if (isPostgres(queryRunner)) await renamePostgres(queryRunner, POSTGRES_DEFAULT_NAME);
    else await rebuildSqlite(queryRunner, 'FOREIGN KEY ("execution_id")');
  }
}

/** Whatever the key is called now (a database made by `synchronize` has TypeORM's generated name), it gets `name`. */
async function renamePostgres(queryRunner: QueryRunner, name: string): Promise<void> {
  const steps = tableName(queryRunner, 'execution_steps');
  const rows: { conname: string }[] = await queryRunner.query(
    `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' AND confrelid = $2::regclass`,
    [steps, tableName(queryRunner, 'workflow_executions')],
  );
  for (const { conname } of rows) {
    if (conname !== name) await queryRunner.query(`ALTER TABLE ${steps} RENAME CONSTRAINT "${conname}" TO "${name}"`);
  }
}

const STEP_COLUMNS = `"id" varchar(36) PRIMARY KEY NOT NULL,
      "execution_id" varchar(36) NOT NULL,
      "node_id" text NOT NULL,
      "node_type" text NOT NULL,
      "node_name" text,
      "step_index" integer NOT NULL,
      "started_at" bigint NOT NULL,
      "completed_at" bigint,
      "duration_ms" bigint,
      "status" varchar(16) NOT NULL,
      "input_data" text,
      "output_data" text,
      "error_message" text,
      "error_stack" text,
      "instance_id" varchar(36)`;

const COLUMN_LIST =
  'id, execution_id, node_id, node_type, node_name, step_index, started_at, completed_at, duration_ms, status, input_data, output_data, error_message, error_stack, instance_id';

/**
 * SQLite's procedure for a constraint change: a new table with the constraint as wanted, the rows
 * copied, the old table dropped, the new one renamed, its indexes made again as they were.
 */
async function rebuildSqlite(queryRunner: QueryRunner, foreignKey: string): Promise<void> {
  const indexes: { sql: string }[] = await queryRunner.query(
    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'execution_steps' AND sql IS NOT NULL",
  );
  await queryRunner.query(`CREATE TABLE "execution_steps_rebuilt" (
      ${STEP_COLUMNS},
      ${foreignKey} REFERENCES "workflow_executions" ("id") ON DELETE CASCADE
    )`);
  await queryRunner.query(`INSERT INTO "execution_steps_rebuilt" (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM "execution_steps"`);
  await queryRunner.query('DROP TABLE "execution_steps"');
  await queryRunner.query('ALTER TABLE "execution_steps_rebuilt" RENAME TO "execution_steps"');
  for (const { sql } of indexes) await queryRunner.query(sql);
}
