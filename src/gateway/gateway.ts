import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { OneboxConfig } from '../config/schema.js';
import { decideViewer, type ViewerDecision, type ViewerSettings } from '../core/viewer-decision.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { Exchange, sendJson } from './exchange.js';
import { serveWithHandler } from './handler-exchange.js';
import { close, listen } from './listen.js';
import type { RoutingSnapshot, ShadowRoute } from './routing-snapshot.js';
import type { Target } from './target.js';
import { originRequestHeaders, scanViewerRequest, type ViewerRequest } from './viewer-request.js';

export interface GatewayOptions {
  /** Current routing state; read once per request. */
  readonly snapshot: () => RoutingSnapshot;
  readonly metrics: FallbackCounter;
  /** Lowercased name of a trusted identity header; undefined to use the cookie only. */
  readonly identityHeader?: string | undefined;
  /** Trust X-Forwarded-For/Proto from the client. */
  readonly trustProxy: boolean;
  readonly cookieMaxAgeSeconds: number;
  /** Runs handler versions. */
  readonly handlers: HandlerPool;
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

/**
 * The local edge: routes each request to a component by path, picks the version with the
 * live alias (sticky per user), proxies with streaming, and counts per version. It never
 * throws at a client: every failure becomes a defined status and a counter.
 */
export class Gateway {
  readonly server: Server;
  private readonly viewerSettings: ViewerSettings;

  constructor(private readonly options: GatewayOptions) {
    this.viewerSettings = {
      cookieMaxAgeSeconds: options.cookieMaxAgeSeconds,
      varyFields: options.identityHeader ? ['Cookie', options.identityHeader] : ['Cookie'],
      newId: () => randomBytes(16).toString('base64url'),
      draw: options.draw ?? Math.random,
    };
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

  /** scan -> decide -> serve: the component by path, then the viewer and origin phases. */
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
    const live = component.live;
    if (!live) {
      this.options.metrics.countFallback('no-live-version');
      sendJson(res, 503, { error: 'no_live_version', component: component.component });
      return;
    }
    // Viewer request: who the viewer is, and which version serves them.
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const viewer = scanViewerRequest(req.rawHeaders, encrypted, this.options);
    const decision = decideViewer(live, viewer, this.viewerSettings);
    if (decision.reason === 'invalid-identity') this.options.metrics.countFallback('invalid-identity');
    this.originRequest(req, res, component.component, live.shadow, viewer, decision, started);
  }

  /**
   * Origin request: the chosen version serves the request, proxied to its upstream (with a
   * copy for a running shadow) or run by the handler pool. Positional, like the router, so
   * that the request path builds no object to pass its state.
   */
  private originRequest(
    req: IncomingMessage,
    res: ServerResponse,
    component: string,
    shadow: ShadowRoute | undefined,
    viewer: ViewerRequest,
    decision: ViewerDecision<Target>,
    started: number,
  ): void {
    const url = req.url ?? '/';
    const target = decision.target;
    const clientIp = req.socket.remoteAddress ?? '';
    const headers = originRequestHeaders(viewer, decision.identity, clientIp);
    if (target.kind === 'handler') {
      const params = { component, target, decision, headers, started, url, sourceIp: clientIp };
      serveWithHandler(this.options.handlers, req, res, params).catch(() => {
        this.options.metrics.countFallback('internal-error');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      });
      return;
    }
    const method = req.method ?? 'GET';
    const mirror =
      shadow && shadow.runtime.wants(method, decision.identity)
        ? shadow.runtime.begin(method, url, headers, shadow.target, shadow.stable)
        : undefined;
    const hasBody = viewer.hasBody;
    new Exchange(req, res, { mirror, component, target, decision, headers, hasBody, started, url }).start();
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return listen(this.server, port, host);
  }

  close(): Promise<void> {
    return close(this.server);
  }
}
