import type { MigrationInterface, QueryRunner } from 'typeorm';
import { mysqlTableOptions } from './mysqlSchema';
import { isMysql, tableName } from './tables';

/**
 * Tags: a `tags` column on `workflow_executions` (JSON text, what the run was tagged with) and
 * the `execution_tags` table the store derives from it, indexed by key and value, newest first.
 * Existing executions have no tags; adding a nullable column rewrites no row on any database.
 *
 * The key and value lengths (64, 256) keep the lookup index whole on MySQL/MariaDB: in utf8mb4
 * it takes at most 4 × (64 + 256) + 8 + 4 × 36 = 1 432 bytes, under InnoDB's 3 072.
 */
export class AddExecutionTags1796860800000 implements MigrationInterface {
  name = 'AddExecutionTags1796860800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const executions = tableName(queryRunner, 'workflow_executions');
    const tags = tableName(queryRunner, 'execution_tags');
    if (isMysql(queryRunner)) return addMysql(queryRunner, executions, tags);
    await queryRunner.query(`ALTER TABLE ${executions} ADD COLUMN "tags" text`);
    // Quoted and with the foreign key named as TypeORM writes them: it reads SQLite's schema back from this text.
    await queryRunner.query(`CREATE TABLE ${tags} (
      "execution_id" varchar(36) NOT NULL,
      "tag_key" varchar(64) NOT NULL,
      "tag_value" varchar(256) NOT NULL,
      "started_at" bigint NOT NULL,
      PRIMARY KEY ("execution_id", "tag_key"),
      CONSTRAINT "fk_tags_execution" FOREIGN KEY ("execution_id") REFERENCES ${executions} ("id") ON DELETE CASCADE
    )`);
    await queryRunner.query(`CREATE INDEX "idx_tags_lookup" ON ${tags} ("tag_key", "tag_value", "started_at" DESC, "execution_id" DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const executions = tableName(queryRunner, 'workflow_executions');
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner, 'execution_tags')}`);
    await queryRunner.query(`ALTER TABLE ${executions} DROP COLUMN ${isMysql(queryRunner) ? 'tags' : '"tags"'}`);
  }
}

/** MySQL commits each DDL statement at once: each step is made only if missing, so that a run cut short completes next time. */
async function addMysql(queryRunner: QueryRunner, executions: string, tags: string): Promise<void> {
  const columns: unknown[] = await queryRunner.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'workflow_executions' AND column_name = 'tags'",
  );
  if (columns.length === 0) await queryRunner.query(`ALTER TABLE ${executions} ADD COLUMN tags text NULL`);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${tags} (
      execution_id varchar(36) NOT NULL,
      tag_key varchar(64) NOT NULL,
      tag_value varchar(256) NOT NULL,
      started_at bigint NOT NULL,
      PRIMARY KEY (execution_id, tag_key),
      INDEX idx_tags_lookup (tag_key, tag_value, started_at DESC, execution_id DESC),
      CONSTRAINT fk_tags_execution FOREIGN KEY (execution_id) REFERENCES ${executions} (id) ON DELETE CASCADE ON UPDATE NO ACTION
    ) ${mysqlTableOptions(queryRunner)}`);
}
