import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in blocks and turned to hex once per block: one crypto call and one
// hex conversion per 256 ids keep id creation off the profile.
const POOL_IDS = 256;
const BYTES_PER_ID = 10;
const pool = Buffer.alloc(BYTES_PER_ID * POOL_IDS);
let poolHex = '';
let poolOffset = pool.length;
let lastMs = -1;
let msPrefix = '';
let sequence = 0;
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then random bits, so ids sort by creation time
 * and B-tree inserts stay append-mostly. Within one millisecond a 12-bit counter in `rand_a`
 * keeps ids from this process strictly increasing.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + BYTES_PER_ID > pool.length) {
    randomFillSync(pool);
    poolHex = pool.toString('hex');
    poolOffset = 0;
  }
  if (now > lastMs) {
    setMillisecond(now);
    sequence = (pool[poolOffset]! << 4) & 0x7ff; // start low in the range so the counter rarely wraps
  } else {
    sequence++;
    if (sequence > 0xfff) {
      // Counter exhausted inside one ms: borrow the next millisecond, as RFC 9562 §6.2 allows.
      setMillisecond(lastMs + 1);
      sequence = 0;
    }
  }
  const hex = poolOffset * 2;
  const id =
    msPrefix +
    HEX_BYTES[0x70 | (sequence >> 8)]! +
    HEX_BYTES[sequence & 0xff]! +
    '-' +
    HEX_BYTES[(pool[poolOffset + 1]! & 0x3f) | 0x80]! +
    poolHex.slice(hex + 4, hex + 6) +
    '-' +
    poolHex.slice(hex + 6, hex + 18);
  poolOffset += BYTES_PER_ID;
  return id;
}

function setMillisecond(ms: number): void {
  lastMs = ms;
  const hex = ms.toString(16).padStart(12, '0');
  msPrefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`;
}

/**
 * The least UUIDv7-shaped id of a millisecond: every UUIDv7 made at `ms` or later sorts at or
 * after it (as text, in every collation that orders hex digits), every one made before sorts before.
 */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** The millisecond a UUIDv7 was made at; null for an id that is not a UUIDv7 (one a user chose). */
export function uuidv7Time(id: string): number | null {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7/i.exec(id);
  return match ? parseInt(match[1]! + match[2]!, 16) : null;
}
