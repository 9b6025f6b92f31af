import type { MigrationInterface, QueryRunner } from 'typeorm';
import { indexName, isMysql, isSqlite, tableName } from './tables';

/** Characters of a text column an index holds on MySQL/MariaDB (as mysqlSchema.ts). */
const TEXT_KEY_CHARS = 255;

/** The indexes no query of the store, the CLI or the viewer reads, their tables and columns, and on which databases. */
const DROPPED = [
  // SQLite's node search keeps node_id off indexes (`dialect.unindexed`: its planner, without
  // statistics, chose this index over the execution's), so nothing reads it there. PostgreSQL and
  // MySQL find steps by node with it (`list --node`), so it stays on those.
  { name: 'idx_steps_node', table: 'execution_steps', column: 'node_id', sqliteOnly: true },
  // Every lookup by workflow uses (workflow_id, started_at, id), whose prefix this is.
  { name: 'idx_executions_workflow', table: 'workflow_executions', column: 'workflow_id', sqliteOnly: false },
] as const;

/**
 * Drops the indexes of the CF11-004 schema that no query needs where they are: each cost every
 * write (see docs/performance.md, issue #16 target 4) and bought no read.
 */
export class DropUnqueriedIndexes1798070400000 implements MigrationInterface {
  name = 'DropUnqueriedIndexes1798070400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dropped = droppedOn(queryRunner);
    if (isMysql(queryRunner)) {
      // MySQL commits each DDL statement at once: drop only what is still there, so a run cut short completes next time.
      const present = await mysqlIndexes(queryRunner);
      for (const { name, table } of dropped)
        if (present.has(name)) await queryRunner.query(`DROP INDEX ${name} ON ${tableName(queryRunner, table)}`);
      return;
    }
    for (const { name } of dropped) await queryRunner.query(`DROP INDEX IF EXISTS ${indexName(queryRunner, name)}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = isMysql(queryRunner);
    // As up(): on MySQL make only what is missing, so a run cut short completes next time.
    const present = mysql ? await mysqlIndexes(queryRunner) : null;
    for (const { name, table, column } of droppedOn(queryRunner)) {
      if (present?.has(name)) continue;
      const key = mysql ? `${column}(${TEXT_KEY_CHARS})` : column;
      await queryRunner.query(`CREATE INDEX ${mysql ? name : `"${name}"`} ON ${tableName(queryRunner, table)} (${key})`);
    }
  }
}

function droppedOn(queryRunner: QueryRunner): (typeof DROPPED)[number][] {
  const sqlite = isSqlite(queryRunner);
  return DROPPED.filter((index) => sqlite || !index.sqliteOnly);
}

async function mysqlIndexes(queryRunner: QueryRunner): Promise<Set<string>> {
  const rows: { name: string }[] = await queryRunner.query(
    "SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name IN ('execution_steps', 'workflow_executions')",
  );
  return new Set(rows.map((row) => row.name));
}
