import { Buffer } from 'node:buffer';
import { types } from 'node:util';
import { getPrototypeOf, isArray, OBJECT_PROTOTYPE } from './builtins';

/** How the serializer represents an object. */
export const enum Kind {
  Array,
  Plain,
  Error,
  Date,
  Buffer,
  TypedArray,
  ArrayBuffer,
  DataView,
  Map,
  Set,
  Boxed,
  RegExp,
  Promise,
  WeakMap,
  WeakSet,
}

/**
 * Decides how an object is represented. May throw (revoked proxies, throwing
 * getPrototypeOf traps); brand checks from node:util never run user code.
 */
export function classify(value: object): Kind {
  if (isArray(value)) return Kind.Array;
  const prototype: unknown = getPrototypeOf(value);
  if (prototype === OBJECT_PROTOTYPE || prototype === null) return Kind.Plain;
  if (types.isNativeError(value) || value instanceof Error) return Kind.Error;
  if (types.isDate(value)) return Kind.Date;
  if (types.isTypedArray(value)) return Buffer.isBuffer(value) ? Kind.Buffer : Kind.TypedArray;
  if (types.isAnyArrayBuffer(value)) return Kind.ArrayBuffer;
  if (types.isDataView(value)) return Kind.DataView;
  if (types.isMap(value)) return Kind.Map;
  if (types.isSet(value)) return Kind.Set;
  if (types.isPromise(value)) return Kind.Promise;
  if (types.isBoxedPrimitive(value)) return Kind.Boxed;
  if (types.isRegExp(value)) return Kind.RegExp;
  if (types.isWeakMap(value)) return Kind.WeakMap;
  if (types.isWeakSet(value)) return Kind.WeakSet;
  return Kind.Plain;
}
