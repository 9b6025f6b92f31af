export { FLOWTRAIL_OPTIONS, FlowtrailModule, type FlowtrailModuleAsyncOptions, type FlowtrailModuleOptions } from './FlowtrailModule';
