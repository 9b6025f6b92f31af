import { executionContext } from '../logger/context';
import { recording } from '../logger/recording';
import type { ReuseNodeParams, SkipNodeParams } from '../logger/recordParams';
import type { NodeSite } from '../logger/sites';
import {
  alwaysReturnsPromise,
  className,
  methodDecorator,
  ownLabel,
  preserveIdentity,
  resolver,
  type Method,
  type MethodDecorator,
} from './decorate';
import { rememberDecoratedNode } from './nodeSites';

export interface LoggedNodeOptions {
  /** @default `this.id`, else the class name */
  nodeId?: string | ((self: any) => string);
  /** @default `this.type`, else the class name */
  nodeType?: string | ((self: any) => string);
  /** @default `this.label ?? this.name` */
  nodeName?: string | ((self: any) => string | null);
  /** What to store as input. @default the single argument, or the argument list */
  inputs?: (self: any, args: any) => unknown;
  /** What to store as output. @default the return value */
  outputs?: (result: any, self: any) => unknown;
}

/**
 * Records each call of the decorated method (a node's `execute()`) as one step of the workflow
 * execution it runs in. Outside any execution the method runs unlogged, at the cost of one
 * context lookup; while no logger in the process is enabled, of one number read.
 */
export function LoggedNode(options: LoggedNodeOptions = {}): MethodDecorator {
  return methodDecorator('LoggedNode', (method) => {
    const site: NodeSite = {
      nodeId: resolver(options.nodeId, (self) => ownLabel(self, 'id') ?? className(self)),
      nodeType: resolver(options.nodeType, (self) => ownLabel(self, 'type') ?? className(self)),
      nodeName: resolver<string | null, []>(options.nodeName, (self) => ownLabel(self, 'label') ?? ownLabel(self, 'name') ?? null),
      inputs: options.inputs ?? defaultInputs,
      outputs: options.outputs ?? ((result) => result),
      returnsPromise: alwaysReturnsPromise(method),
    };
    // The recorded path, apart: its argument list would otherwise be allocated on every call.
    const recorded = function (this: unknown, ...args: unknown[]): unknown {
      const context = executionContext.getStore();
      if (context !== undefined && context.logger.recordsSteps) return context.logger.runNode(site, context, this, args, method);
      return method.apply(this, args);
    };
    // No logger that could record anywhere: not even the context is looked up. `arguments`, not
    // rest parameters, and one argument (a node's `execute(input)`) passed with `call`: the
    // unlogged path allocates nothing, and V8 can inline the method into it.
    const wrapper = function (this: unknown, input?: unknown): unknown {
      if (recording.loggers !== 0) {
        // eslint-disable-next-line prefer-rest-params
        return recorded.apply(this, arguments as unknown as unknown[]);
      }
      if (arguments.length === 1) return method.call(this, input);
      // eslint-disable-next-line prefer-rest-params
      return method.apply(this, arguments as unknown as unknown[]);
    } as Method;
    rememberDecoratedNode(wrapper, { site, inputsOption: options.inputs });
    return preserveIdentity(wrapper, method);
  });
}

/**
 * Records a step that did not run (an untaken branch) in the execution of the current async
 * call. Returns the step id, or '' outside a recorded execution.
 */
export function skipNode(params: Omit<SkipNodeParams, 'executionId'>): string {
  const context = executionContext.getStore();
  if (context === undefined) return '';
  return context.logger.skipNode(params);
}

/**
 * Records a step whose result is reused from another step (a re-run) in the execution of the
 * current async call. Returns the step id, or '' outside a recorded execution.
 */
export function reuseNode(params: Omit<ReuseNodeParams, 'executionId'>): string {
  const context = executionContext.getStore();
  if (context === undefined) return '';
  return context.logger.reuseNode(params);
}

function defaultInputs(_self: unknown, args: unknown[]): unknown {
  return args.length === 1 ? args[0] : args.length === 0 ? undefined : args;
}
