import fc from 'fast-check';
import { uuidv7, uuidv7Floor, uuidv7Time } from '../src/ids';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  test('is an RFC 9562 version 7 id carrying its millisecond', () => {
    const now = Date.UTC(2026, 10, 27, 12, 0, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  test('ids of one process are unique and strictly increasing, across random-pool refills', () => {
    const ids = Array.from({ length: 3000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  test('more ids than the 12-bit counter holds in one millisecond borrow the next one, still in order', () => {
    const now = Date.now() + 60_000; // ahead of every id made so far
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    const lastMs = parseInt(ids.at(-1)!.slice(0, 8) + ids.at(-1)!.slice(9, 13), 16);
    expect(lastMs).toBeGreaterThan(now);
    expect(lastMs).toBeLessThanOrEqual(now + 2);
  });
});

describe('uuidv7Floor and uuidv7Time, the keyset bounds of follow()', () => {
  test('every id of a millisecond sorts at or after its floor and before the next millisecond’s; its time reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 2 }), fc.uint8Array({ minLength: 10, maxLength: 10 }), (ms, bytes) => {
        const hex = ms.toString(16).padStart(12, '0');
        const random = Buffer.from(bytes).toString('hex');
        // Any UUIDv7 of that millisecond, from any process: the smallest and largest random parts included.
        for (const tail of [random, '00000000000000000000', 'ffffffffffffffffffff']) {
          const id = `${hex.slice(0, 8)}-${hex.slice(8)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 18)}`;
          expect(uuidv7Floor(ms) <= id).toBe(true);
          expect(id < uuidv7Floor(ms + 1)).toBe(true);
          expect(uuidv7Time(id)).toBe(ms);
        }
      }),
    );
  });

  test('an id that is not a UUIDv7 has no time; a time before the epoch floors at zero', () => {
    expect(uuidv7Time('run-1')).toBeNull();
    expect(uuidv7Time('01a22d04-1d86-44f0-9e6e-4351d4b9eb9b')).toBeNull(); // version 4
    expect(uuidv7Time('018bcfe5-6800-7abc-8def-0123456789ab')).toBe(1_700_000_000_000);
    expect(uuidv7Floor(-5)).toBe('00000000-0000-0000-0000-000000000000');
  });
});
