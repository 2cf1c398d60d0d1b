/** Messages between a HandlerPool and its worker processes (node IPC, JSON serialization). */

/** What the worker needs to build the handler's `context` for one invocation. */
export interface InvocationContextData {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  readonly memoryLimitInMB: string;
  /** Epoch ms at which the invocation times out. */
  readonly deadline: number;
}

export type ParentMessage = {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  readonly context: InvocationContextData;
};

export interface HandlerErrorData {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stack?: string[];
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: HandlerErrorData }
  /** `payload` is the JSON text of the handler's result, as Lambda serializes it. */
  | { readonly type: 'result'; readonly id: number; readonly payload: string }
  | { readonly type: 'error'; readonly id: number; readonly error: HandlerErrorData };
