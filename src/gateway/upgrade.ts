import { randomUUID } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ViewerDecision } from '../core/viewer-decision.js';
import type { Outcome } from '../metrics/version-metrics.js';
import { logAnswer } from './answer-log.js';
import { HOP_BY_HOP } from './headers.js';
import { writeRawJson } from './raw-answer.js';
import type { RoutingSnapshot } from './routing-snapshot.js';
import type { HandlerTarget, HttpTarget, Target } from './target.js';

/**
 * HTTP/1.1 Upgrade (WebSocket and any other protocol) through the gateway. A URL version
 * gets the upgrade request with the user's identity and forwarded headers, as any request;
 * its 101 opens a tunnel of bytes both ways, any other answer goes back to the client as
 * it is. Each upgrade is the version's: counted (an upgrade or a failure, and the handshake's
 * answer) and, when the gateway answers for it, logged.
 *
 * Tunnels to a version that the live alias no longer routes (rolled back, promoted away
 * from, retired) are closed when the routing changes, both connections ended: the client
 * sees its socket close (WebSocket code 1006) and reconnects through the gateway, which
 * routes it by the alias as it now is. Draining instead would let a version that was just
 * rolled back go on serving its sockets for hours, uncounted by any deployment.
 */

export interface TunnelParams {
  readonly target: HttpTarget;
  readonly decision: ViewerDecision<Target>;
  /** Origin request headers (flat); the Connection and Upgrade of the client are added here. */
  readonly headers: string[];
  /** The request target in origin-form. */
  readonly url: string;
  readonly started: number;
  /** Bytes the client sent after its request head. */
  readonly head: Buffer;
  /** `headers` carries the Host to send (preserveHost); else the upstream's own host:port. */
  readonly hostInHeaders: boolean;
}

export interface TunnelOptions {
  /** Longest silence both ways on an open tunnel before it is closed, ms. */
  readonly idleTimeoutMs: number;
  /** Longest wait for the upstream's answer to the upgrade request, ms. */
  readonly answerTimeoutMs: number;
}

interface Tunnel {
  readonly client: Duplex;
  upstream: Duplex | undefined;
}

/** Ends a connection once what was written to it is out, then lets it go. */
const close = (socket: Duplex): void => {
  if (socket.destroyed) return;
  socket.end(() => socket.destroy());
};

/** The gateway's upgraded connections, by version, and the way they open and close. */
export class Tunnels {
  private readonly byTarget = new Map<HttpTarget, Set<Tunnel>>();

  constructor(private readonly options: TunnelOptions) {}

  /** A handler version cannot upgrade (an HTTP API does not either): 501, counted and logged. */
  refuse(
    req: IncomingMessage,
    socket: Duplex,
    target: HandlerTarget,
    decision: ViewerDecision<Target>,
    url: string,
    started: number,
  ): void {
    const body = {
      error: 'upgrade_not_supported',
      component: target.component,
      version: target.version,
      reason:
        'handler versions run as API Gateway HTTP API integrations, which do not upgrade connections; serve WebSockets from a URL version',
    };
    writeRawJson(socket, 501, body, ['x-onebox-version', target.debugHeader]);
    this.count(target, decision, started, 501, 'response', false);
    logAnswer(target, {
      requestId: randomUUID(),
      method: req.method ?? 'GET',
      url,
      status: 501,
      kind: 'upgrade-refused',
      message: `Upgrade: ${String(req.headers.upgrade)} asked of a handler version`,
    });
  }

