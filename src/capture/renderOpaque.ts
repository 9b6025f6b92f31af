import { Buffer } from 'node:buffer';
import { types } from 'node:util';
import {
  bufferToString,
  dateGetTime,
  dateToISOString,
  isFiniteNumber,
  isNaN,
  min,
  regExpToString,
  typedArrayLength,
  typedArrayName,
} from './builtins';
import { Kind } from './classify';

/** Leading bytes of a Buffer kept as base64. */
export const BUFFER_PREVIEW_BYTES = 1024;
/** Leading elements of other binary views kept as numbers. */
export const BINARY_PREVIEW_VALUES = 256;

/**
 * Bounded, JSON-ready representation of the builtins that hold no nested user objects (dates,
 * binary data, boxed primitives, regular expressions, promises, weak collections): nothing here
 * recurses into user data. May throw on a hostile object; the caller records what was thrown.
 */
export function renderOpaque(value: object, kind: Kind): unknown {
  switch (kind) {
    case Kind.Date:
      return isNaN(dateGetTime.call(value)) ? 'Invalid Date' : dateToISOString.call(value);
    case Kind.Buffer:
      return renderBuffer(value as Buffer);
    case Kind.TypedArray:
      return renderBinary(String(typedArrayName.call(value)), value as ArrayLike<number | bigint>);
    case Kind.ArrayBuffer:
      return renderBinary(types.isSharedArrayBuffer(value) ? 'SharedArrayBuffer' : 'ArrayBuffer', new Uint8Array(value as ArrayBuffer));
    case Kind.DataView: {
      const view = value as DataView;
      return renderBinary('DataView', new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    }
    case Kind.Boxed:
      return unbox(value);
    case Kind.RegExp:
      return regExpToString.call(value);
    case Kind.Promise:
      return '[Promise]';
    case Kind.WeakMap:
      return '[WeakMap]';
    case Kind.WeakSet:
      return '[WeakSet]';
    default:
      return `[Unserializable: unexpected kind ${kind}]`;
  }
}

function renderBuffer(buffer: Buffer): Record<string, unknown> {
  const byteLength = Number(typedArrayLength.call(buffer));
  const shown = min(byteLength, BUFFER_PREVIEW_BYTES);
  const out: Record<string, unknown> = {
    _type: 'Buffer',
    byteLength,
    base64: bufferToString.call(buffer, 'base64', 0, shown),
  };
  if (shown < byteLength) out.truncated = true;
  return out;
}

function renderBinary(type: string, view: ArrayLike<number | bigint>): Record<string, unknown> {
  const length = view.length;
  const values: unknown[] = [];
  const shown = min(length, BINARY_PREVIEW_VALUES);
  for (let i = 0; i < shown; i++) {
    values.push(jsonNumber(view[i]));
  }
  return { _type: type, length, values };
}

function jsonNumber(value: number | bigint | undefined): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'number' || !isFiniteNumber(value)) return null;
  return value === 0 ? 0 : value;
}

/** Boxed primitives serialize as the primitive they wrap, as in JSON.stringify. */
function unbox(value: object): unknown {
  if (types.isStringObject(value)) return String.prototype.valueOf.call(value);
  if (types.isNumberObject(value)) return jsonNumber(Number.prototype.valueOf.call(value));
  if (types.isBooleanObject(value)) return Boolean.prototype.valueOf.call(value);
  if (types.isBigIntObject(value)) return `${BigInt.prototype.valueOf.call(value)}n`;
  if (types.isSymbolObject(value)) return String(Symbol.prototype.valueOf.call(value));
  return '[Unserializable: unknown boxed primitive]';
}
