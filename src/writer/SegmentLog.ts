import { close, closeSync, fsync, fsyncSync, ftruncateSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

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

const SEGMENT = /^\d{12}\.jsonl$/;
/** Written at shutdown with what was still in memory, which is older than every other segment. */
const FRONT_SEGMENT = '000000000000.jsonl';

/**
 * The segment files of one spool folder, oldest first: append-only files of JSON lines, named by
 * number so that they sort in the order they were written.
 *
 * - Appends are synchronous `write(2)`s of whole lines to an open file: the records survive a
 *   crash of the process (kill -9, OOM) the moment the call returns, and the event loop waits for
 *   the page cache only, not the disk. Segments are fsync'ed when sealed (without blocking) and at
 *   shutdown, so a crash of the machine can lose what was spooled just before it, as SQLite in WAL
 *   mode with `synchronous=NORMAL` can lose its last commits. `sync()`, strict mode's wait, does
 *   not return before all of it is on disk.
 * - Reading a segment seals it first, so a file is never read and written at once.
 */
export class SegmentLog {
  /** Segments not removed yet, oldest first (the one being appended to last). */
  readonly segments: Segment[] = [];
  private active: { fd: number; bytes: number; segment: Segment } | null = null;
  /** Sealed segments whose fsync, started by `seal()`, has not finished: `sync()` waits for them too. */
  private readonly sealing = new Set<number>();
  private nextSegment = 1;

  constructor(
    readonly folder: string,
    /**
     * When a segment is sealed: once it holds this many lines (one segment is at most one write
     * transaction) or this many bytes (a segment is read back whole into memory).
     */
    private readonly limits: { lines: number; bytes: number },
    /** Creates the folder (and what must exist before any segment does). */
    private readonly prepare: () => void,
  ) {}

  /** The sealed segments another logger left in `folder`, for replay only. */
  static leftIn(folder: string): SegmentLog {
    const log = new SegmentLog(folder, { lines: 0, bytes: 0 }, () => undefined);
    const names = readdirSync(folder)
      .filter((name) => SEGMENT.test(name))
      .sort();
    for (const name of names) log.segments.push(newSegment(join(folder, name), true));
    return log;
  }

  /**
   * Appends `text` (`lines` whole lines) as one write, opening a segment if none is open and
   * sealing it once it reaches its limits. Throws when it cannot be written; nothing is
   * half-appended then, and the next append starts a new file.
   */
  append(text: string, lines: number): void {
    try {
      this.active ??= this.open(this.nextSegment++);
      const { fd, segment } = this.active;
      const length = Buffer.byteLength(text);
      const written = writeSync(fd, text);
      if (written !== length) {
        // A short write (a full disk) would leave half a line for the next append to continue.
        ftruncateSync(fd, this.active.bytes);
        throw new Error(`short write to ${segment.path}: ${written} of ${length} bytes`);
      }
      this.active.bytes += length;
      segment.appended += lines;
      if (segment.appended >= this.limits.lines || this.active.bytes >= this.limits.bytes) this.seal();
    } catch (error) {
      // Whatever this file ends with stays behind its last full line.
      this.seal();
      throw error;
    }
  }

  /**
   * Writes `text` into a segment that sorts before all others, fsync'ed before returning: at
   * shutdown, for records still in memory, which are older than every segment. Not read by this
   * log; the logger that adopts the folder finds it.
   */
  writeFront(text: string): void {
    this.prepare();
    const fd = openSync(join(this.folder, FRONT_SEGMENT), 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The segment's complete lines, read once (sealing it first if it is being appended to). */
  async load(segment: Segment): Promise<string[]> {
    if (!segment.sealed) this.seal();
    segment.lines = completeLines(await readFile(segment.path, 'utf8'));
    return segment.lines;
  }

  /** Deletes the oldest segment, which must be `segment`. Throws if the file cannot be deleted (it is forgotten all the same). */
  remove(segment: Segment): void {
    if (this.segments[0] !== segment) return;
    this.segments.shift();
    try {
      unlinkSync(segment.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /**
   * Writes `text` into a segment of its own after every other, fsync'ed before returning: after
   * shutdown, for records that arrive late (a workflow that outlived the grace period). Not read
   * by this log; the logger that adopts the folder replays it last.
   */
  writeAfter(text: string): void {
    this.seal();
    this.prepare();
    const fd = openSync(join(this.folder, `${String(this.nextSegment++).padStart(12, '0')}.jsonl`), 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Waits for everything appended to reach the disk: the open segment, and sealed ones whose fsync is still running. */
  sync(): void {
    for (const fd of this.sealing) fsyncSync(fd);
    if (this.active !== null) fsyncSync(this.active.fd);
  }

  /** Stops appending to the open segment (fsync'ed without blocking); the next append opens a new one. */
  seal(): void {
    const active = this.active;
    if (active === null) return;
    this.active = null;
    active.segment.sealed = true;
    this.sealing.add(active.fd);
    fsync(active.fd, () => {
      this.sealing.delete(active.fd);
      close(active.fd, () => undefined);
    });
  }

  /** Seals the open segment and waits for it to reach the disk. */
  close(): void {
    const active = this.active;
    if (active === null) return;
    this.active = null;
    active.segment.sealed = true;
    try {
      fsyncSync(active.fd);
      closeSync(active.fd);
    } catch {
      // Already written to the page cache: only a machine crash could lose it now.
    }
  }

  private open(number: number): { fd: number; bytes: number; segment: Segment } {
    this.prepare();
    const path = join(this.folder, `${String(number).padStart(12, '0')}.jsonl`);
    const fd = openSync(path, 'wx');
    const segment = newSegment(path, false);
    this.segments.push(segment);
    return { fd, bytes: 0, segment };
  }
}

function newSegment(path: string, sealed: boolean): Segment {
  return { path, lines: null, committed: 0, appended: 0, credited: 0, sealed };
}

/** The lines a writer finished: a last line without its newline was cut by a crash, and is not a record. */
function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}