  /** Sends the upgrade request to the version's upstream and relays what comes back. */
  open(req: IncomingMessage, client: Duplex, p: TunnelParams): void {
    const url = new URL(p.target.origin);
    const headers = [...p.headers, 'connection', 'upgrade', 'upgrade', String(req.headers.upgrade)];
    const upstream: ClientRequest = (url.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      method: req.method,
      path: p.target.basePath + p.url,
      headers,
      setHost: !p.hostInHeaders,
      agent: false,
    });
    const tunnel: Tunnel = { client, upstream: undefined };
    let settled = false;
    const fail = (status: number, outcome: Outcome, message: string): void => {
      if (settled) return;
      settled = true;
      upstream.destroy();
      writeRawJson(
        client,
        status,
        {
          error: status === 504 ? 'upstream_timeout' : 'upstream_unavailable',
          component: p.target.component,
          version: p.target.version,
        },
        ['x-onebox-version', p.target.debugHeader],
      );
      this.count(p.target, p.decision, p.started, status, outcome, false);
      logAnswer(p.target, {
        requestId: randomUUID(),
        method: req.method ?? 'GET',
        url: p.url,
        status,
        kind: 'upgrade-failed',
        message,
      });
    };
    upstream.setTimeout(this.options.answerTimeoutMs, () =>
      fail(504, 'upstream-timeout', `no answer to the upgrade within ${this.options.answerTimeoutMs} ms`),
    );
    upstream.on('error', (err) => fail(502, 'upstream-error', err.message));
    client.on('error', () => undefined);
    client.once('close', () => {
      if (!settled) {
        settled = true; // the client left before any answer: nothing to send, nothing served
        upstream.destroy();
      }
    });
    upstream.on('upgrade', (res, socket, upstreamHead) => {
      if (settled) return void socket.destroy();
      settled = true;
      socket.setTimeout(0); // the answer's timeout; the tunnel has its idle timeout
      tunnel.upstream = socket;
      client.write(this.head(res, p, 'Switching Protocols'));
      if (upstreamHead.length) client.write(upstreamHead);
      if (p.head.length) socket.write(p.head);
      this.connect(tunnel, p.target);
      this.count(p.target, p.decision, p.started, 101, 'response', true);
    });
    upstream.on('response', (res) => {
      if (settled) return void res.destroy();
      settled = true;
      // The upstream answered without switching: its answer goes back, then the connection ends.
      client.write(this.head(res, p, res.statusMessage ?? '', true));
      res.pipe(client);
      this.count(p.target, p.decision, p.started, res.statusCode ?? 502, 'response', false);
    });
    upstream.end();
  }

  /** Closes the tunnels to versions `snapshot` no longer routes; how many were closed. */
  closeUnrouted(snapshot: RoutingSnapshot): number {
    let closed = 0;
    for (const [target, set] of this.byTarget) {
      if (snapshot.components.get(target.component)?.live?.targets.has(target.version)) continue;
      this.byTarget.delete(target);
      for (const t of set) {
        close(t.client);
        if (t.upstream) close(t.upstream);
      }
      closed += set.size;
      logAnswer(target, {
        requestId: '-',
        method: '-',
        url: '-',
        status: 101,
        kind: 'upgrade-closed',
        message: `${set.size} upgraded connection(s) closed: the version is no longer routed by the live alias`,
      });
    }
    return closed;
  }

  /** Ends every tunnel (the gateway is closing). */
  closeAll(): void {
    for (const set of this.byTarget.values()) {
      for (const t of set) {
        t.client.destroy();
        t.upstream?.destroy();
      }
    }
    this.byTarget.clear();
  }

  private connect(tunnel: Tunnel, target: HttpTarget): void {
    const { client } = tunnel;
    const upstream = tunnel.upstream!;
    let set = this.byTarget.get(target);
    if (!set) this.byTarget.set(target, (set = new Set()));
    set.add(tunnel);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      const open = this.byTarget.get(target);
      open?.delete(tunnel);
      if (open?.size === 0) this.byTarget.delete(target);
    };
    // Silent both ways: no read or write on the client's connection carries every direction.
    (client as Socket).setTimeout(this.options.idleTimeoutMs, end);
    upstream.on('error', end).on('close', end);
    client.on('close', end);
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** The head of the upstream's answer as the client gets it, with the gateway's headers. */
  private head(res: IncomingMessage, p: TunnelParams, reason: string, closing = false): string {
    let head = `HTTP/1.1 ${res.statusCode} ${reason}\r\n`;
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      // A 101's Connection and Upgrade are the switch itself; on any other answer they go.
      if (closing && HOP_BY_HOP.has(raw[i]!.toLowerCase())) continue;
      head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    }
    head += `x-onebox-version: ${p.target.debugHeader}\r\n`;
    if (p.decision.setCookie) head += `set-cookie: ${p.decision.setCookie}\r\n`;
    if (closing) head += 'connection: close\r\n';
    return `${head}\r\n`;
  }

  private count(
    target: Target,
    decision: ViewerDecision<Target>,
    started: number,
    status: number,
    outcome: Outcome,
    switched: boolean,
  ): void {
    target.metrics.record(status, (performance.now() - started) * 1000, outcome, decision.identity);
    target.metrics.countUpgrade(switched);
  }
}
