import type { PostgresStoreOptions, RecoveryOptions, RecoveryResult, SqliteStoreOptions, WriteBatch } from './types';

/**
 * The narrow views of the store that the rest of flowtrail holds. The writer knows a sink, the
 * logger an instance registry; neither sees a TypeORM DataSource or writes SQL. Everything about
 * the database — its SQL, its dialect, its error codes, its identity — stays inside `store/`.
 */

/** Where a logger's spool lives by default, and which database its records belong to. */
export interface SpoolLocation {
  /** Beside the SQLite file (`<file>.spool`), `./.flowtrail/spool` for a server; absolute. Null for a database in memory: no spool unless one is configured. */
  readonly defaultDir: string | null;
  /** A hash naming the database (never its credentials): a spool is only ever replayed into the database it was written for. */
  readonly databaseKey: string;
}

/** How another connection (the writer thread's) opens the same database. */
export type ReopenOptions = SqliteStoreOptions | PostgresStoreOptions;

/** What the writer writes batches through. */
export interface HistorySink {
  /** One transaction; inserts of ids already present are skipped, so a batch may be replayed. */
  writeBatch(batch: WriteBatch): Promise<void>;
  /**
   * Whether the database refused the data itself (a constraint, a value it cannot hold), so that
   * retrying the same records can never succeed; false when it is unreachable, busy or failing.
   */
  isDataError(error: unknown): boolean;
  readonly spoolLocation: SpoolLocation;
  /** UTF-8 bytes one text value may have here (MySQL's TEXT holds 65 535); Infinity where no column bounds it. */
  readonly maxTextBytes: number;
  /** Null when the store cannot be reopened elsewhere (a DataSource handed in). */
  readonly reopenOptions: ReopenOptions | null;
}

/** A logger instance as the registry records it. */
export interface InstanceInfo {
  id: string;
  hostname: string;
  pid: number;
  startedAt: number;
}

/** Heartbeats, leases and crash recovery: what a logger needs to own its running rows. */
export interface InstanceRegistry {
  /** Records the instance, or refreshes its heartbeat. */
  heartbeat(instance: InstanceInfo, now?: number): Promise<void>;
  markStopped(id: string, now?: number): Promise<void>;
  /** Marks `running` rows of dead instances `interrupted`; never the caller's own. */
  recover(options: RecoveryOptions): Promise<RecoveryResult>;
  /**
   * A dead instance whose spool has been replayed in full: recorded if it never reached the
   * database (its heartbeat at `instance.startedAt`), and marked stopped.
   */
  retire(instance: InstanceInfo): Promise<void>;
}
