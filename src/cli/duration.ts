import { DURATION_EXAMPLES, isDuration, readDuration } from '../duration';
import { UsageError } from './args';

/** A calendar date, optionally with a time and an offset. Read field by field: `Date.parse` rolls 02-30 over to March. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Reads a duration such as "30d", "12h", "15m", "90s", "500ms" (also "w", and decimals like "1.5h").
 * A bare number is refused: "30" could mean seconds or days, and guessing wrong prunes the wrong rows.
 * @returns milliseconds, rounded to a whole number.
 * @throws UsageError naming the flag and showing valid forms.
 */
export function parseDuration(text: string, flag: string): number {
  const ms = readDuration(text);
  if (ms === undefined) {
    throw new UsageError(`invalid duration ${JSON.stringify(text)} for ${flag} (expected a number and a unit: ${DURATION_EXAMPLES})`);
  }
  if (!Number.isSafeInteger(ms)) throw new UsageError(`duration ${JSON.stringify(text)} for ${flag} is too large`);
  return ms;
}

/**
 * Reads a point in time for `--since`/`--until`: a duration ago ("7d" → 7 days before `now`) or
 * an ISO date ("2025-01-31", "2025-01-31T12:00", "2025-01-31T12:00:00Z"). Without an offset it is
 * local time, a date alone included (midnight, local): unlike `Date.parse`, which reads a date
 * alone as UTC. A date that does not exist (2025-02-30) is refused, not rolled over.
 * @returns epoch milliseconds.
 * @throws UsageError naming the flag.
 */
export function parseTimeBound(text: string, flag: string, now = Date.now()): number {
  const trimmed = text.trim();
  if (isDuration(trimmed)) return now - parseDuration(trimmed, flag);
  const ms = parseIsoTime(trimmed);
  if (ms !== null) return ms;
  throw new UsageError(
    `invalid time ${JSON.stringify(text)} for ${flag} (expected a duration ago such as 12h or 30d, or an ISO date such as 2025-01-31 or 2025-01-31T12:00Z)`,
  );
}

function parseIsoTime(text: string): number | null {
  const match = ISO_DATE.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  const fraction = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0'));
  const offset = match[8];
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!)) return null;
  if (hour! > 23 || minute! > 59 || second! > 59) return null;
  if (offset === undefined) return new Date(year!, month! - 1, day!, hour!, minute!, second!, fraction).getTime();
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, fraction);
  if (/^z$/i.test(offset)) return utc;
  const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
  if (Number(hours) > 23 || Number(minutes) > 59) return null;
  return utc - (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
