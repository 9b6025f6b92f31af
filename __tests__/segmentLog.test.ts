import fs from 'node:fs';
import { SegmentLog } from '../src/writer/SegmentLog';
import { tempDir } from './support/databases';

/**
 * Strict mode's promise while the database is down rests on `sync()`: when it returns, every line
 * appended is on disk. A segment sealed by the append that filled it is fsync'ed in the background;
 * `sync()` must not return before that fsync has been done too. The spy only watches fsync calls.
 */
test('sync() fsyncs the open segment and a sealed one whose background fsync may still be running', () => {
  const dir = tempDir('flowtrail-segments-');
  const log = new SegmentLog(dir, { lines: 2, bytes: 1 << 20 }, () => undefined);
  const fsyncs = jest.spyOn(fs, 'fsyncSync');
  try {
    log.append('{"a":1}\n{"a":2}\n', 2); // fills and seals the first segment
    log.append('{"a":3}\n', 1); // opens the second
    log.sync();
    const synced = new Set(fsyncs.mock.calls.map(([fd]) => fd));
    expect(synced.size).toBe(2);
    expect(log.segments.map((segment) => segment.sealed)).toEqual([true, false]);
  } finally {
    fsyncs.mockRestore();
    log.close();
  }
});
