import type { ResolvedLoggerConfig } from '../config/LoggerConfig';
import type { HistorySink, InstanceInfo } from '../store/ports';
import { BatchWriter, type BatchWriterOptions } from '../writer/BatchWriter';
import { largestRecordBytes } from '../writer/records';
import { Spool } from '../writer/Spool';
import { WriterThread } from '../writer/WriterThread';
import type { ReportError } from './ErrorReporter';

/**
 * What the pipeline reads of the configuration: the writer's batching, the spool's folder, the
 * thread switch, and the caps that bound the largest record (the thread's heap must hold one).
 */
export type PipelineSettings = BatchWriterOptions &
  Pick<ResolvedLoggerConfig, 'spoolDir' | 'writerThread' | 'enabled' | 'maxDataSize' | 'maxErrorMessageSize' | 'maxErrorStackSize'>;

/** The write path of one logger, from the queue it records into to the database. */
export interface Pipeline {
  /** Where records are queued; the recorder calls it directly on the hot path. */
  readonly writer: BatchWriter;
  /** Null when batches are written on the store's own connection. */
  readonly thread: WriterThread | null;
  /** Settles once the writer thread, if any, has its connection or has failed to open one. */
  readonly ready: Promise<void>;
  /** Whether batches are written on the writer thread now (false once it failed and writes fell back). */
  readonly threadActive: boolean;
  /** Writes what is queued (retrying up to `timeoutMs`, spooling the rest), then ends the thread. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Builds the spool, the writer thread and the batch writer over `sink`: the one place that
 * constructs writer objects, so that a change in how they fit together stays in this file.
 *
 * @param onOrphanReplayed called when the spool of a dead logger has been replayed in full, with
 *   that logger's instance: what it left running can be recovered now.
 */
export function createPipeline(
  sink: HistorySink,
  settings: PipelineSettings,
  instanceId: string,
  report: ReportError,
  onOrphanReplayed: (instance: InstanceInfo) => void,
): Pipeline {
  const spool = Spool.forSink(sink, settings, instanceId, report);
  if (spool) {
    spool.onAdoptedReplayed = (owner) =>
      onOrphanReplayed({ id: owner.instanceId, hostname: owner.hostname, pid: owner.pid, startedAt: owner.createdAt });
  }
  // A logger disabled from the start may never record: it does not start a thread for nothing.
  const thread = settings.writerThread && settings.enabled ? WriterThread.start(sink, largestRecordBytes(settings)) : null;
  const writer = new BatchWriter(thread ?? sink, settings, report, spool);
  return {
    writer,
    thread,
    ready: thread ? thread.ready : Promise.resolve(),
    get threadActive() {
      return thread?.active ?? false;
    },
    async close(timeoutMs) {
      await writer.close(timeoutMs);
      await thread?.close();
    },
  };
}
