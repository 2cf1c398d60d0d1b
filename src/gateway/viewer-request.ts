import { readBaggageIdentity, writeBaggageIdentity } from '../core/index.js';
import type { ViewerInputs } from '../core/viewer-decision.js';
import { connectionTokens, HOP_BY_HOP } from './headers.js';
import { isValidHost } from './request-target.js';

/**
 * The viewer request, as the edge functions name it: what the gateway reads of a client's
 * request, in one pass over its raw headers, before deciding (core's decideViewer) and
 * serving it. It is the decision's input itself, so that the request path builds no
 * object for it.
 */
export interface ViewerRequest extends ViewerInputs {
  /** The headers to forward (flat [name, value, ...]): hop-by-hop and gateway-set ones left out. */
  readonly headers: string[];
  /** The raw baggage header (several joined with commas). */
  readonly baggageHeader: string | undefined;
  /** The request's host: an absolute-form target's authority, else its Host header. */
  readonly host: string | undefined;
  /** More than one Host header, or one whose value is not a host (RFC 9112 3.2: answer 400). */
  readonly badHost: boolean;
  /** The X-Forwarded-Port the client sent (forwarded as it is; trusted only with trustProxy). */
  readonly forwardedPort: string | undefined;
  readonly forwardedFor: string | undefined;
  /** `http` or `https`: a trusted X-Forwarded-Proto, else the connection's. */
  readonly proto: string;
  readonly hasBody: boolean;
}

export interface ViewerOptions {
  /** Lowercased name of a trusted identity header; undefined to use the cookie only. */
  readonly identityHeader?: string | undefined;
  /** Trust X-Forwarded-For/Proto from the client. */
  readonly trustProxy: boolean;
}

/**
 * Reads a request's raw headers (node's rawHeaders) once; `encrypted` says whether its
 * connection is TLS; `authority` is an absolute-form target's, which overrides Host.
 */
export function scanViewerRequest(
  raw: string[],
  encrypted: boolean,
  options: ViewerOptions,
  authority?: string,
): ViewerRequest {
  const identityHeader = options.identityHeader;
  const headers: string[] = [];
  let cookie: string | undefined;
  let identity: string | undefined;
  let baggage: string | undefined;
  let host: string | undefined;
  let hosts = 0;
  let forwardedPort: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let connection: string | undefined;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    switch (name) {
      case 'host':
        host = value;
        hosts++;
        continue;
      case 'baggage':
        baggage = baggage === undefined ? value : `${baggage},${value}`;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        forwardedProto = value;
        continue;
      case 'x-forwarded-port':
        forwardedPort = value;
        break;
      case 'x-forwarded-host':
      case 'expect': // node answers 100-continue itself; undici refuses to forward it
        continue;
      case 'connection':
        connection = value;
        continue;
      case 'transfer-encoding':
        hasBody = true;
        continue;
      case 'content-length':
        if (value !== '0') hasBody = true;
        break;
      case 'cookie':
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        break;
    }
    if (name === identityHeader) identity = value;
    if (HOP_BY_HOP.has(name)) continue;
    headers.push(name, value);
  }
  const extraHop = connectionTokens(connection);
  if (extraHop) {
    for (let i = headers.length - 2; i >= 0; i -= 2) if (extraHop.has(headers[i]!)) headers.splice(i, 2);
  }
  const proto = options.trustProxy && forwardedProto ? forwardedProto : encrypted ? 'https' : 'http';
  return {
    header: identity,
    cookie,
    baggage: readBaggageIdentity(baggage),
    https: proto === 'https',
    headers,
    baggageHeader: baggage,
    host: authority ?? host,
    badHost: hosts > 1 || (host !== undefined && !isValidHost(host)),
    forwardedPort,
    forwardedFor: options.trustProxy ? forwardedFor : undefined,
    proto,
    hasBody,
  };
}

/**
 * The client's address for per-client limits: the socket's, or with trustProxy the last
 * X-Forwarded-For entry, the one the trusted proxy added (entries before it are the
 * client's own say). Never X-Forwarded-For without trustProxy (`forwardedFor` is then unset).
 */
export function clientAddressOf(viewer: ViewerRequest, socketAddress: string): string {
  const forwarded = viewer.forwardedFor;
  if (!forwarded) return socketAddress;
  const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
  return last || socketAddress;
}

/**
 * The origin request's headers: the viewer's, plus what the gateway tells the origin
 * (X-Forwarded-For/Proto/Host, and the viewer's identity in baggage so that every later
 * hop reaches the same decision). Added to `viewer.headers` in place.
 */
export function originRequestHeaders(
  viewer: ViewerRequest,
  identity: string,
  clientIp: string,
  /** Add X-Forwarded-Host (an upstream's; API Gateway sends a handler none: its `host` is the public one). */
  forwardHost = true,
): string[] {
  const headers = viewer.headers;
  headers.push(
    'x-forwarded-for',
    viewer.forwardedFor ? `${viewer.forwardedFor}, ${clientIp}` : clientIp,
    'x-forwarded-proto',
    viewer.proto,
    'baggage',
    writeBaggageIdentity(viewer.baggageHeader, identity),
  );
  if (forwardHost && viewer.host !== undefined) headers.push('x-forwarded-host', viewer.host);
  return headers;
}
