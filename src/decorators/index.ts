export { LoggedWorkflow, type LoggedWorkflowOptions } from './LoggedWorkflow';
export { LoggedNode, skipNode, type LoggedNodeOptions } from './LoggedNode';
export type { MethodDecorator } from './decorate';
