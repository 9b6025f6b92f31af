import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

/**
 * A running ExecutionLogger (one per process, usually). Its heartbeat is what crash recovery reads:
 * rows owned by an instance whose heartbeat is older than the lease are orphans of a dead process.
 */
@Entity({ name: 'flowtrail_instances' })
export class LoggerInstance {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'hostname', type: 'text' })
  hostname!: string;

  @Column({ name: 'pid', type: 'integer' })
  pid!: number;

  @Column({ name: 'started_at', type: 'bigint', transformer: epochMs })
  startedAt!: number;

  @Column({ name: 'heartbeat_at', type: 'bigint', transformer: epochMs })
  heartbeatAt!: number;

  @Column({ name: 'stopped_at', type: 'bigint', nullable: true, transformer: epochMs })
  stoppedAt!: number | null;
}
