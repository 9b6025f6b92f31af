/**
 * Durations as people write them ("30d", "12h", "15m", "90s", "500ms", "2w", "1.5h"): one reader
 * for the logger's `retention` settings and the CLI's flags, so that both accept the same text.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Valid forms, for error messages. */
export const DURATION_EXAMPLES = '500ms, 90s, 15m, 12h, 30d, 2w';

/**
 * Reads a duration: a number and a unit, surrounding blanks ignored. A bare number is not one:
 * "30" could mean seconds or days, and guessing wrong deletes the wrong history.
 * @returns milliseconds rounded to a whole number (possibly beyond `Number.MAX_SAFE_INTEGER`, even
 * Infinity, for absurd input: callers bound it), or undefined when the text is not a duration.
 */
export function readDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

/** Whether the text reads as a duration (what `readDuration` accepts). */
export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}
