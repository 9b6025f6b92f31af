import { types } from 'node:util';

/** A method as the decorators see it: any `this`, any arguments. */
export type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The type of a flowtrail method decorator. It type-checks as a TypeScript standard (TC39)
 * decorator and as an `experimentalDecorators` one, so the same import works in either project.
 */
export interface MethodDecorator {
  // `This` is generic so that a method declaring its `this` parameter type-checks under `strict`.
  <This, F extends (this: This, ...args: any[]) => any>(method: F, context: ClassMethodDecoratorContext<This, F>): F;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Builds a decorator that replaces a method by `wrap(method)` under either decorator standard.
 * Misuse (on a field, a getter) throws at class definition, where it is a programming error.
 */
export function methodDecorator(decoratorName: string, wrap: (method: Method, name: string) => Method): MethodDecorator {
  function decorate(target: unknown, contextOrKey: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(contextOrKey)) {
      if (contextOrKey.kind !== 'method' || typeof target !== 'function') {
        throw new TypeError(`@${decoratorName} decorates methods, not ${contextOrKey.kind}s`);
      }
      return wrap(target as Method, String(contextOrKey.name));
    }
    if (!descriptor || typeof descriptor.value !== 'function') {
      throw new TypeError(`@${decoratorName} decorates methods; ${String(contextOrKey)} is not one`);
    }
    descriptor.value = wrap(descriptor.value as Method, String(contextOrKey));
    return descriptor;
  }
  return decorate as MethodDecorator;
}

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext | ClassFieldDecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

type MetadataReflect = typeof Reflect & {
  getOwnMetadataKeys?: (target: object) => unknown[];
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

/**
 * Makes the wrapper look like the method: same `name` and `length`, and the reflect-metadata
 * keys that other decorators put on the function (route or guard metadata), so decorators
 * applied before ours keep working; those applied after ours write onto the wrapper directly.
 */
export function preserveIdentity(wrapper: Method, method: Method): Method {
  Object.defineProperty(wrapper, 'name', { value: method.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: method.length, configurable: true });
  const reflect = Reflect as MetadataReflect;
  if (reflect.getOwnMetadataKeys && reflect.getOwnMetadata && reflect.defineMetadata) {
    for (const key of reflect.getOwnMetadataKeys(method)) {
      reflect.defineMetadata(key, reflect.getOwnMetadata(key, method), wrapper);
    }
  }
  return wrapper;
}

/**
 * Whether every call of `method` returns a promise: a native `async` function (not an async
 * generator, which returns an iterator). Transpiled async code is learned from its first result.
 */
export function alwaysReturnsPromise(method: Method): boolean {
  return types.isAsyncFunction(method) && !types.isGeneratorFunction(method);
}

/** An option given as a value, or as a function of the instance and the call's arguments. */
// `args` is `any` so that callers may type it as their method's parameter tuple.
export type Resolvable<T> = T | ((self: any, args: any) => T);

/**
 * An option as a function of the instance (and, for a workflow, the call's arguments): the option
 * itself when it is one, a constant when it is a value, `fallback` when it is not given.
 */
export function resolver<T, Rest extends unknown[] = [args: unknown[]]>(
  option: T | ((self: any, ...rest: Rest) => T) | undefined,
  fallback: (self: any, ...rest: Rest) => T,
): (self: unknown, ...rest: Rest) => T {
  if (option === undefined) return fallback;
  if (typeof option === 'function') return option as (self: unknown, ...rest: Rest) => T;
  return () => option;
}

/** `this.<key>` when it is a non-empty string or a number; else undefined. */
export function ownLabel(self: unknown, key: string): string | undefined {
  // A static method's `this` is its class: `static type = '…'` is read like an instance's.
  if (self === null || (typeof self !== 'object' && typeof self !== 'function')) return undefined;
  const value = (self as Record<string, unknown>)[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function className(self: unknown): string {
  if (self === null || self === undefined) return 'anonymous';
  if (typeof self === 'function') return self.name || 'anonymous';
  return (self as object).constructor?.name || 'anonymous';
}
