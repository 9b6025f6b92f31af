import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The labels `bucketLabel` gives in a time zone: in a child process, which reads TZ when it starts. */
async function labelsIn(zone: string, starts: number[], bucketMs: number): Promise<string[]> {
  const module = join(__dirname, '..', '..', 'ui', 'statsRange.ts');
  const script = `const { bucketLabel } = require(${JSON.stringify(module)});
    console.log(JSON.stringify(${JSON.stringify(starts)}.map((ms) => bucketLabel(ms, ${bucketMs}))))`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
    env: { ...process.env, TZ: zone },
  });
  return JSON.parse(stdout) as string[];
}

describe('bucketLabel across a daylight-saving change (Europe/Amsterdam)', () => {
  test('day buckets from local midnight: dates until the autumn change, then the date and time each really starts', async () => {
    // 2026-10-23 00:00 CEST; clocks go back on the 25th, so from the 26th a 24 h bucket starts at 23:00.
    const since = Date.UTC(2026, 9, 22, 22);
    const starts = [0, 1, 2, 3, 4].map((i) => since + i * DAY);
    expect(await labelsIn('Europe/Amsterdam', starts, DAY)).toEqual([
      '2026-10-23',
      '2026-10-24',
      '2026-10-25',
      '2026-10-25 23:00',
      '2026-10-26 23:00',
    ]);
  });

  test('day buckets after the spring change start at 01:00, labelled so', async () => {
    // 2026-03-28 00:00 CET; clocks go forward on the 29th.
    const since = Date.UTC(2026, 2, 27, 23);
    const starts = [0, 1, 2].map((i) => since + i * DAY);
    expect(await labelsIn('Europe/Amsterdam', starts, DAY)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30 01:00']);
  });

  test('the repeated autumn hour: half-hour buckets carry their UTC offset, so no two labels are the same', async () => {
    const starts = [0, 1, 2, 3, 4, 5, 6].map((i) => Date.UTC(2026, 9, 24, 23, 30) + i * 30 * 60_000);
    const labels = await labelsIn('Europe/Amsterdam', starts, 30 * 60_000);
    expect(labels).toEqual([
      '10-25 01:30',
      '10-25 02:00 UTC+2',
      '10-25 02:30 UTC+2',
      '10-25 02:00 UTC+1',
      '10-25 02:30 UTC+1',
      '10-25 03:00',
      '10-25 03:30',
    ]);
    expect(new Set(labels).size).toBe(labels.length);
  });

  test('in UTC nothing changes: dates for day buckets, month-day and time below a day', async () => {
    const since = Date.UTC(2026, 9, 24);
    expect(await labelsIn('UTC', [since, since + DAY], DAY)).toEqual(['2026-10-24', '2026-10-25']);
    expect(await labelsIn('UTC', [since + 12 * HOUR], 12 * HOUR)).toEqual(['10-24 12:00']);
  });
});
