import { hostname } from 'node:os';
import type { ResolvedLoggerConfig } from '../config/LoggerConfig';
import type { InstanceInfo, InstanceRegistry } from '../store/ports';
import type { RecoveryResult } from '../store/types';
import type { ErrorReporter } from './ErrorReporter';

/** What the lifecycle reads of the configuration. */
export type InstanceLifecycleSettings = Pick<ResolvedLoggerConfig, 'heartbeatIntervalMs' | 'leaseMs' | 'recoverOnStart'>;

/**
 * A logger's life as an instance in the registry: it owns the rows it leaves `running` for as long
 * as its heartbeat is fresh. Registers and beats on an unref()'d timer (an idle logger never keeps
 * a program alive), recovers what dead instances left running, retires a dead logger once its
 * spool is replayed, and marks itself stopped. Failures go to the reporter, never to the caller.
 */
export class InstanceLifecycle {
  private readonly startedAt = Date.now();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /**
   * The beat in flight, if any (it never rejects). One at a time: beats piling up on a slow database
   * would commit out of order, and one left behind by `markStopped()` would clear `stopped_at`.
   */
  private beating: Promise<void> | null = null;

  constructor(
    private readonly registry: InstanceRegistry,
    private readonly instanceId: string,
    private readonly settings: InstanceLifecycleSettings,
    private readonly reporter: ErrorReporter,
  ) {}

  /** Registers the instance, starts the heartbeat and, when `recoverOnStart`, recovers what dead instances left running. */
  async start(): Promise<void> {
    await this.beat();
    this.heartbeatTimer = setInterval(() => {
      if (this.beating === null) void this.beat();
    }, this.settings.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    if (this.settings.recoverOnStart) {
      await this.recover().then(
        () => this.reporter.recovered('recovery'),
        (error: unknown) => this.reporter.report(error, { operation: 'recovery' }),
      );
    }
  }

  /** Marks rows left `running` by dead instances (heartbeat older than `leaseMs`) as `interrupted`; never this one's. */
  recover(): Promise<RecoveryResult> {
    return this.registry.recover({ leaseMs: this.settings.leaseMs, selfInstanceId: this.instanceId });
  }

  /**
   * A dead logger's spool has been replayed in full, so what it left `running` was interrupted:
   * mark it so now, rather than once its lease runs out (it may never have reached the database).
   */
  async retire(instance: InstanceInfo): Promise<void> {
    try {
      await this.registry.retire(instance);
      if (this.settings.recoverOnStart) await this.recover();
    } catch (error) {
      this.reporter.report(error, { operation: 'recovery' });
    }
  }

  /** Stops the heartbeat; call once `start()` has settled, or it may arm the timer after. */
  stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /**
   * Marks the instance stopped: other loggers may recover its `running` rows at once. So only
   * after everything it queued is written, and after the last heartbeat (which would clear it).
   */
  async markStopped(): Promise<void> {
    await this.beating;
    await this.registry.markStopped(this.instanceId).catch((error: unknown) => this.reporter.report(error, { operation: 'heartbeat' }));
  }

  private beat(): Promise<void> {
    const beat = this.sendBeat().finally(() => {
      if (this.beating === beat) this.beating = null;
    });
    this.beating = beat;
    return beat;
  }

  private async sendBeat(): Promise<void> {
    try {
      await this.registry.heartbeat({ id: this.instanceId, hostname: hostname(), pid: process.pid, startedAt: this.startedAt });
      this.reporter.recovered('heartbeat');
    } catch (error) {
      this.reporter.report(error, { operation: 'heartbeat' });
    }
  }
}
