import type { TriggerType } from '../entities';
import { ExecutionLogger } from '../logger/ExecutionLogger';
import type { ExecutionOrigin, WorkflowSite } from '../logger/sites';
import { recording } from '../logger/recording';
import { isUnrecorded } from '../logger/unrecorded';
import {
  alwaysReturnsPromise,
  className,
  methodDecorator,
  ownLabel,
  preserveIdentity,
  resolver,
  type Method,
  type MethodDecorator,
  type Resolvable,
} from './decorate';

export interface LoggedWorkflowOptions {
  /** @default `this.id`, else the class name */
  workflowId?: Resolvable<string>;
  /** @default `this.name`, else the class name */
  workflowName?: Resolvable<string>;
  /** @default 'manual' */
  triggerType?: Resolvable<TriggerType>;
  /** @default the first argument (as a function: `(self, args) => data`) */
  triggerData?: (self: any, args: any) => unknown;
  /** Stored in the execution's `metadata` column. */
  metadata?: (self: any, args: any) => unknown;
  /**
   * Tags recorded with the execution's start, to find it by (`listExecutions({ tags })`,
   * `flowtrail list --tag`): an object of key → string (numbers, booleans and bigints are taken
   * as text). More can be added while it runs with `currentExecution()?.tag(key, value)`. Within
   * the limits of tags (32 keys; keys 1–64, values up to 256 characters), else dropped and counted.
   */
  tags?: (self: any, args: any) => Record<string, string | number | boolean | bigint> | undefined;
  /**
   * @internal Where the execution comes from: the workflow definition to store and name
   * (`definitionHash`), and the execution and step it re-runs. What `WorkflowRunner` gives.
   */
  origin?: (self: any, args: any) => ExecutionOrigin | undefined;
  /** @default the logger given to `ExecutionLogger.setDefault()` */
  logger?: ExecutionLogger | (() => ExecutionLogger | null);
}

/**
 * Records each call of the decorated method as one workflow execution; `@LoggedNode` methods
 * called while it runs (at any async depth) become its steps. A workflow method called inside
 * a node becomes a child execution linked to that step. Returns and throws exactly what the
 * method does.
 */
export function LoggedWorkflow(options: LoggedWorkflowOptions = {}): MethodDecorator {
  return methodDecorator('LoggedWorkflow', (method) => {
    const site: WorkflowSite = {
      workflowId: resolver(options.workflowId, (self) => ownLabel(self, 'id') ?? className(self)),
      workflowName: resolver(options.workflowName, (self) => ownLabel(self, 'name') ?? className(self)),
      triggerType: resolver<TriggerType>(options.triggerType, () => 'manual'),
      triggerData: options.triggerData ?? ((_self, args) => args[0]),
      metadata: options.metadata ?? (() => undefined),
      tags: options.tags ?? null,
      origin: options.origin ?? null,
      returnsPromise: alwaysReturnsPromise(method),
    };
    const pickLogger = loggerPicker(options.logger);
    const wrapper: Method = function (this: unknown, ...args: unknown[]) {
      if (recording.loggers === 0) return method.apply(this, args);
      const logger = pickLogger();
      // Past enabled: a workflow started inside one being recorded during shutdown is still its child.
      if (logger === null || !logger.recordsSteps || isUnrecorded()) return method.apply(this, args);
      return logger.runWorkflow(site, this, args, method);
    };
    return preserveIdentity(wrapper, method);
  });
}

function loggerPicker(option: LoggedWorkflowOptions['logger']): () => ExecutionLogger | null {
  if (option === undefined) return ExecutionLogger.getDefault;
  if (option instanceof ExecutionLogger) return () => option;
  return option;
}
