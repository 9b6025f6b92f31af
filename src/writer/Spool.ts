import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UnstorableRecordError, type ReportError } from '../errors';
import type { HistorySink } from '../store/ports';
import { encodeSpoolLine, MAX_BATCH_BYTES, parseSpoolLine, spoolChunkBytes, spoolLineBytes, type SpoolRecord } from './records';
import { SegmentLog, type Segment } from './SegmentLog';
import { adoptedWithin, adoptOrphans, holdFolder, readOwner, releaseFolder, writeOwner, type SpoolOwner } from './SpoolOwner';

export type { SpoolOwner } from './SpoolOwner';

/** Records read from a spool, to be written in one transaction and then committed with `commit()`. */
export interface SpoolChunk {
  readonly records: SpoolRecord[];
  /** Whether they are this logger's own records (rather than a dead logger's it adopted). */
  readonly own: boolean;
  /** Highest sequence number among them (own records only; 0 otherwise). */
  readonly lastSequence: number;
  /** Lines consumed, including unreadable ones. */
  readonly lines: number;
  readonly segment: Segment;
}

interface AdoptedFolder {
  readonly path: string;
  readonly owner: SpoolOwner;
  readonly log: SegmentLog;
}

/**
 * Where records go when the database cannot take them yet and memory is full: segment files of
 * JSON lines (a {@link SegmentLog}) in a folder of this logger's own, `<dir>/<instanceId>/`, and
 * the folders of dead loggers it adopted (see {@link adoptOrphans}).
 *
 * - Own records are replayed first (new records must not overtake them), then adopted folders,
 *   each in the order it was written.
 * - A segment is deleted only after all its records are committed; a crash in between replays it
 *   again, which the store makes harmless (inserts of existing ids are skipped, updates set the
 *   same values). A torn or unreadable line is skipped and counted, never replayed half.
 * - The backlog counts this logger's records on disk and not committed yet: while there are any,
 *   new records must follow them here.
 */
export class Spool {
  /** This logger's folder. */
  readonly folder: string;
  private readonly log: SegmentLog;
  private readonly adopted: AdoptedFolder[] = [];
  private folderReady = false;
  private appendedLines = 0;
  private committedLines = 0;
  private failing = false;
  private keepFolder = false;
  private readonly reported = new Set<string>();
  private closed = false;
  /** Called with the number of records set aside because they cannot be written as JSON. */
  onUnstorable: ((records: number) => void) | null = null;
  /** Called when a dead logger's folder has been replayed in full: its rows still running can be recovered. */
  onAdoptedReplayed: ((owner: SpoolOwner) => void) | null = null;

  constructor(
    /** The spool folder shared by the loggers of one database. */
    readonly dir: string,
    private readonly instanceId: string,
    private readonly database: string,
    private readonly report: ReportError,
    /** Lines per segment: one segment is at most one write transaction. */
    segmentLines: number,
    /** Bytes per segment: a segment is read back whole into memory. */
    segmentBytes = MAX_BATCH_BYTES,
  ) {
    this.folder = join(dir, instanceId);
    this.log = new SegmentLog(this.folder, { lines: segmentLines, bytes: segmentBytes }, () => this.ensureFolder());
    holdFolder(this.folder);
  }

  /** The spool of a logger writing through `sink`: `spoolDir` when given, none when `false`, else where the sink says. */
  static forSink(
    sink: HistorySink,
    config: { spoolDir: string | false | undefined; maxBatchSize: number; maxQueueSize: number; maxQueueBytes: number },
    instanceId: string,
    report: ReportError,
  ): Spool | null {
    const { defaultDir, databaseKey } = sink.spoolLocation;
    const dir = config.spoolDir === false ? null : (config.spoolDir ?? defaultDir);
    if (dir === null) return null;
    // A segment is at most one batch, and a batch read back never overfills memory.
    const segmentLines = Math.max(1, Math.min(config.maxBatchSize, config.maxQueueSize));
    const segmentBytes = spoolChunkBytes(config.maxQueueBytes);
    return new Spool(resolve(dir), instanceId, databaseKey, report, segmentLines, segmentBytes);
  }

