import { uuidv7Floor, uuidv7Time } from '../ids';

/**
 * The recent part of the look-back window, re-counted on every poll; the whole window is
 * re-counted once per {@link FULL_CHECK_EVERY_MS}. A batch in flight commits within a few flush
 * intervals, so late rows land in the recent part and are found at the next poll; what commits
 * later still is found within a second, and counting a whole 10 s window ten times a second cost
 * a writer of 8 500 steps/s on SQLite a sixth of its throughput.
 */
export const RECENT_WINDOW_MS = 1000;
export const FULL_CHECK_EVERY_MS = 1000;

/**
 * What a follower knows of one table: where its keyset stands, the ids it has already read in the
 * look-back window, and the rows it saw `running` and watches for their change. No SQL: the
 * follower asks it what to read and tells it what it read.
 *
 * Ids are UUIDv7, made by the writing clients: time-ordered, but a client may commit a row after
 * another client's newer one is already visible. So reading past the newest id is not enough; the
 * window `[floor, newest]` is re-counted, and read again by id when the count differs from the ids
 * known in it, so that a late row is reported once and a known one never twice.
 */
export class FollowCursor {
  /** The greatest id read so far; null before the first row. */
  private newestId: string | null = null;
  /** Ids at or after `floorId` already read (reported, or left out by the filters), sorted. */
  private known: string[] = [];
  private readonly knownSet = new Set<string>();
  /** Rows seen `running`, by id: each is reported once more when it leaves `running`. */
  private readonly watched = new Set<string>();
  private floorId: string;
  private lastFullCheck = -Infinity;

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

  /**
   * The part of the window to re-check for late rows now, with how many ids the follower knows
   * in it; null while no row has been read. The whole window once per {@link FULL_CHECK_EVERY_MS},
   * else its last {@link RECENT_WINDOW_MS}.
   */
  window(now: number): { from: string; to: string; known: number } | null {
    if (this.newestId === null) return null;
    let from = this.floorId;
    if (now - this.lastFullCheck >= FULL_CHECK_EVERY_MS) this.lastFullCheck = now;
    else {
      const recent = uuidv7Floor(this.reference(now) - Math.min(RECENT_WINDOW_MS, this.lookBackMs));
      if (recent > from) from = recent;
    }
    return { from, to: this.newestId, known: this.known.length - lowerBound(this.known, from) };
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
    if (this.knownSet.has(id) || id < this.floorId) return false;
    this.knownSet.add(id);
    // Ids mostly come in order: appended; a late one is put in its place.
    const last = this.known[this.known.length - 1];
    if (last === undefined || id > last) this.known.push(id);
    else this.known.splice(lowerBound(this.known, id), 0, id);
    if (this.newestId === null || id > this.newestId) this.newestId = id;
    return true;
  }

  /**
   * Whether a row of this id may still come as late into the window, unread: a step's execution
   * that the follower has not read although the step has been. The next window check is then of
   * the whole window, so that the execution is reported before its step.
   */
  expectLate(id: string): void {
    if (id >= this.floorId && !this.knownSet.has(id)) this.lastFullCheck = -Infinity;
  }

  /** A row reported `running`: it is reported once more when it leaves `running`. */
  watch(id: string): void {
    this.watched.add(id);
  }

  /**
   * The ids from `from` not known yet, given all the ids the table holds from `from` to the newest
   * now; forgets known ids there that are gone (deleted).
   */
  reconcile(from: string, present: readonly string[]): string[] {
    const here = new Set(present);
    const start = lowerBound(this.known, from);
    const gone = this.known.slice(start).filter((id) => !here.has(id));
    if (gone.length > 0) {
      for (const id of gone) this.knownSet.delete(id);
      this.known = this.known.filter((id) => this.knownSet.has(id));
    }
    return present.filter((id) => !this.knownSet.has(id));
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
    const floor = uuidv7Floor(this.reference(now) - this.lookBackMs);
    if (floor <= this.floorId) return;
    this.floorId = floor;
    const below = lowerBound(this.known, floor);
    for (const id of this.known.slice(0, below)) this.knownSet.delete(id);
    this.known = this.known.slice(below);
  }

  /** The time windows end at: the newest id's, or the reader's clock when that is earlier. */
  private reference(now: number): number {
    const newestMs = this.newestId === null ? null : uuidv7Time(this.newestId);
    return Math.min(now, newestMs ?? now);
  }
}

/** The index of the first id at or after `id` in a sorted list. */
function lowerBound(sorted: readonly string[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < id) low = middle + 1;
    else high = middle;
  }
  return low;
}
