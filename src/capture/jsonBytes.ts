import { Buffer } from 'node:buffer';
import { abs, isInteger, NEEDS_ESCAPING } from './builtins';

// Exact UTF-8 byte counts of JSON text, computed without building the text: capture counts the
// size of what it stores as it walks, and cuts previews to a byte budget.

/** Exact UTF-8 byte length of `JSON.stringify(text)`. */
export function jsonStringBytes(text: string): number {
  const bytes = Buffer.byteLength(text, 'utf8') + 2;
  return NEEDS_ESCAPING.test(text) ? bytes + escapeOverhead(text) : bytes;
}

/** Length of `JSON.stringify(n)` for a finite number; integers avoid building the string. */
export function numberBytes(n: number): number {
  const magnitude = abs(n);
  if (!isInteger(n) || magnitude >= 1e15) return `${n}`.length;
  let digits = 1;
  for (let power = 10; power <= magnitude; power *= 10) digits++;
  return n < 0 ? digits + 1 : digits;
}

/** JSON-escaped UTF-8 size of the code point starting at `i` and how many units it spans. */
export function codePointCost(text: string, i: number): { bytes: number; units: number } {
  const unit = text.charCodeAt(i);
  if (unit < 0x20) return { bytes: hasShortEscape(unit) ? 2 : 6, units: 1 };
  if (unit === 0x22 || unit === 0x5c) return { bytes: 2, units: 1 };
  if (unit < 0x80) return { bytes: 1, units: 1 };
  if (unit < 0x800) return { bytes: 2, units: 1 };
  if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1))) return { bytes: 4, units: 2 };
  if (isHighSurrogate(unit) || isLowSurrogate(unit)) return { bytes: 6, units: 1 };
  return { bytes: 3, units: 1 };
}

/** Whether a UTF-16 unit is the first half of a surrogate pair. */
export function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Bytes that JSON escaping adds on top of `Buffer.byteLength(text)`. */
function escapeOverhead(text: string): number {
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20) {
      extra += hasShortEscape(unit) ? 1 : 5;
    } else if (unit === 0x22 || unit === 0x5c) {
      extra += 1;
    } else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1))) {
      i++; // a proper pair is 4 bytes both ways
    } else if (isHighSurrogate(unit) || isLowSurrogate(unit)) {
      extra += 3; // Buffer counts U+FFFD (3 bytes); JSON writes \udXXX (6 bytes)
    }
  }
  return extra;
}

/** \b \t \n \f \r */
function hasShortEscape(unit: number): boolean {
  return unit === 8 || unit === 9 || unit === 10 || unit === 12 || unit === 13;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
