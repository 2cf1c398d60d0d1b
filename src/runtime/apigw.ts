/**
 * API Gateway HTTP API, Lambda proxy integration, payload format version 2.0: the event a
 * handler receives for an HTTP request (the response side is apigw-result.ts). Pure: no
 * I/O, no clock, no randomness (time and ids are arguments).
 *
 * References: "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * (sections "Payload format differences", "Payload format structure"), and events captured
 * from a live HTTP API (test/runtime/fixtures/): the path arrives percent-decoded, `+` in the
 * query string is a space in queryStringParameters, and API Gateway adds `content-length`,
 * `x-amzn-trace-id` and the X-Forwarded-For/Port/Proto headers.
 */

export * from './apigw-result.js';

/** The event of payload format 2.0 (the fields onebox fills; no authorizer, no stage variables). */
export interface ApiGatewayV2Event {
  readonly version: '2.0';
  readonly routeKey: string;
  /** The path, percent-decoded as HTTP APIs deliver it. */
  readonly rawPath: string;
  /** The query string as received, not decoded. */
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
  /** The path as received, without the query string, not decoded (the event carries it decoded). */
  readonly rawPath: string;
  /** The query string as received, without the `?`; '' when none. */
  readonly rawQueryString: string;
  /**
   * Header values as node gives them: each byte one character (latin1). A value that is
   * valid UTF-8 reaches the handler decoded, as on AWS.
   */
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
  /**
   * The API's public host name, as a custom domain names it: the event's `host` header and
   * `requestContext.domainName` (without a port). Default: the request's Host header, else
   * `localhost`.
   */
  readonly domainName?: string;
  /** `x-forwarded-port`, the port the client connected to. Default: none added. */
  readonly port?: number;
  /**
   * `x-amzn-trace-id` when the request has none, e.g. `Root=1-5e6a8a9e-...` (see
   * traceIdOf). Default: none added.
   */
  readonly traceId?: string;
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

/**
 * An X-Ray trace header as API Gateway adds one: `Root=1-<epoch seconds, 8 hex>-<96 random
 * bits, 24 hex>`; `random` gives the 24 hex digits.
 */
export function traceIdOf(epochMs: number, random: string): string {
  const seconds = Math.floor(epochMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${seconds}-${random}`;
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as node read it (one character per byte) as the handler gets it on AWS:
 * bytes that are valid UTF-8 decoded as such; anything else as it came.
 */
export function headerText(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
}

/**
 * Content types whose bodies reach the handler as text: text/*, JSON, XML and JavaScript.
 * Any other body (a form post, an image, one without a content type) is sent base64-encoded
 * with `isBase64Encoded: true`, as HTTP APIs do.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    mime.startsWith('text/') ||
    mime === 'application/json' ||
    mime === 'application/xml' ||
    mime === 'application/javascript'
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

/** A query name or value as HTTP APIs decode it: `+` is a space, then percent-decoding. */
const decodeQueryComponent = (s: string): string => decodeComponent(s.includes('+') ? s.replace(/\+/g, ' ') : s);

/**
 * queryStringParameters: 2.0 "doesn't have multiValueQueryStringParameters ... Duplicate
 * query strings are combined with commas". Names and values are decoded (`+` as a space,
 * as a live HTTP API does); a name without `=` has the value ''.
 */
export function queryStringParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let any = false;
  for (const part of rawQueryString.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeQueryComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeQueryComponent(part.slice(eq + 1));
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

/** `host[:port]` without its port (`[::1]:8080` -> `[::1]`). */
const withoutPort = (host: string): string => host.replace(/:\d*$/, '');

/**
 * The 2.0 event for one HTTP request. Header names are lowercased ("All headers are
 * lowercase"), duplicate headers "are combined with commas" (`value1,value2`), and the Cookie
 * header becomes the `cookies` array. The headers API Gateway adds are there: `host` (the
 * public host), `content-length` of a body, `x-forwarded-port` and `x-amzn-trace-id` when
 * given. A text body is passed as a string, any other as base64.
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
    const text = headerText(value);
    headers[name] = Object.prototype.hasOwnProperty.call(headers, name) ? `${headers[name]},${text}` : text;
  }
  const cookies =
    req.cookies !== undefined
      ? [...req.cookies]
      : cookieHeaders
          .flatMap((h) => h.split(';'))
          .map((c) => c.trim())
          .filter((c) => c !== '');

  if (req.domainName !== undefined) headers.host = req.domainName;
  const domainName = headers.host ? withoutPort(headers.host) || 'localhost' : 'localhost';
  const stage = req.stage ?? '$default';
  const body =
    req.body && req.body.length > 0
      ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)
      : undefined;
  // The body is whole here, whatever framing the client used: its length is known.
  if (body !== undefined) headers['content-length'] = String(body.length);
  if (req.port !== undefined) headers['x-forwarded-port'] = String(req.port);
  if (req.traceId !== undefined && headers['x-amzn-trace-id'] === undefined) headers['x-amzn-trace-id'] = req.traceId;
  const text = body !== undefined && isTextContentType(headers['content-type']);
  const query = queryStringParameters(req.rawQueryString);
  const path = decodeComponent(req.rawPath);

  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
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
        path,
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
