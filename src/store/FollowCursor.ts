import { uuidv7Floor, uuidv7Time } from '../ids';

/**
 * What a follower knows of one table: where its keyset stands, the ids it has already reported in
 * the look-back window, and the rows it saw `running` and watches for their change. No SQL: the
 * follower asks it what to read and tells it what it read.
 *
 * Ids are UUIDv7, made by the writing clients: time-ordered, but a client may commit a row after
 * another client's newer one is already visible. So reading past the newest id is not enough; the
 * window `[floor, newest]` is re-counted on every poll, and read again by id when the count
 * differs from the ids known in it, so that a late row is reported once and a known one never twice.
 */
export class FollowCursor {
  /** The greatest id read so far; null before the first row. */
  private newestId: string | null = null;
  /** Ids at or after `floorId` already read (reported, or left out by the filters). */
  private readonly known = new Set<string>();
  /** Rows seen `running`, by id: each is reported once more when it leaves `running`. */
  private readonly watched = new Set<string>();
  private floorId: string;

  constructor(
    /** The `since` bound as an id: nothing before it is ever read as new. */
    private readonly sinceId: string,
    private readonly lookBackMs: number,
  ) {
    this.floorId = sinceId;
  }

  /** Where the next read of new rows starts: after the newest id, or at `since` before any row. */
  get head(): { after: string } | { from: string } {
    return this.newestId === null ? { from: this.sinceId } : { after: this.newestId };
  }

  /** The window to re-check for late rows, or null while no row has been read. */
  get window(): { from: string; to: string; known: number } | null {
    return this.newestId === null ? null : { from: this.floorId, to: this.newestId, known: this.known.size };
  }

  get watching(): readonly string[] {
    return [...this.watched];
  }

  /**
   * Whether this id is new to the follower; if so it is now known. Every id of the table passes
   * here, those the follower's filter then leaves out too: the window is counted without the
   * filter, on the primary key alone.
   */
  admit(id: string): boolean {
    if (this.known.has(id) || id < this.floorId) return false;
    this.known.add(id);
    if (this.newestId === null || id > this.newestId) this.newestId = id;
    return true;
  }

  /** A row reported `running`: it is reported once more when it leaves `running`. */
  watch(id: string): void {
    this.watched.add(id);
  }

  /** The ids of the window not known yet, given all the ids the window holds now; forgets known ids that are gone (deleted). */
  reconcile(present: readonly string[]): string[] {
    const here = new Set(present);
    for (const id of this.known) if (!here.has(id)) this.known.delete(id);
    return present.filter((id) => !this.known.has(id));
  }

  /** A watched row has left `running`, or is gone: stop watching it. */
  unwatch(id: string): void {
    this.watched.delete(id);
  }

  /**
   * Moves the window's floor up to `lookBackMs` before the newest id's time, or before `now` when
   * that is earlier (a writer whose clock runs ahead must not shrink the window of the others),
   * never below `since` and never down; forgets known ids that fell below it.
   */
  advance(now: number): void {
    if (this.newestId === null) return;
    const newestMs = uuidv7Time(this.newestId) ?? now;
    const floor = uuidv7Floor(Math.min(now, newestMs) - this.lookBackMs);
    if (floor <= this.floorId) return;
    this.floorId = floor;
    for (const id of this.known) if (id < floor) this.known.delete(id);
  }
}