  /** This logger's records on disk and not yet committed. While there are any, new records must follow them. */
  get backlog(): number {
    return this.appendedLines - this.committedLines;
  }

  /** Whether anything (own or adopted) waits to be replayed. */
  get hasPending(): boolean {
    return this.backlog > 0 || this.adopted.length > 0;
  }

  /**
   * Appends records after everything spooled so far, as one write. Returns false (and reports the
   * failure once per outage) when the spool cannot be written; nothing is half-appended then.
   */
  append(records: readonly SpoolRecord[]): boolean {
    if (this.closed || records.length === 0) return records.length === 0;
    try {
      const { text, lines } = this.encode(records);
      if (lines === 0) return true;
      this.log.append(text, lines);
      this.appendedLines += lines;
      this.failing = false;
      return true;
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.report(error, { operation: 'spool', records: records.length });
      }
      return false;
    }
  }

  /**
   * Makes what was appended durable (fsync): strict mode's promise while the database is down.
   * False (reported) when the disk refuses.
   */
  sync(): boolean {
    try {
      this.log.sync();
      return true;
    } catch (error) {
      this.reportOnce('sync', error);
      return false;
    }
  }

  /**
   * After `close()`: writes records that arrived late into a segment of their own, fsync'ed, for
   * the next logger on this database to replay (this process no longer holds the folder). The
   * folder is made again if closing removed it. False (reported) when it cannot be written.
   */
  appendLate(records: readonly SpoolRecord[]): boolean {
    try {
      const { text, lines } = this.encode(records);
      if (lines === 0) return true;
      if (!existsSync(this.folder)) this.folderReady = false;
      this.log.writeAfter(text);
      this.keepFolder = true;
      return true;
    } catch (error) {
      this.reportOnce('late', error, records.length);
      return false;
    }
  }

  /**
   * The lines of the records that can be written as JSON. One that cannot (a BigInt in a field
   * the schema checks only at the database) is set aside alone, counted and reported once:
   * failing the whole append would drop every record with it.
   */
  private encode(records: readonly SpoolRecord[]): { text: string; lines: number } {
    let text = '';
    let lines = 0;
    for (const record of records) {
      try {
        text += `${encodeSpoolLine(record)}\n`;
        lines++;
      } catch (error) {
        this.onUnstorable?.(1);
        this.reportOnce(
          'unstorable',
          new UnstorableRecordError(`it cannot be written to the spool (${(error as Error)?.message})`, error),
          1,
        );
      }
    }
    return { text, lines };
  }

  /**
   * At shutdown: writes records still in memory, which are older than every own segment, into a
   * segment that sorts first, for the logger that adopts this folder. Fsync'ed before returning.
   */
  appendFront(records: readonly SpoolRecord[]): boolean {
    try {
      this.log.writeFront(this.encode(records).text);
      this.keepFolder = true;
      return true;
    } catch (error) {
      this.report(error, { operation: 'spool', records: records.length });
      return false;
    }
  }

  /**
   * The next records to replay: this logger's own first (new records must not overtake them),
   * then adopted ones. At most `limit` lines, all from one segment, and past the first line no
   * more than `limitBytes` of estimated record bytes ({@link spoolLineBytes}). Null when there are none.
   */
  async read(limit: number, limitBytes = Infinity): Promise<SpoolChunk | null> {
    for (;;) {
      const ownSegment = this.log.segments[0];
      const folder = ownSegment === undefined ? this.adopted[0] : undefined;
      const log = folder?.log ?? this.log;
      const segment = log.segments[0];
      if (segment === undefined) {
        if (folder === undefined) return null;
        this.finishFolder();
        continue;
      }
      const own = folder === undefined;
      let all = segment.lines;
      if (all === null) {
        try {
          all = await log.load(segment);
        } catch (error) {
          this.reportOnce('read', error, segment.appended - segment.committed);
          all = segment.lines = [];
        }
      }
      const lines = upToBytes(all.slice(segment.committed, segment.committed + limit), limitBytes);
      if (lines.length === 0) {
        this.finishSegment(segment, own);
        continue;
      }
      const records: SpoolRecord[] = [];
      let lastSequence = 0;
      for (const line of lines) {
        const record = parseSpoolLine(line);
        if (record === null) continue;
        records.push(record);
        if (own) lastSequence = Math.max(lastSequence, record.q);
      }
      if (records.length < lines.length) {
        const unreadable = lines.length - records.length;
        this.reportOnce('corrupt', new Error(`${unreadable} unreadable line(s) skipped in ${segment.path}`), unreadable);
      }
      return { records, own, lastSequence, lines: lines.length, segment };
    }
  }

  /** The chunk is in the database: never replay it again. Deletes its segment once all of it is. */
  commit(chunk: SpoolChunk): void {
    const { segment } = chunk;
    segment.committed += chunk.lines;
    if (chunk.own) this.credit(segment, chunk.lines);
    if (segment.committed < (segment.lines?.length ?? 0)) return;
    this.finishSegment(segment, chunk.own);
    const folder = this.adopted[0];
    if (!chunk.own && folder !== undefined && folder.log.segments.length === 0) this.finishFolder();
  }

  /**
   * Takes over the spool folders of dead loggers on the same database. Their records are
   * replayed after this logger's own, in their order. Never throws.
   */
  adoptOrphans(): void {
    const adopter = { folder: this.folder, database: this.database, prepare: () => this.ensureFolder() };
    for (const folder of adoptOrphans(this.dir, adopter, (kind, error) => this.reportOnce(kind, error))) {
      try {
        this.queueAdopted(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.reportOnce('adopt', error);
      }
    }
  }

  /**
   * Seals and syncs the open segment. Removes this logger's folder when nothing is left in it;
   * otherwise it stays for the next logger on the database to adopt.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
    if (this.folderReady && !this.hasPending && !this.keepFolder) {
      try {
        rmSync(this.folder, { recursive: true, force: true });
      } catch (error) {
        this.reportOnce('cleanup', error);
      }
    }
    releaseFolder(this.folder);
  }

  /** Creates this logger's folder with its owner file, which exists before any segment does. */
  private ensureFolder(): void {
    if (this.folderReady) return;
    writeOwner(this.folder, this.instanceId, this.database);
    this.folderReady = true;
  }

  private finishSegment(segment: Segment, own: boolean): void {
    const log = own ? this.log : this.adopted[0]?.log;
    if (log?.segments[0] !== segment) return;
    if (own) this.credit(segment, segment.appended); // including lines that were never readable
    try {
      log.remove(segment);
    } catch (error) {
      // Left behind, it would be replayed again by an adopter: harmless, but worth knowing.
      this.reportOnce('cleanup', error);
    }
  }

  /** A file may hold more lines than were counted in (an append that failed half-way): the backlog never goes below zero. */
  private credit(segment: Segment, lines: number): void {
    const credit = Math.min(lines, segment.appended - segment.credited);
    segment.credited += credit;
    this.committedLines += credit;
  }

  private finishFolder(): void {
    const folder = this.adopted.shift();
    if (folder === undefined) return;
    try {
      rmSync(folder.path, { recursive: true, force: true });
    } catch (error) {
      this.reportOnce('cleanup', error);
    }
    this.onAdoptedReplayed?.(folder.owner);
  }

  /** Nested adopted folders first: they hold what their owner had itself adopted, older still. */
  private queueAdopted(folder: string): void {
    const owner = readOwner(folder);
    if (owner === null) return;
    for (const nested of adoptedWithin(folder)) this.queueAdopted(nested);
    this.adopted.push({ path: folder, owner, log: SegmentLog.leftIn(folder) });
  }

  private reportOnce(kind: string, error: unknown, records?: number): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    this.report(error, records === undefined ? { operation: 'spool' } : { operation: 'spool', records });
  }
}

/** The first of `lines` whose estimated record bytes stay within `limitBytes`; the first line always. */
function upToBytes(lines: string[], limitBytes: number): string[] {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += spoolLineBytes(lines[i]!);
    if (i > 0 && bytes > limitBytes) return lines.slice(0, i);
  }
  return lines;
}
