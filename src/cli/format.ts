/**
 * Terminal output: colours, tables, times, durations and the step timeline bar. Everything here
 * is pure (no I/O), so every command prints through the same rules.
 */

export interface Palette {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/**
 * Colour only on a terminal, as NO_COLOR (https://no-color.org) and FORCE_COLOR ask. NO_COLOR wins
 * whatever its value, even empty: someone who set it at all does not want escapes in their logs.
 * FORCE_COLOR turns colour on for pipes (CI logs, `less -R`), except as "0" or "false".
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** SGR wrappers, or identities when colour is off. */
export function makePalette(enabled: boolean): Palette {
  const sgr = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return {
    enabled,
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

/** A status word in its colour: success green, error red, interrupted yellow, running cyan. */
export function colorStatus(status: string, palette: Palette): string {
  switch (status) {
    case 'success':
      return palette.green(status);
    case 'error':
      return palette.red(status);
    case 'interrupted':
      return palette.yellow(status);
    case 'running':
      return palette.cyan(status);
    case 'skipped':
      return palette.dim(status);
    default:
      return sanitize(status);
  }
}

/** Shown where a value is missing (a running execution's duration, an unset field). */
export const NONE = '-';

/** Human duration: "0ms", "850ms", "1.24s", "12.3s", "2m 05s", "1h 02m", "3d 04h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 10) / 100).toFixed(2)}s`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const two = (n: number) => String(n).padStart(2, '0');
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${two(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h ${two(minutes % 60)}m`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)}d ${two(hours % 24)}h`;
}

/** Local time as "2025-01-31 14:05:09" (".123" added with `millis`): sortable and unambiguous enough for a terminal. */
export function formatTime(epochMs: number | null | undefined, options: { millis?: boolean } = {}): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return NONE;
  const d = new Date(epochMs);
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  const text = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return options.millis ? `${text}.${p(d.getMilliseconds(), 3)}` : text;
}

/** "93.3%", or "-" when there is no rate. */
export function formatPercent(rate: number | null): string {
  return rate === null ? NONE : `${(rate * 100).toFixed(1)}%`;
}

// C0 and C1 control characters and DEL, bidirectional controls and line separators. Stored strings
// come from workflows, i.e. from anyone: an ESC in a node name must not drive the user's terminal,
// a newline must not break a table row, and a RIGHT-TO-LEFT OVERRIDE must not reorder what is
// printed after it (an id or a status shown as something else).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes a stored string safe to print on one line: control characters become visible escapes. */
export function sanitize(text: string): string {
  return text.replace(CONTROL, (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Like `sanitize`, but keeps line breaks and tabs: for multi-line blocks such as stacks and JSON. */
export function sanitizeBlock(text: string): string {
  return text.replace(CONTROL, (char) =>
    char === '\n' || char === '\t' ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const ANSI = /\u001b\[[0-9;]*m/g;
// Built on first use: creating it loads ICU data, which `--help` has no need for.
let segmenter: Intl.Segmenter | undefined;
const graphemes = (text: string) => (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text);
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\u{fe0f}/u;
const ZERO_WIDTH = /^[\p{M}\u200b-\u200f\u2060\ufeff]+$/u;

/** Columns a string takes in a terminal: ANSI escapes count 0, emoji and CJK count 2. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes(text.replace(ANSI, ''))) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += WIDE.test(segment) || EMOJI_PRESENTATION.test(segment) ? 2 : 1;
  }
  return width;
}

/** Cuts a plain (uncoloured) string to at most `max` columns, ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = '';
  let width = 0;
  for (const { segment } of graphemes(text)) {
    const w = displayWidth(segment);
    if (width + w > max - 1) break;
    out += segment;
    width += w;
  }
  return `${out}…`;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longer cells are cut with "…" (plain cells only: never cut through a colour escape). */
  maxWidth?: number;
}

/**
 * An aligned text table: a header row, then one line per row, two spaces between columns and no
 * trailing spaces. Cells may carry colour; widths are measured without it.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], palette: Palette): string {
  const cells = rows.map((row) =>
    columns.map((column, i) => {
      const cell = row[i] ?? '';
      return column.maxWidth !== undefined && !cell.includes('\u001b') ? truncate(cell, column.maxWidth) : cell;
    }),
  );
  const widths = columns.map((column, i) => Math.max(displayWidth(column.header), ...cells.map((row) => displayWidth(row[i] ?? ''))));
  const line = (row: readonly string[], style: (text: string) => string = (text) => text) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(cell));
        const last = i === row.length - 1;
        return columns[i]?.align === 'right' ? pad + cell : last ? cell : cell + pad;
      })
      .map((cell) => style(cell))
      .join('  ')
      .trimEnd();
  return (
    [
      line(
        columns.map((column) => column.header),
        palette.bold,
      ),
      ...cells.map((row) => line(row)),
    ].join('\n') + '\n'
  );
}

/**
 * A step's place on its execution's time line, `width` characters between bars: blank before the
 * step starts, filled while it runs. Always at least one filled character, so an instant step is
 * still visible; rounding never pushes it past the end.
 */
export function timelineBar(offsetMs: number, durationMs: number, spanMs: number, width = 30): string {
  const span = Math.max(1, spanMs);
  const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
  const start = clamp(Math.floor((Math.max(0, offsetMs) / span) * width), 0, width - 1);
  const end = clamp(Math.ceil((Math.max(0, offsetMs + Math.max(0, durationMs)) / span) * width), start + 1, width);
  return `|${' '.repeat(start)}${'█'.repeat(end - start)}${' '.repeat(width - end)}|`;
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes an argument for a POSIX shell, only when needed: for printing a command to copy. */
export function shellQuote(arg: string): string {
  return SHELL_SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Pretty JSON indented by `indent` spaces; C1 controls escaped too (JSON.stringify leaves them). */
export function indentJson(value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  return sanitizeBlock(JSON.stringify(value, null, 2) ?? 'undefined')
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
