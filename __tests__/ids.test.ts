import { uuidv7 } from '../src/ids';

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
