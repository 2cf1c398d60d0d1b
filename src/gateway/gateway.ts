import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { OneboxConfig } from '../config/schema.js';
import { isReservedPath } from '../core/index.js';
import { decideViewer, type ViewerDecision, type ViewerSettings } from '../core/viewer-decision.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { reserved } from './discovery.js';
import { BrowserSignals } from './beacon.js';
import { Exchange, sendJson } from './exchange.js';
import { serveWithHandler } from './handler-exchange.js';
import { placePinned } from './page-pin.js';
import { close, listen } from './listen.js';
import { writeRawJson } from './raw-answer.js';
import { absoluteForm, MAX_REQUEST_HEADERS, MAX_URL_BYTES } from './request-target.js';
import type { LiveRoute, RoutingSnapshot } from './routing-snapshot.js';
import type { Target } from './target.js';
import { TESTER_HEADER } from './tester-token.js';
import { Tunnels } from './upgrade.js';
import { clientAddressOf, originRequestHeaders, scanViewerRequest, type ViewerRequest } from './viewer-request.js';

export interface GatewayOptions {
  /** Current routing state; read once per request. */
  readonly snapshot: () => RoutingSnapshot;
  readonly metrics: FallbackCounter;
  /** Lowercased name of a trusted identity header; undefined to use the cookie only. */
  readonly identityHeader?: string | undefined;
  /** Trust X-Forwarded-For/Proto/Port from the client. */
  readonly trustProxy: boolean;
  readonly cookieMaxAgeSeconds: number;
  /** Send the client's Host (or publicHost) to URL versions. Default false: the upstream's host. */
  readonly preserveHost?: boolean;
  /** The public host name handler events carry (and URL versions get with preserveHost). Default: the client's Host. */
  readonly publicHost?: string | undefined;
  /** An upgraded connection silent both ways this long is closed, ms. Default 600000. */
  readonly upgradeIdleTimeoutMs?: number;
  /** Longest wait for an upstream's answer to an upgrade request, ms. Default 30000. */
  readonly upgradeAnswerTimeoutMs?: number;
  /** Runs handler versions. */
  readonly handlers: HandlerPool;
  /** Random draw in [0, 1) for request-mode routing. */
  readonly draw?: () => number;
  /** Secret that signs tester tokens (see tester-token.ts). Default: none, tester tokens are refused. */
  readonly testerSecret?: string | undefined;
  /** Wall clock for tester tokens' expiry, ms. Default Date.now. */
  readonly now?: () => number;
  /** Browser signals (script, page tags, beacons), when a component has them on; they take /.onebox/browser.js and /.onebox/beacon. */
  readonly browser?: BrowserSignals | undefined;
}

/** The gateway options that come from the config's `gateway` section. */
export function configuredGatewayOptions(
  gateway: OneboxConfig['gateway'],
): Pick<
  GatewayOptions,
  | 'identityHeader'
  | 'trustProxy'
  | 'cookieMaxAgeSeconds'
  | 'preserveHost'
  | 'publicHost'
  | 'upgradeIdleTimeoutMs'
  | 'upgradeAnswerTimeoutMs'
  | 'testerSecret'
> {
  return {
    identityHeader: gateway.identityHeader,
    trustProxy: gateway.trustProxy,
    cookieMaxAgeSeconds: Math.round(gateway.cookieMaxAgeDays * 86_400),
    preserveHost: gateway.preserveHost,
    publicHost: gateway.publicHost,
    upgradeIdleTimeoutMs: gateway.upgradeIdleTimeoutMs,
    upgradeAnswerTimeoutMs: gateway.connectTimeoutMs + gateway.headersTimeoutMs,
    testerSecret: gateway.testerSecret,
  };
}

