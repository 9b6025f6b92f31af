export { LoggedWorkflow, type LoggedWorkflowOptions } from './LoggedWorkflow';
export { LoggedNode, reuseNode, skipNode, type LoggedNodeOptions } from './LoggedNode';
export type { MethodDecorator } from './decorate';
