import {
  close,
  closeSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { ErrorContext } from '../config/LoggerConfig';
import { makeFolder } from '../makeFolder';
import type { HistorySink } from '../store/ports';
import { encodeSpoolLine, parseSpoolLine, type SpoolRecord } from './records';

/** `owner.json` of a spool folder: who writes it, and into which database its records go. */
export interface SpoolOwner {
  version: 1;
  instanceId: string;
  pid: number;
  hostname: string;
  /** The process's start time as the kernel tells it (Linux), so a recycled pid is not mistaken for the owner. */
  processStart: string | null;
  /** Hash of the database the records belong to: a folder is only ever replayed into that database. */
  database: string;
  createdAt: number;
}

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

/** @internal One segment file and how far it is replayed. */
export interface Segment {
  readonly path: string;
  /** The file's complete lines, loaded when it is first read; sealed segments never change. */
  lines: string[] | null;
  /** Lines written to the database (so never to be read again by this logger). */
  committed: number;
  /** Lines appended by this logger (own segments). */
  appended: number;
  /** Of those, how many the backlog no longer counts. */
  credited: number;
  sealed: boolean;
}

interface AdoptedFolder {
  readonly path: string;
  readonly owner: SpoolOwner;
  readonly segments: Segment[];
}

type Report = (error: unknown, context: ErrorContext) => void;

const OWNER_FILE = 'owner.json';
const ADOPTED = 'adopted';
const SEGMENT = /^\d{12}\.jsonl$/;
/** Written at shutdown with what was still in memory, which is older than every other segment. */
const FRONT_SEGMENT = '000000000000.jsonl';

/** Spool folders held by live loggers of this process: a folder with our pid and not in here was left by a closed one. */
const liveFolders = new Set<string>();
const PROCESS_START = processStartOf(process.pid);

/**
 * Where records go when the database cannot take them yet and memory is full: append-only segment
 * files of JSON lines in a folder of this logger's own, `<dir>/<instanceId>/`.
 *
 * - Appends are synchronous `write(2)`s of whole lines to an open file: the records survive a
 *   crash of the process (kill -9, OOM) the moment the call returns, and the event loop waits for
 *   the page cache only, not the disk. Segments are fsync'ed when sealed (without blocking) and at
 *   shutdown, so a crash of the machine can lose what was spooled just before it, as SQLite in WAL
 *   mode with `synchronous=NORMAL` can lose its last commits.
 * - Reading seals the segment being appended to, so a file is never read and written at once.
 *   A segment is deleted only after all its records are committed; a crash in between replays it
 *   again, which the store makes harmless (inserts of existing ids are skipped, updates set the
 *   same values). A torn or unreadable line is skipped and counted, never replayed half.
 * - A folder whose owner process is gone (same host, pid not running, or running but started at
 *   another time) is adopted by the next logger on the same database: renamed into its own folder
 *   under `adopted/` (a rename is atomic, so two loggers never take the same folder) and replayed.
 */
export class Spool {
  /** This logger's folder. */
  readonly folder: string;
  private readonly own: Segment[] = [];
  private readonly adopted: AdoptedFolder[] = [];
  private active: { fd: number; bytes: number; segment: Segment } | null = null;
  private nextSegment = 1;
  private folderReady = false;
  private appendedLines = 0;
  private committedLines = 0;
  private failing = false;
  private keepFolder = false;
  private readonly reported = new Set<string>();
  private closed = false;
  /** Called when a dead logger's folder has been replayed in full: its rows still running can be recovered. */
  onAdoptedReplayed: ((owner: SpoolOwner) => void) | null = null;

  constructor(
    /** The spool folder shared by the loggers of one database. */
    readonly dir: string,
    private readonly instanceId: string,
    private readonly database: string,
    private readonly report: Report,
    /** Lines per segment: one segment is at most one write transaction. */
    private readonly segmentLines: number,
  ) {
    this.folder = join(dir, instanceId);
    liveFolders.add(this.folder);
  }

  /** The spool of a logger writing through `sink`: `spoolDir` when given, none when `false`, else where the sink says. */
  static forSink(
    sink: HistorySink,
    config: { spoolDir: string | false | undefined; maxBatchSize: number; maxQueueSize: number },
    instanceId: string,
    report: Report,
  ): Spool | null {
    if (config.spoolDir === false) return null;
    // A segment is at most one batch, and a batch read back never overfills memory.
    const segmentLines = Math.max(1, Math.min(config.maxBatchSize, config.maxQueueSize));
    const { defaultDir, databaseKey } = sink.spoolLocation;
    return new Spool(resolve(config.spoolDir ?? defaultDir), instanceId, databaseKey, report, segmentLines);
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
    let text = '';
    for (const record of records) text += `${encodeSpoolLine(record)}\n`;
    try {
      this.active ??= this.openSegment(this.segmentName(this.nextSegment++));
      const { fd, segment } = this.active;
      const length = Buffer.byteLength(text);
      const written = writeSync(fd, text);
      if (written !== length) {
        // A short write (a full disk) would leave half a line for the next append to continue.
        ftruncateSync(fd, this.active.bytes);
        throw new Error(`short write to ${segment.path}: ${written} of ${length} bytes`);
      }
      this.active.bytes += length;
      segment.appended += records.length;
      this.appendedLines += records.length;
      if (segment.appended >= this.segmentLines) this.seal();
      this.failing = false;
      return true;
    } catch (error) {
      // The next attempt starts a new file: whatever this one ends with stays behind its last full line.
      this.seal();
      if (!this.failing) {
        this.failing = true;
        this.report(error, { operation: 'spool', records: records.length });
      }
      return false;
    }
  }

  /**
   * At shutdown: writes records still in memory, which are older than every own segment, into a
   * segment that sorts first, for the logger that adopts this folder. Fsync'ed before returning.
   */
  appendFront(records: readonly SpoolRecord[]): boolean {
    let fd: number | null = null;
    try {
      this.ensureFolder();
      fd = openSync(join(this.folder, FRONT_SEGMENT), 'wx');
      writeSync(fd, records.map((record) => `${encodeSpoolLine(record)}\n`).join(''));
      fsyncSync(fd);
      this.keepFolder = true;
      return true;
    } catch (error) {
      this.report(error, { operation: 'spool', records: records.length });
      return false;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /**
   * The next records to replay: this logger's own first (new records must not overtake them),
   * then adopted ones. At most `limit` lines, all from one segment. Null when there are none.
   */
  async read(limit: number): Promise<SpoolChunk | null> {
    for (;;) {
      const own = this.own[0];
      const folder = own === undefined ? this.adopted[0] : undefined;
      const segment = own ?? folder?.segments[0];
      if (segment === undefined) {
        if (folder === undefined) return null;
        this.finishFolder();
        continue;
      }
      if (!segment.sealed) this.seal();
      if (segment.lines === null) {
        try {
          segment.lines = completeLines(await readFile(segment.path, 'utf8'));
        } catch (error) {
          this.reportOnce('read', error, segment.appended - segment.committed);
          segment.lines = [];
        }
      }
      const lines = segment.lines.slice(segment.committed, segment.committed + limit);
      if (lines.length === 0) {
        this.finishSegment(segment, own !== undefined);
        continue;
      }
      const records: SpoolRecord[] = [];
      let lastSequence = 0;
      for (const line of lines) {
        const record = parseSpoolLine(line);
        if (record === null) continue;
        records.push(record);
        if (own !== undefined) lastSequence = Math.max(lastSequence, record.q);
      }
      if (records.length < lines.length) {
        this.reportOnce(
          'corrupt',
          new Error(`${lines.length - records.length} unreadable line(s) skipped in ${segment.path}`),
          lines.length - records.length,
        );
      }
      return { records, own: own !== undefined, lastSequence, lines: lines.length, segment };
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
    if (!chunk.own && folder !== undefined && folder.segments.length === 0) this.finishFolder();
  }

  /**
   * Takes over the spool folders of dead loggers on the same database. Their records are
   * replayed after this logger's own, in their order. Never throws.
   */
  adoptOrphans(): void {
    let entries: string[];
    try {
      entries = readdirSync(this.dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== this.instanceId)
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      // No folder (yet), or not a folder: nothing to adopt; appends report it if it cannot be created.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.reportOnce('adopt', error);
      return;
    }
    for (const name of entries) {
      const folder = join(this.dir, name);
      const owner = readOwner(folder);
      // No owner file yet: a live logger is creating the folder (it is written before any segment).
      if (owner === null || owner.database !== this.database) continue;
      if (owner.hostname !== hostname()) {
        this.reportOnce(
          'host',
          new Error(
            `Spool folder ${folder} belongs to a logger on host "${owner.hostname}", which may still be running; it is not replayed from here`,
          ),
        );
        continue;
      }
      if (ownerAlive(owner, folder)) continue;
      try {
        this.ensureFolder();
        makeFolder(join(this.folder, ADOPTED));
        const target = join(this.folder, ADOPTED, name);
        renameSync(folder, target);
        this.queueAdopted(target);
      } catch (error) {
        // ENOENT: another logger adopted it first.
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
    if (this.active !== null) {
      const { fd } = this.active;
      this.active.segment.sealed = true;
      this.active = null;
      try {
        fsyncSync(fd);
        closeSync(fd);
      } catch {
        // Already written to the page cache: only a machine crash could lose it now.
      }
    }
    if (this.folderReady && !this.hasPending && !this.keepFolder) {
      try {
        rmSync(this.folder, { recursive: true, force: true });
      } catch (error) {
        this.reportOnce('cleanup', error);
      }
    }
    liveFolders.delete(this.folder);
  }

  private segmentName(number: number): string {
    return `${String(number).padStart(12, '0')}.jsonl`;
  }

  private openSegment(name: string): { fd: number; bytes: number; segment: Segment } {
    this.ensureFolder();
    const path = join(this.folder, name);
    const fd = openSync(path, 'wx');
    const segment: Segment = { path, lines: null, committed: 0, appended: 0, credited: 0, sealed: false };
    this.own.push(segment);
    return { fd, bytes: 0, segment };
  }

  /** Creates this logger's folder with its owner file, which exists before any segment does. */
  private ensureFolder(): void {
    if (this.folderReady) return;
    makeFolder(this.folder);
    const owner: SpoolOwner = {
      version: 1,
      instanceId: this.instanceId,
      pid: process.pid,
      hostname: hostname(),
      processStart: PROCESS_START,
      database: this.database,
      createdAt: Date.now(),
    };
    const temporary = join(this.folder, `${OWNER_FILE}.tmp`);
    writeFileSync(temporary, JSON.stringify(owner));
    renameSync(temporary, join(this.folder, OWNER_FILE));
    this.folderReady = true;
  }

  /** Stops appending to the open segment; the next append opens a new one. */
  private seal(): void {
    const active = this.active;
    if (active === null) return;
    this.active = null;
    active.segment.sealed = true;
    fsync(active.fd, () => close(active.fd, () => undefined));
  }

  private finishSegment(segment: Segment, own: boolean): void {
    const list = own ? this.own : this.adopted[0]?.segments;
    if (list?.[0] !== segment) return;
    list.shift();
    if (own) this.credit(segment, segment.appended); // including lines that were never readable
    try {
      unlinkSync(segment.path);
    } catch (error) {
      // Left behind, it would be replayed again by an adopter: harmless, but worth knowing.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.reportOnce('cleanup', error);
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
    let names: string[] = [];
    try {
      names = readdirSync(join(folder, ADOPTED)).sort();
    } catch {
      // None.
    }
    for (const name of names) this.queueAdopted(join(folder, ADOPTED, name));
    const segments = readdirSync(folder)
      .filter((name) => SEGMENT.test(name))
      .sort()
      .map((name): Segment => ({ path: join(folder, name), lines: null, committed: 0, appended: 0, credited: 0, sealed: true }));
    this.adopted.push({ path: folder, owner, segments });
  }

  private reportOnce(kind: string, error: unknown, records?: number): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    this.report(error, records === undefined ? { operation: 'spool' } : { operation: 'spool', records });
  }
}

/** The lines a writer finished: a last line without its newline was cut by a crash, and is not a record. */
function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

function readOwner(folder: string): SpoolOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(folder, OWNER_FILE), 'utf8')) as SpoolOwner;
    return owner.version === 1 && typeof owner.instanceId === 'string' && typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

/** Whether the process that owns a folder on this host may still be writing it. */
function ownerAlive(owner: SpoolOwner, folder: string): boolean {
  if (owner.pid === process.pid && owner.processStart === PROCESS_START) return liveFolders.has(folder);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: running, as another user
  }
  // The pid runs, but it may be a new process that reuses a dead owner's number.
  const start = processStartOf(owner.pid);
  return start === null || owner.processStart === null || start === owner.processStart;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc. */
function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
