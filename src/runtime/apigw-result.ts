import { connectionTokens, HOP_BY_HOP } from '../core/hop-by-hop.js';

/**
 * The HTTP response API Gateway (HTTP API, payload format 2.0) makes of what a handler
 * returns ("Lambda function response for format 2.0"), and its answers when there is
 * nothing valid to send. Pure.
 */

/** The HTTP response made of a handler's result. */
export interface HandlerHttpResponse {
  readonly statusCode: number;
  /** Flat `[name, value, ...]`; each cookie of the result is its own `set-cookie`. */
  readonly headers: string[];
  readonly body: Buffer;
  /** Set when the result was not a valid response: why (the response is then a 500 or a 502). */
  readonly malformed?: string;
}

export interface ResultOptions {
  /**
   * The request was a HEAD: the body is not sent, and a Content-Length the handler gave
   * (the length its GET would have) is kept. Default false.
   */
  readonly head?: boolean;
}

function jsonAnswer(statusCode: number, message: string, malformed?: string): HandlerHttpResponse {
  const response = jsonResponse(statusCode, { message });
  return malformed === undefined ? response : { ...response, malformed };
}

/** API Gateway's answer to a malformed Lambda response, or to a function error. */
export function internalServerError(malformed?: string): HandlerHttpResponse {
  return jsonAnswer(500, 'Internal Server Error', malformed);
}

/** API Gateway's answer when the integration failed (a crash, a module that does not load, ...). */
export function badGateway(malformed?: string): HandlerHttpResponse {
  return jsonAnswer(502, 'Bad Gateway', malformed);
}

/** A JSON answer with `message` and more fields, e.g. the limit that was exceeded. */
export function jsonResponse(statusCode: number, body: Record<string, unknown>): HandlerHttpResponse {
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    statusCode,
    headers: ['content-type', 'application/json', 'content-length', String(bytes.length)],
    body: bytes,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** An HTTP field name (RFC 9110 5.1: a token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A character node will not send in a field value (its own check): controls, CR/LF, above U+00FF. */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/** Why a header cannot be sent, quoting where; undefined when it can. */
function headerProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP field name`;
  const at = value.search(UNSENDABLE);
  if (at === -1) return undefined;
  const code = value.codePointAt(at)!;
  const char = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `header ${name} has a character that cannot be sent in an HTTP header (${char} at ${at})`;
}

/** Statuses whose answers never have a body (RFC 9110 6.4.1), so no Content-Length either. */
const noBody = (status: number): boolean => status === 204 || status === 304;

/**
 * The HTTP response API Gateway makes of a handler's result (2.0):
 * - a result with `statusCode` is the full form
 *   `{ statusCode, headers, cookies, body, isBase64Encoded }`; each element of `cookies`
 *   becomes its own `set-cookie` header; a base64 body is decoded;
 * - any other result is inferred: "isBase64Encoded is false, statusCode is 200, content-type
 *   is application/json, body is the function's response". A string is the body as it is
 *   (AWS's example: `"Hello from Lambda!"` -> body `Hello from Lambda!`, content-type
 *   application/json); anything else is its JSON text. `undefined` is JSON `null`, as the
 *   Node.js runtime serializes it.
 * The gateway states the length of the (complete) body itself; hop-by-hop headers of the
 * result are dropped, and a 204 or 304 has neither body nor Content-Length.
 * A full form that cannot be sent answers like API Gateway, with the reason in `malformed`:
 * 500 `{"message":"Internal Server Error"}` when it is malformed (status not an integer
 * 100..599, body not a string, headers not an object, a header name that is not a token or
 * a value with CR, LF or a character above U+00FF); 502 for an informational status
 * (1xx) given as the final one, which no client could take as an answer.
 */
export function fromHandlerResult(result: unknown, options: ResultOptions = {}): HandlerHttpResponse {
  if (!isRecord(result) || !('statusCode' in result)) {
    const text = typeof result === 'string' ? result : (JSON.stringify(result === undefined ? null : result) ?? 'null');
    const body = Buffer.from(text, 'utf8');
    return {
      statusCode: 200,
      headers: ['content-type', 'application/json', 'content-length', String(body.length)],
      body,
    };
  }
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return internalServerError(`statusCode must be an integer 100..599, got ${JSON.stringify(status)}`);
  }
  if (status < 200) return badGateway(`statusCode ${status} is informational: a final answer needs 200..599`);
  const headers: string[] = [];
  let connection: string | undefined;
  let declaredLength: string | undefined;
  if (result.headers !== undefined && result.headers !== null) {
    if (!isRecord(result.headers)) return internalServerError('headers must be an object');
    for (const [name, value] of Object.entries(result.headers)) {
      const v = scalarString(value);
      if (v === undefined) return internalServerError(`header ${name} must be a string`);
      const problem = headerProblem(name, v);
      if (problem) return internalServerError(problem);
      const lower = name.toLowerCase();
      // The body is complete here: its length is ours to state, not the handler's.
      if (lower === 'content-length') declaredLength = v;
      else if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connection = v;
      } else headers.push(name, v);
    }
  }
  const listed = connectionTokens(connection);
  if (listed) {
    for (let i = headers.length - 2; i >= 0; i -= 2) if (listed.has(headers[i]!.toLowerCase())) headers.splice(i, 2);
  }
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies)) return internalServerError('cookies must be an array of strings');
    for (const c of result.cookies) {
      if (typeof c !== 'string') return internalServerError('cookies must be an array of strings');
      const problem = headerProblem('set-cookie', c);
      if (problem) return internalServerError(`a cookie: ${problem}`);
      headers.push('set-cookie', c);
    }
  }
  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body !== 'string') return internalServerError('body must be a string');
  else body = result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  if (noBody(status)) return { statusCode: status, headers, body: Buffer.alloc(0) };
  // HEAD: the length a GET would have, as the handler (or its framework) said it.
  const length =
    options.head && declaredLength !== undefined && /^\d+$/.test(declaredLength) ? declaredLength : undefined;
  headers.push('content-length', length ?? String(body.length));
  return { statusCode: status, headers, body };
}
