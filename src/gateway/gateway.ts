import { randomBytes } from 'node:crypto';
import { close, listen } from './listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { identityCookie, readBaggageIdentity, writeBaggageIdentity, IDENTITY_COOKIE } from '../core/index.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import { HOP_BY_HOP, connectionTokens } from './headers.js';
import { Exchange, sendJson } from './exchange.js';
import { isHttpTarget, type RoutingSnapshot } from './routing-snapshot.js';
import { serveWithHandler } from './handler-exchange.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import type { OneboxConfig } from '../config/schema.js';

export interface GatewayOptions {
  /** Current routing state; read once per request. */
  readonly snapshot: () => RoutingSnapshot;
  readonly metrics: FallbackCounter;
  /** Lowercased name of a trusted identity header; undefined to use the cookie only. */
  readonly identityHeader?: string | undefined;
  /** Trust X-Forwarded-For/Proto from the client. */
  readonly trustProxy: boolean;
  readonly cookieMaxAgeSeconds: number;
  /** Runs handler versions; required once one is routed. */
  readonly handlers?: HandlerPool | undefined;
  /** Random draw in [0, 1) for request-mode routing. */
  readonly draw?: () => number;
}

/** The gateway options that come from the config's `gateway` section. */
export function configuredGatewayOptions(
  gateway: OneboxConfig['gateway'],
): Pick<GatewayOptions, 'identityHeader' | 'trustProxy' | 'cookieMaxAgeSeconds'> {
  return {
    identityHeader: gateway.identityHeader,
    trustProxy: gateway.trustProxy,
    cookieMaxAgeSeconds: Math.round(gateway.cookieMaxAgeDays * 86_400),
  };
}

/** Everything the proxy needs from one pass over the client's raw headers. */
interface ScannedRequest {
  readonly headers: string[];
  readonly cookie: string | undefined;
  readonly identityHeader: string | undefined;
  readonly baggage: string | undefined;
  readonly host: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly forwardedProto: string | undefined;
  readonly hasBody: boolean;
}

function scanHeaders(raw: string[], identityHeader: string | undefined): ScannedRequest {
  const headers: string[] = [];
  let cookie: string | undefined;
  let identity: string | undefined;
  let baggage: string | undefined;
  let host: string | undefined;
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
  return { headers, cookie, identityHeader: identity, baggage, host, forwardedFor, forwardedProto, hasBody };
}

/**
 * The local edge: routes each request to a component by path, picks the version with the
 * live alias (sticky per user), proxies with streaming, and counts per version. It never
 * throws at a client: every failure becomes a defined status and a counter.
 */
export class Gateway {
  readonly server: Server;
  private readonly draw: () => number;
  private readonly varyFields: readonly string[];

  constructor(private readonly options: GatewayOptions) {
    this.draw = options.draw ?? Math.random;
    this.varyFields = options.identityHeader ? ['Cookie', options.identityHeader] : ['Cookie'];
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.options.metrics.countFallback('client-error');
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.bytesWritten)) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ error: status === 431 ? 'headers_too_large' : 'bad_request' });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      // A bug must not reach the client as a dropped connection.
      this.options.metrics.countFallback('internal-error');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy(err as Error);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47 /* / */) {
      this.options.metrics.countFallback('bad-request-target');
      sendJson(res, 400, { error: 'bad_request_target' });
      return;
    }
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const component = this.options.snapshot().routes.match(path);
    if (!component) {
      this.options.metrics.countFallback('no-route');
      sendJson(res, 404, { error: 'no_route', path: path.slice(0, 200) });
      return;
    }
    if (!component.alias) {
      this.options.metrics.countFallback('no-live-version');
      sendJson(res, 503, { error: 'no_live_version', component: component.component });
      return;
    }

    const scanned = scanHeaders(req.rawHeaders, this.options.identityHeader);
    const baggageId = readBaggageIdentity(scanned.baggage);
    const router = component.router!;
    let identity = router.route(scanned.identityHeader, scanned.cookie, baggageId, this.draw);
    if (!identity) {
      if (scanned.identityHeader !== undefined || scanned.cookie?.includes(IDENTITY_COOKIE)) {
        this.options.metrics.countFallback('invalid-identity');
      }
      const id = randomBytes(16).toString('base64url');
      identity = { id, source: 'new', choice: router.choose(id, this.draw) };
    }
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const proto =
      this.options.trustProxy && scanned.forwardedProto ? scanned.forwardedProto : encrypted ? 'https' : 'http';

    const choice = identity.choice;
    let target = component.targets.get(choice.version);
    if (!target) {
      this.options.metrics.countFallback('missing-target');
      target = component.targets.get(component.alias.version)!;
    }

    const headers = scanned.headers;
    const clientIp = req.socket.remoteAddress ?? '';
    headers.push(
      'x-forwarded-for',
      this.options.trustProxy && scanned.forwardedFor ? `${scanned.forwardedFor}, ${clientIp}` : clientIp,
      'x-forwarded-proto',
      proto,
      'baggage',
      writeBaggageIdentity(scanned.baggage, identity.id),
    );
    if (scanned.host !== undefined) headers.push('x-forwarded-host', scanned.host);

    // Only a user we have never seen gets a cookie; a baggage-carrying hop already has one.
    const setCookie =
      identity.source === 'new'
        ? identityCookie(identity.id, { maxAgeSeconds: this.options.cookieMaxAgeSeconds, secure: proto === 'https' })
        : undefined;

    const split = component.alias.additional !== undefined && component.alias.additional.weightBp > 0;
    const vary = split ? this.varyFields : undefined;
    if (!isHttpTarget(target)) {
      const pool = this.options.handlers;
      if (!pool) throw new Error('a handler version is routed but no handler pool is configured');
      const params = {
        component: component.component,
        target,
        headers,
        userId: identity.id,
        setCookie,
        vary,
        started,
        url,
        sourceIp: clientIp,
      };
      serveWithHandler(pool, req, res, params).catch(() => {
        this.options.metrics.countFallback('internal-error');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      });
      return;
    }
    const shadow = component.shadow;
    const method = req.method ?? 'GET';
    const mirror =
      shadow && shadow.runtime.wants(method, identity.id)
        ? shadow.runtime.begin(method, url, headers, shadow.target, shadow.live)
        : undefined;
    new Exchange(req, res, {
      mirror,
      component: component.component,
      target,
      headers,
      hasBody: scanned.hasBody,
      userId: identity.id,
      setCookie,
      vary,
      started,
      url,
    }).start();
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return listen(this.server, port, host);
  }

  close(): Promise<void> {
    return close(this.server);
  }
}