/** A request placed: its component's live route, the viewer and the decision, or a refusal sent. */
export interface Placed {
  readonly component: string;
  readonly live: LiveRoute;
  readonly viewer: ViewerRequest;
  readonly decision: ViewerDecision<Target>;
  /** The target in origin-form (an absolute-form target's path and query). */
  readonly url: string;
  /** Skew protection: the request carried its page's pin (it stays with the page's version). */
  readonly pinned?: boolean;
}

/** Where a refusal goes: a response node still handles, or a connection it handed over. */
type Refused = ServerResponse | Duplex;

/**
 * The local edge: routes each request to a component by path, picks the version with the
 * live alias (sticky per user), proxies with streaming (WebSocket upgrades included), and
 * counts per version. It never throws at a client: every failure becomes a defined status
 * and a counter.
 */
export class Gateway {
  readonly server: Server;
  private readonly viewerSettings: ViewerSettings;
  private readonly tunnels: Tunnels;

  constructor(private readonly options: GatewayOptions) {
    this.viewerSettings = {
      cookieMaxAgeSeconds: options.cookieMaxAgeSeconds,
      varyFields: options.identityHeader ? ['Cookie', options.identityHeader] : ['Cookie'],
      newId: () => randomBytes(16).toString('base64url'),
      draw: options.draw ?? Math.random,
    };
    this.tunnels = new Tunnels({
      idleTimeoutMs: options.upgradeIdleTimeoutMs ?? 600_000,
      answerTimeoutMs: options.upgradeAnswerTimeoutMs ?? 30_000,
    });
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res));
    // Node's own cap drops headers past it silently; the gateway counts them and answers 431.
    this.server.maxHeadersCount = 0;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      // A reverse proxy tunnels nothing on a client's behalf: said, not dropped.
      this.options.metrics.countFallback('connect');
      writeRawJson(socket, 501, { error: 'connect_not_supported' });
    });
  }

  /** The routing changed: tunnels to versions the live alias no longer routes are closed. */
  routingChanged(): void {
    this.tunnels.closeUnrouted(this.options.snapshot());
  }

  private onClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
    this.options.metrics.countFallback('client-error');
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.bytesWritten)) {
      socket.destroy();
      return;
    }
    let status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      // Over the header limit with a request line longer than the URL limit: it is the URL.
      const packet = err.rawPacket;
      const lineEnd = packet?.indexOf('\r\n') ?? -1;
      const requestLine = packet !== undefined && /^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1'));
      status = requestLine && (lineEnd === -1 || lineEnd > MAX_URL_BYTES) ? 414 : 431;
    }
    const error = status === 431 ? 'headers_too_large' : status === 414 ? 'uri_too_long' : 'bad_request';
    writeRawJson(socket, status, { error });
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

  private refuse(to: Refused, reason: string, status: number, body: Record<string, unknown>): undefined {
    this.options.metrics.countFallback(reason);
    if ('writeHead' in to) sendJson(to as ServerResponse, status, body);
    else writeRawJson(to, status, body);
    return undefined;
  }

  /**
   * Scan and decide, for a request or an upgrade: the target (RFC 9112 3.2: origin- or
   * absolute-form, bounded), the Host (one, valid), the component by path, then the viewer
   * phase. Undefined when the request was refused.
   */
  private place(req: IncomingMessage, to: Refused): Placed | undefined {
    let url = req.url ?? '/';
    if (url.length > MAX_URL_BYTES)
      return this.refuse(to, 'uri-too-long', 414, { error: 'uri_too_long', limit: MAX_URL_BYTES });
    let authority: string | undefined;
    if (url.charCodeAt(0) !== 47 /* / */) {
      const absolute = absoluteForm(url);
      if (!absolute) return this.refuse(to, 'bad-request-target', 400, { error: 'bad_request_target' });
      url = absolute.originForm;
      authority = absolute.authority;
    }
    if (req.rawHeaders.length > MAX_REQUEST_HEADERS * 2)
      return this.refuse(to, 'too-many-headers', 431, { error: 'too_many_headers', limit: MAX_REQUEST_HEADERS });
    // Viewer request: who the viewer is.
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const viewer = scanViewerRequest(req.rawHeaders, encrypted, this.options, authority);
    if (viewer.badHost) return this.refuse(to, 'bad-host', 400, { error: 'bad_host' });
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // The gateway's own paths: answered here, never proxied to a version, whatever the routes say.
    if (isReservedPath(path)) return this.placeReserved(req, to, viewer, path, q === -1 ? '' : url.slice(q));
    const component = this.options.snapshot().routes.match(path);
    if (!component) return this.refuse(to, 'no-route', 404, { error: 'no_route', path: path.slice(0, 200) });
    const live = component.live;
    if (!live)
      return this.refuse(to, 'no-live-version', 503, { error: 'no_live_version', component: component.component });
    // ... and which version serves them.
    const decision = decideViewer(live, viewer, this.viewerSettings);
    if (decision.reason === 'invalid-identity') this.options.metrics.countFallback('invalid-identity');
    return { component: component.component, live, viewer, decision, url };
  }

  /** The gateway's own paths: browser signals (beacon.ts), assignment and entrypoints (discovery.ts), else a 404. */
  private placeReserved(req: IncomingMessage, to: Refused, viewer: ViewerRequest, path: string, query: string) {
    const { snapshot, testerSecret, now, browser } = this.options;
    if (browser && BrowserSignals.owns(path)) {
      if (!('writeHead' in to)) return this.refuse(to, 'no-route', 404, { error: 'no_route', path });
      const client = clientAddressOf(viewer, req.socket.remoteAddress ?? '');
      return browser.serve(req, to as ServerResponse, path, snapshot(), client);
    }
    const tester = { token: req.headers[TESTER_HEADER], secret: testerSecret, now: now ?? Date.now };
    const ctx = { snapshot: snapshot(), viewer, settings: this.viewerSettings, method: req.method ?? 'GET', tester };
    const r = reserved(ctx, path, query);
    if (r.kind === 'refuse') return this.refuse(to, r.reason, r.status, r.body);
    if (r.kind === 'answer') {
      if ('writeHead' in to) sendJson(to as ServerResponse, r.status, { ...r.body }, r.headers);
      else this.refuse(to, 'no-route', 404, { error: 'no_route', path });
      return undefined;
    }
    if (r.invalidIdentity) this.options.metrics.countFallback('invalid-identity');
    return { component: r.component, live: r.live, viewer, decision: r.decision, url: r.url };
  }

  /** scan -> decide -> serve: the component by path, then the viewer and origin phases. */
  private route(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const browser = this.options.browser;
    const placed = this.place(req, res);
    if (!placed) return;
    const served = browser?.sends(placed.component)
      ? placePinned(req, res, placed, browser, this.options.metrics)
      : placed;
    if (served) this.originRequest(req, res, served, started);
  }

  /** The origin request's headers, with the Host an upstream gets when preserveHost is on. */
  private originHeaders(req: IncomingMessage, placed: Placed, hostFor: 'http' | 'handler'): string[] {
    const { viewer, decision } = placed;
    const headers = originRequestHeaders(viewer, decision.identity, req.socket.remoteAddress ?? '', hostFor === 'http');
    const host = this.options.publicHost ?? viewer.host;
    if (hostFor === 'http' && this.options.preserveHost && host !== undefined) headers.push('host', host);
    return headers;
  }

  /**
   * Origin request: the chosen version serves the request, proxied to its upstream or run by
   * the handler pool, with a copy for a running shadow.
   */
  private originRequest(
    req: IncomingMessage,
    res: ServerResponse,
    placed: Placed,
    started: number,
    tried: readonly Target[] = [],
  ): void {
    const { decision, url, viewer } = placed;
    const target = decision.target;
    const method = req.method ?? 'GET';
    const sourceIp = req.socket.remoteAddress ?? '';
    const host = this.options.publicHost ?? viewer.host;
    const port = this.options.trustProxy && viewer.forwardedPort !== undefined ? undefined : req.socket.localPort;
    const headers = this.originHeaders(req, placed, target.kind);
    const shadow = placed.live.shadow;
    const mirror =
      shadow && shadow.runtime.wants(method, decision.identity)
        ? shadow.runtime.begin({ method, url, headers, sourceIp, host, port }, shadow.target, target)
        : undefined;
    const pageTag = this.pageTagOf(req, placed);
    const notFound = this.notFoundOf(req, res, placed, started, tried);
    if (target.kind === 'handler') {
      void serveWithHandler(this.options.handlers, req, res, {
        target,
        decision,
        headers,
        started,
        url,
        sourceIp,
        host,
        port,
        mirror,
        pageTag,
        notFound,
      });
      return;
    }
    const hasBody = viewer.hasBody;
    const component = placed.component;
    const p = { mirror, component, target, decision, headers, hasBody, started, url, pageTag, notFound };
    new Exchange(req, res, p).start();
  }

  /**
   * Skew protection for what a page loads without its script (its hashed assets, a lazy
   * chunk): a file the user's version does not have (404) is asked of the other retained
   * versions, newest first, since a hashed name is unique to the release that built it. Only
   * for bodiless requests of a component with browser signals that are neither navigations
   * (a page the new version removed must stay gone) nor pinned (the page's version decided).
   */
  private notFoundOf(
    req: IncomingMessage,
    res: ServerResponse,
    placed: Placed,
    started: number,
    tried: readonly Target[],
  ): (() => void) | undefined {
    if (placed.pinned || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined;
    if (!this.options.browser?.sends(placed.component) || req.headers['sec-fetch-mode'] === 'navigate')
      return undefined;
    if (/^\s*text\/html/i.test(req.headers.accept ?? '')) return undefined;
    const current = placed.decision.target;
    const next = [...placed.live.retained.values()]
      .filter((t) => t !== current && !tried.includes(t))
      .sort((a, b) => b.version - a.version)[0];
    if (!next) return undefined;
    return () =>
      this.originRequest(req, res, { ...placed, decision: { ...placed.decision, target: next } }, started, [
        ...tried,
        current,
      ]);
  }

  /** For a GET of a component with browser signals: the tag its answer gets if it is a page (minted only then). */
  private pageTagOf(req: IncomingMessage, placed: Placed): (() => string) | undefined {
    const browser = this.options.browser;
    const identity = placed.decision.identity;
    if (!browser || req.method !== 'GET' || identity === undefined || !browser.sends(placed.component))
      return undefined;
    const q = placed.url.indexOf('?');
    const path = q === -1 ? placed.url : placed.url.slice(0, q);
    return () => browser.tag(placed.component, placed.decision.target.version, identity, path);
  }

  /** An HTTP Upgrade: placed like any request, then tunnelled to a URL version (see Tunnels). */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const started = performance.now();
      socket.on('error', () => undefined);
      const placed = this.place(req, socket);
      if (!placed) return;
      const target = placed.decision.target;
      if (target.kind === 'handler') {
        this.tunnels.refuse(req, socket, target, placed.decision, placed.url, started);
        return;
      }
      const headers = this.originHeaders(req, placed, 'http');
      const hostInHeaders =
        this.options.preserveHost === true && (this.options.publicHost ?? placed.viewer.host) !== undefined;
      this.tunnels.open(req, socket, {
        target,
        decision: placed.decision,
        headers,
        url: placed.url,
        started,
        head,
        hostInHeaders,
      });
    } catch {
      this.options.metrics.countFallback('internal-error');
      writeRawJson(socket, 500, { error: 'internal_error' });
    }
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return listen(this.server, port, host);
  }

  close(): Promise<void> {
    this.tunnels.closeAll();
    return close(this.server);
  }
}
