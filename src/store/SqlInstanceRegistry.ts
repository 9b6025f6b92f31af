import type { Database, Execute } from './Database';
import type { InstanceInfo, InstanceRegistry } from './ports';
import type { RecoveryOptions, RecoveryResult } from './types';

const DEFAULT_LEASE_MS = 30_000;

/** The `flowtrail_instances` table and crash recovery over it. */
export class SqlInstanceRegistry implements InstanceRegistry {
  constructor(private readonly db: Database) {}

  async heartbeat(instance: InstanceInfo, now = Date.now()): Promise<void> {
    const table = this.db.tables.instances;
    await this.db.transaction(async (execute) => {
      const update = this.db.params();
      const { affected } = await execute(
        `UPDATE ${table} SET heartbeat_at = ${update.add(now)}, stopped_at = NULL WHERE id = ${update.add(instance.id)}`,
        update.values,
      );
      if (affected === 0) await this.insert(execute, instance, now, false);
    });
  }

  async markStopped(id: string, now = Date.now()): Promise<void> {
    await this.db.transaction(async (execute) => {
      const params = this.db.params();
      await execute(`UPDATE ${this.db.tables.instances} SET stopped_at = ${params.add(now)} WHERE id = ${params.add(id)}`, params.values);
    });
  }

  async retire(instance: InstanceInfo): Promise<void> {
    // Never seen by the database (its spool held everything): recorded as last alive when it started.
    await this.db.transaction((execute) => this.insert(execute, instance, instance.startedAt, true));
    await this.markStopped(instance.id);
  }

  /**
   * Marks as `interrupted` the executions and steps still `running` whose owner is gone: its
   * heartbeat is older than the lease, it stopped, or it is unknown and the row itself is older
   * than the lease. Guarded on `status = 'running'`, so finished rows are never overwritten and
   * two processes recovering at once do no harm.
   */
  async recover(options: RecoveryOptions = {}): Promise<RecoveryResult> {
    this.db.assertOpen();
    const now = options.now ?? Date.now();
    const staleBefore = now - (options.leaseMs ?? DEFAULT_LEASE_MS);
    const instances = this.db.tables.instances;
    const recover = async (execute: Execute, table: string, message: string): Promise<number> => {
      const params = this.db.params();
      const sql = `UPDATE ${table} SET status = 'interrupted', completed_at = ${params.add(now)},
          duration_ms = ${params.add(now)} - started_at, error_message = ${params.add(message)}
        WHERE status = 'running' AND (
          (instance_id IS NULL AND started_at < ${params.add(staleBefore)})
          OR instance_id IN (SELECT id FROM ${instances} WHERE heartbeat_at < ${params.add(staleBefore)} OR stopped_at IS NOT NULL)
          OR (instance_id NOT IN (SELECT id FROM ${instances}) AND started_at < ${params.add(staleBefore)})
        )${options.selfInstanceId ? ` AND (instance_id IS NULL OR instance_id <> ${params.add(options.selfInstanceId)})` : ''}`;
      return (await execute(sql, params.values)).affected;
    };
    return this.db.transaction(async (execute) => ({
      steps: await recover(execute, this.db.tables.steps, 'Interrupted: the process recording this step stopped before it finished'),
      executions: await recover(
        execute,
        this.db.tables.executions,
        'Interrupted: the process running this workflow stopped before it finished',
      ),
    }));
  }

  private async insert(execute: Execute, instance: InstanceInfo, heartbeatAt: number, ifMissing: boolean): Promise<void> {
    const params = this.db.params();
    const values = params.list([instance.id, instance.hostname, instance.pid, instance.startedAt, heartbeatAt]);
    await execute(
      `INSERT INTO ${this.db.tables.instances} (id, hostname, pid, started_at, heartbeat_at) VALUES (${values})${ifMissing ? this.db.dialect.ignoreDuplicateSql('id') : ''}`,
      params.values,
    );
  }
}
