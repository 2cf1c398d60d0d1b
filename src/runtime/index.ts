export * from './apigw.js';
export * from './function-version.js';
export * from './handler-pool.js';
export type { InstanceInfo, LifecycleEvent } from './instance.js';
export * from './invocation.js';
export * from './snapshot.js';
export type { Timers } from './timers.js';
export type { HandlerErrorData, InvocationContextData } from './protocol.js';
export * from './lambda-limits.js';
