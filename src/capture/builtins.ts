import { Buffer } from 'node:buffer';

// The builtins that capture calls on every value, bound once here for every file of capture.
// Inside vm contexts (test runners, sandboxes) every global lookup goes through an interceptor and
// can cost more than the work itself. Methods are taken from their prototypes so that an instance
// cannot swap them out, and so that Buffer and Date keep the representation capture defines rather
// than their own toJSON.

export const { isArray } = Array;
export const { getPrototypeOf, keys: ownEnumerableKeys } = Object;
export const { isFinite: isFiniteNumber, isInteger, isNaN } = Number;
export const { abs, floor, min } = Math;

export const OBJECT_PROTOTYPE: unknown = Object.prototype;
export const ARRAY_PROTOTYPE: unknown = Array.prototype;
export const DATE_PROTOTYPE: unknown = Date.prototype;
export const DATE_TO_JSON = Date.prototype.toJSON;
export const BUFFER_TO_JSON = Buffer.prototype.toJSON;
export const URL_TO_JSON = URL.prototype.toJSON;

export const dateGetTime = Date.prototype.getTime;
export const dateToISOString = Date.prototype.toISOString;
export const regExpToString = RegExp.prototype.toString;
export const bufferToString = Buffer.prototype.toString;
export const mapEntries = Map.prototype.entries;
export const setValues = Set.prototype.values;

const TYPED_ARRAY_PROTOTYPE: object = Object.getPrototypeOf(Uint8Array.prototype) as object;
export const typedArrayName = prototypeGetter(TYPED_ARRAY_PROTOTYPE, Symbol.toStringTag);
export const typedArrayLength = prototypeGetter(TYPED_ARRAY_PROTOTYPE, 'length');

function prototypeGetter(prototype: object, key: PropertyKey): (this: unknown) => unknown {
  const getter = Object.getOwnPropertyDescriptor(prototype, key)?.get;
  if (getter === undefined) throw new Error(`missing builtin getter ${String(key)}`);
  return getter;
}

/**
 * Whether `JSON.stringify` escapes anything in a string: a quote, a backslash, a control character
 * or a lone surrogate, the only characters whose JSON is longer than their UTF-8 encoding. Any
 * surrogate matches, paired or not, so that pairs take the callers' exact path too.
 */
export const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;
