/** The Stats page's time range as its URL holds it: `since` (and `until`), as the API reads them. */

/** Ranges offered by name: `since=<value>` with no `until`. */
export const PRESETS = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
] as const;

/** The range when the URL names none (the API's default too). */
export const DEFAULT_PRESET = '24h';

/** Which preset the URL names, or `custom` for any other since/until. */
export function presetOf(search: URLSearchParams): string {
  const since = search.get('since') || DEFAULT_PRESET;
  return !search.get('until') && PRESETS.some((preset) => preset.value === since) ? since : 'custom';
}

/** A `datetime-local` field's value (local time, to the minute) for an epoch ms. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * A `datetime-local` value as the URL holds it: UTC with a `Z`, which the server reads the same
 * whatever its own time zone. Empty when the field is.
 */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z') : value;
}

/** `1 min`, `30 min`, `3 h`, `1 day`, `14 days`: a bucket's width. */
export function formatSpan(ms: number): string {
  const units: [number, string, string][] = [
    [86_400_000, 'day', 'days'],
    [3_600_000, 'h', 'h'],
    [60_000, 'min', 'min'],
    [1000, 's', 's'],
  ];
  for (const [size, one, many] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${ms === size ? one : many}`;
  return `${ms} ms`;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A bucket's start as a chart labels it: the date for buckets of a day or more that start at local
 * midnight, else the date and time. Buckets are fixed widths from `since`, so after a daylight-saving
 * change a day bucket starts at 23:00 or 01:00 local: it is labelled with its time, not a date it
 * mostly is not. Within an hour of a change (the repeated autumn hour) the UTC offset is added.
 */
export function bucketLabel(ms: number, bucketMs: number): string {
  const local = toLocalInput(ms);
  const offset = new Date(ms).getTimezoneOffset();
  const nearChange = offset !== new Date(ms - HOUR).getTimezoneOffset() || offset !== new Date(ms + HOUR).getTimezoneOffset();
  if (bucketMs >= DAY && local.endsWith('T00:00') && !nearChange) return local.slice(0, 10);
  const label = bucketMs >= DAY ? local.replace('T', ' ') : local.slice(5).replace('T', ' ');
  return nearChange ? `${label} ${utcOffset(offset)}` : label;
}

/** `UTC+2`, `UTC-3:30` for a `getTimezoneOffset()` (minutes behind UTC). */
function utcOffset(minutesBehind: number): string {
  const ahead = -minutesBehind;
  const hours = Math.trunc(Math.abs(ahead) / 60);
  const minutes = Math.abs(ahead) % 60;
  return `UTC${ahead < 0 ? '-' : '+'}${hours}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}`;
}

/** `12.5%`, or an empty string for no value. */
export function formatRate(rate: number | null): string {
  return rate === null ? '' : `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)}%`;
}
