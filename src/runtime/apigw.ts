/**
 * API Gateway HTTP API, Lambda proxy integration, payload format version 2.0: the event a
 * handler receives for an HTTP request, and the HTTP response API Gateway makes of what the
 * handler returns. Pure: no I/O, no clock (time is an argument).
 *
 * Reference: "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * (sections "Payload format differences", "Payload format structure" and "Lambda function
 * response for format 2.0").
 */

/** The event of payload format 2.0 (the fields onebox fills; no authorizer, no stage variables). */
export interface ApiGatewayV2Event {
  readonly version: '2.0';
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  /** Absent when the request has no cookies, as on AWS. */
  readonly cookies?: string[];
  readonly headers: Record<string, string>;
  /** Absent when the request has no query string, as on AWS. */
  readonly queryStringParameters?: Record<string, string>;
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    readonly domainName: string;
    readonly domainPrefix: string;
    readonly http: {
      readonly method: string;
      readonly path: string;
      readonly protocol: string;
      readonly sourceIp: string;
      readonly userAgent: string;
    };
    readonly requestId: string;
    readonly routeKey: string;
    readonly stage: string;
    /** Common Log Format time, e.g. `12/Mar/2020:19:03:58 +0000`. */
    readonly time: string;
    readonly timeEpoch: number;
  };
  /** Absent when the request has no body, as on AWS. */
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

/** Request headers: a flat list `[name, value, name, value, ...]` (node's rawHeaders) or an object. */
export type RequestHeaders =
  readonly string[] | Readonly<Record<string, string | readonly string[] | number | undefined>>;

export interface HttpRequestInput {
  readonly method: string;
  /** The path as received, without the query string, not decoded. */
  readonly rawPath: string;
  /** The query string as received, without the `?`; '' when none. */
  readonly rawQueryString: string;
  readonly headers: RequestHeaders;
  /**
   * The request's cookies, one `name=value` per element. Default: every Cookie header,
   * split at `;` (2.0: "all cookie headers in the request are combined ... and added to the
   * cookies field"); the Cookie header itself is then not among `headers`.
   */
  readonly cookies?: readonly string[];
  /** The request body; undefined or empty for none. */
  readonly body?: Uint8Array | undefined;
  readonly sourceIp: string;
  readonly requestId: string;
  /** Epoch milliseconds of the request's arrival. */
  readonly timeEpoch: number;
  /** Default `HTTP/1.1`. */
  readonly protocol?: string;
  /** Default `$default`. */
  readonly stage?: string;
  /** Default: the Host header without its port, else `localhost`. */
  readonly domainName?: string;
  /** Default `000000000000`. */
  readonly accountId?: string;
  /** Default `onebox`. */
  readonly apiId?: string;
}

export const DEFAULT_ACCOUNT_ID = '000000000000';

/** Splits a request target (`/a/b?x=1`) into rawPath and rawQueryString. */
export function splitRequestTarget(target: string): { rawPath: string; rawQueryString: string } {
  const q = target.indexOf('?');
  return q === -1
    ? { rawPath: target, rawQueryString: '' }
    : { rawPath: target.slice(0, q), rawQueryString: target.slice(q + 1) };
}

function headerPairs(headers: RequestHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (Array.isArray(headers)) {
    const flat = headers as readonly string[];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, String(v)]);
    else out.push([name, String(value)]);
  }
  return out;
}

/**
 * Content types whose bodies reach the handler as text. Any other body (including one
 * without a content type) is binary and is sent base64-encoded with `isBase64Encoded: true`,
 * as the 2.0 payload does for binary request bodies.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  if (mime.startsWith('text/')) return true;
  if (mime.endsWith('+json') || mime.endsWith('+xml')) return true;
  return (
    mime === 'application/json' ||
    mime === 'application/xml' ||
    mime === 'application/javascript' ||
    mime === 'application/ecmascript' ||
    mime === 'application/x-www-form-urlencoded' ||
    mime === 'application/graphql' ||
    mime === 'application/yaml' ||
    mime === 'application/x-yaml'
  );
}

function decodeComponent(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape is passed on as received
  }
}

/**
 * queryStringParameters: 2.0 "doesn't have multiValueQueryStringParameters ... Duplicate
 * query strings are combined with commas". Names and values are percent-decoded; a name
 * without `=` has the value ''.
 */
export function queryStringParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let any = false;
  for (const part of rawQueryString.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(part.slice(eq + 1));
    out[name] = name in out ? `${out[name]},${value}` : value;
    any = true;
  }
  return any ? { ...out } : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** requestContext.time: Common Log Format in UTC, e.g. `12/Mar/2020:19:03:58 +0000`. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
  );
}

