import {
  badGateway,
  fromHandlerResult,
  internalServerError,
  jsonResponse,
  type HandlerHttpResponse,
  type ResultOptions,
} from './apigw-result.js';
import { LAMBDA_RESPONSE_LIMIT } from './lambda-limits.js';
import type { HandlerErrorData } from './protocol.js';

/** One invocation of a function version: how it is asked for, how it ended, what HTTP answer it makes. */

export interface InvokeOptions {
  /** The alias or version number the caller named: the qualifier of invokedFunctionArn. Default `live`. */
  readonly qualifier?: string;
  /** context.awsRequestId. Default: a random UUID. */
  readonly requestId?: string;
}

/**
 * - success: the handler returned (`payload` is its result, through JSON as on Lambda);
 * - function-error: the handler threw or rejected (`error`);
 * - timeout: it did not answer within the timeout; its process was killed;
 * - crash: its process ended during the invocation (process.exit, a fatal error, a kill);
 * - init-error: the module could not be loaded, has no such export, or did not load in time.
 */
export type InvocationOutcome = 'success' | 'function-error' | 'timeout' | 'crash' | 'init-error';

export interface InvocationResult {
  readonly outcome: InvocationOutcome;
  readonly payload?: unknown;
  readonly error?: HandlerErrorData;
  /** True when this invocation waited for its process to start (Lambda's cold start). */
  readonly coldStart: boolean;
  /** The process that ran (or was to run) the invocation. */
  readonly pid: number | undefined;
  readonly requestId: string;
  /** The version that ran, as `aws lambda invoke` reports it (ExecutedVersion). */
  readonly executedVersion: string;
  /** Time from the call to the result, cold start included. */
  readonly durationMs: number;
}

export interface HttpInvocationResult extends InvocationResult {
  readonly response: HandlerHttpResponse;
}

/**
 * The HTTP response for an invocation, as API Gateway answers it: the handler's result
 * mapped; a function error 500 `Internal Server Error`, except a result over Lambda's
 * response limit, 502 saying which limit; a timeout 504; a crash or a module that does not
 * load 502.
 */
export function httpResponseOf(result: InvocationResult, options: ResultOptions = {}): HandlerHttpResponse {
  switch (result.outcome) {
    case 'success':
      return fromHandlerResult(result.payload, options);
    case 'function-error':
      if (result.error?.errorType === 'Function.ResponseSizeTooLarge') {
        return jsonResponse(502, {
          message: 'Bad Gateway',
          error: 'response_too_large',
          limit: `Lambda's synchronous response payload limit, ${LAMBDA_RESPONSE_LIMIT} bytes (6 MB)`,
          detail: result.error.errorMessage,
        });
      }
      return internalServerError();
    case 'timeout':
      return jsonResponse(504, { message: 'Endpoint request timed out' });
    case 'crash':
    case 'init-error':
      return badGateway();
  }
}
