import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in blocks: one crypto call per 256 ids keeps id creation off the profile.
const POOL_IDS = 256;
const pool = Buffer.alloc(10 * POOL_IDS);
let poolOffset = pool.length;
let lastMs = -1;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then random bits, so ids sort by creation time
 * and B-tree inserts stay append-mostly. Within one millisecond a 12-bit counter in `rand_a`
 * keeps ids from this process strictly increasing.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  if (now > lastMs) {
    lastMs = now;
    sequence = (pool[poolOffset]! << 4) & 0x7ff; // start low in the range so the counter rarely wraps
  } else {
    sequence++;
    if (sequence > 0xfff) {
      // Counter exhausted inside one ms: borrow the next millisecond, as RFC 9562 §6.2 allows.
      lastMs++;
      sequence = 0;
    }
  }
  const ms = lastMs;
  const hex =
    ms.toString(16).padStart(12, '0') +
    (0x7000 | sequence).toString(16) +
    ((pool[poolOffset + 1]! & 0x3f) | 0x80).toString(16).padStart(2, '0') +
    pool.toString('hex', poolOffset + 2, poolOffset + 9);
  poolOffset += 10;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
