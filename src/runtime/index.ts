export * from './handler-pool.js';
export * from './snapshot.js';
export type { HandlerErrorData, InvocationContextData } from './protocol.js';
