/**
 * Lambda's and API Gateway's payload limits, as AWS measures and answers them, so that what
 * works through onebox works deployed. Pure.
 *
 * - Lambda, synchronous invocation: 6 MB each for the request and the response payload
 *   ("Lambda quotas"). The request is the event's JSON, base64 body included (a 5 MB binary
 *   upload is a 6.7 MB event); Invoke refuses one over 6291456 bytes. The response is the
 *   handler's result as JSON; the runtime refuses one over 6291556 bytes
 *   (Function.ResponseSizeTooLarge), and API Gateway answers 502.
 * - API Gateway HTTP API: 10 MB request payload ("Amazon API Gateway quotas"), 413 beyond.
 */

/** Lambda's limit on a synchronous invocation's request payload (the event's JSON), bytes. */
export const LAMBDA_REQUEST_LIMIT = 6 * 1024 * 1024;
/** The response limit as the Lambda runtime enforces it (its error quotes this number), bytes. */
export const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024 + 100;
/** API Gateway's limit on a request body, bytes. */
export const API_GATEWAY_BODY_LIMIT = 10 * 1024 * 1024;

/** JSON escapes a character as at most 6 bytes (`\u0000`): the most a text grows by. */
const JSON_GROWTH = 6;

/**
 * The event's size as Lambda measures it (its JSON), or undefined when it is certainly under
 * the request limit, so that the request path serializes no event twice: a base64 body
 * serializes as it is, a text one grows by escaping at most sixfold, and the rest of the event
 * is bounded by `headerBytes` (the gateway's header limit).
 */
export function eventBytesNearLimit(
  event: { readonly body?: string; readonly isBase64Encoded: boolean },
  headerBytes: number,
): number | undefined {
  const body = event.body?.length ?? 0;
  const bound = (event.isBase64Encoded ? body : body * JSON_GROWTH) + headerBytes * JSON_GROWTH + 4096;
  if (bound <= LAMBDA_REQUEST_LIMIT) return undefined;
  return Buffer.byteLength(JSON.stringify(event));
}

/** The payload's size when it may be over the response limit, else undefined (no scan needed). */
export function responseBytesNearLimit(payload: string): number | undefined {
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  if (payload.length * 3 <= LAMBDA_RESPONSE_LIMIT) return undefined;
  return Buffer.byteLength(payload);
}

/** Lambda's error for a result over the response limit, as the runtime words it. */
export function responseTooLargeError(bytes: number): { errorType: string; errorMessage: string } {
  return {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${LAMBDA_RESPONSE_LIMIT} bytes).`,
  };
}