/**
 * The 2.0 event for one HTTP request. Header names are lowercased ("All headers are
 * lowercase"), duplicate headers "are combined with commas" (`value1,value2`), and the Cookie
 * header becomes the `cookies` array. A text body is passed as a string, any other as base64.
 */
export function toApiGatewayV2Event(req: HttpRequestInput): ApiGatewayV2Event {
  const headers: Record<string, string> = {};
  const cookieHeaders: string[] = [];
  for (const [rawName, value] of headerPairs(req.headers)) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookieHeaders.push(value);
      continue;
    }
    headers[name] = Object.prototype.hasOwnProperty.call(headers, name) ? `${headers[name]},${value}` : value;
  }
  const cookies =
    req.cookies !== undefined
      ? [...req.cookies]
      : cookieHeaders
          .flatMap((h) => h.split(';'))
          .map((c) => c.trim())
          .filter((c) => c !== '');

  const domainName = req.domainName ?? (headers.host ? headers.host.replace(/:\d+$/, '') : 'localhost');
  const stage = req.stage ?? '$default';
  const body =
    req.body && req.body.length > 0
      ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)
      : undefined;
  const text = body !== undefined && isTextContentType(headers['content-type']);
  const query = queryStringParameters(req.rawQueryString);

  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: req.rawPath,
    rawQueryString: req.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: req.accountId ?? DEFAULT_ACCOUNT_ID,
      apiId: req.apiId ?? 'onebox',
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: req.method.toUpperCase(),
        path: req.rawPath,
        protocol: req.protocol ?? 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId,
      routeKey: '$default',
      stage,
      time: clfTime(req.timeEpoch),
      timeEpoch: req.timeEpoch,
    },
    ...(body !== undefined ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body !== undefined && !text,
  };
}

/** The HTTP response made of a handler's result. */
export interface HandlerHttpResponse {
  readonly statusCode: number;
  /** Flat `[name, value, ...]`; each cookie of the result is its own `set-cookie`. */
  readonly headers: string[];
  readonly body: Buffer;
  /** Set when the result was not a valid response: why (the response is then a 500). */
  readonly malformed?: string;
}

/** API Gateway's answer to a malformed Lambda response, or to a function error. */
export function internalServerError(malformed?: string): HandlerHttpResponse {
  const body = Buffer.from('{"message":"Internal Server Error"}');
  return {
    statusCode: 500,
    headers: ['content-type', 'application/json', 'content-length', String(body.length)],
    body,
    ...(malformed !== undefined ? { malformed } : {}),
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

/**
 * The HTTP response API Gateway makes of a handler's result (2.0, "Lambda function response
 * for format 2.0"):
 * - a result with `statusCode` is the full form
 *   `{ statusCode, headers, cookies, body, isBase64Encoded }`; each element of `cookies`
 *   becomes its own `set-cookie` header; a base64 body is decoded;
 * - any other result is inferred: "isBase64Encoded is false, statusCode is 200, content-type
 *   is application/json, body is the function's response". A string is the body as it is
 *   (AWS's example: `"Hello from Lambda!"` -> body `Hello from Lambda!`, content-type
 *   application/json); anything else is its JSON text. `undefined` is JSON `null`, as the
 *   Node.js runtime serializes it.
 * A full-form result that is not valid (status not an integer 100..599, body not a string,
 * headers not an object) answers 500 `{"message":"Internal Server Error"}`, as API Gateway
 * does, with the reason in `malformed`.
 */
export function fromHandlerResult(result: unknown): HandlerHttpResponse {
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
  const headers: string[] = [];
  if (result.headers !== undefined && result.headers !== null) {
    if (!isRecord(result.headers)) return internalServerError('headers must be an object');
    for (const [name, value] of Object.entries(result.headers)) {
      // The body is complete here: its length is ours to state, not the handler's.
      if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue;
      const v = scalarString(value);
      if (v === undefined) return internalServerError(`header ${name} must be a string`);
      headers.push(name, v);
    }
  }
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies)) return internalServerError('cookies must be an array of strings');
    for (const c of result.cookies) {
      if (typeof c !== 'string') return internalServerError('cookies must be an array of strings');
      headers.push('set-cookie', c);
    }
  }
  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body !== 'string') return internalServerError('body must be a string');
  else body = result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  headers.push('content-length', String(body.length));
  return { statusCode: status, headers, body };
}
