import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { mergeVary, privateCacheControl } from '../core/index.js';
import type { Outcome } from '../metrics/version-metrics.js';
import { connectionTokens, HOP_BY_HOP } from './headers.js';
import type { HttpTarget } from './routing-snapshot.js';
import type { Mirror } from '../shadow/mirror.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface ExchangeParams {
  /** A copy of this request for the shadow, fed as the exchange goes; never waited for. */
  readonly mirror?: Mirror | undefined;
  readonly component: string;
  readonly target: HttpTarget;
  /** Upstream request headers, flat [name, value, ...]. */
  readonly headers: string[];
  readonly hasBody: boolean;
  readonly userId: string;
  /** Set-Cookie for a new user, or undefined. */
  readonly setCookie: string | undefined;
  /** Vary fields to add while the component is split, or undefined. */
  readonly vary: readonly string[] | undefined;
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly url: string;
}

/**
 * What the gateway adds to every answer: the debug header, Vary while split, and for a
 * new user the identity cookie with a private Cache-Control. `vary` and `cacheControl`
 * are the indices of those headers' names in `out` (-1 when absent).
 */
export function addGatewayHeaders(
  out: string[],
  p: {
    readonly target: { readonly debugHeader: string };
    readonly vary: readonly string[] | undefined;
    readonly setCookie: string | undefined;
  },
  vary: number,
  cacheControl: number,
): void {
  out.push('x-onebox-version', p.target.debugHeader);
  if (p.vary) {
    if (vary === -1) out.push('vary', p.vary.join(', '));
    else out[vary + 1] = mergeVary(out[vary + 1], p.vary);
  }
  if (p.setCookie) {
    out.push('set-cookie', p.setCookie);
    if (cacheControl === -1) out.push('cache-control', privateCacheControl(undefined));
    else out[cacheControl + 1] = privateCacheControl(out[cacheControl + 1]);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  extra?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

/**
 * One proxied request, as an undici dispatch handler. It uses undici's raw-header
 * callbacks: response headers arrive as the bytes on the wire and go out as a flat
 * list, with no header object built in between (the largest cost of a Node proxy after
 * the syscalls).
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private status = 0;
  private done = false;
  private abortUpstream: ((err: Error) => void) | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly p: ExchangeParams,
  ) {}

  start(): void {
    const { p, req } = this;
    this.res.on('close', () => {
      if (this.res.writableFinished) return;
      this.p.mirror?.primaryError();
      if (this.abortUpstream) this.abortUpstream(new Error('client closed'));
    });
    p.target.dispatcher.dispatch(
      {
        origin: p.target.origin,
        path: p.target.basePath + p.url,
        method: req.method as Dispatcher.HttpMethod,
        headers: p.headers,
        body: p.hasBody ? (p.mirror ? req.pipe(p.mirror.tee()) : req) : null,
      },
      this,
    );
    if (p.mirror && !p.hasBody) p.mirror.send();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    this.status = statusCode;
    const { p } = this;
    const out: string[] = [];
    let connection: string | undefined;
    let vary = -1;
    let cacheControl = -1;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      const lower = name.toLowerCase();
      const value = raw[i + 1]!.toString('latin1');
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connection = value;
        continue;
      }
      if (lower === 'vary') vary = out.length;
      else if (lower === 'cache-control') cacheControl = out.length;
      out.push(name, value);
    }
    addGatewayHeaders(out, p, vary, cacheControl);
    const extraHop = connectionTokens(connection);
    if (extraHop) {
      for (let i = out.length - 2; i >= 0; i -= 2) if (extraHop.has(out[i]!.toLowerCase())) out.splice(i, 2);
    }
    this.res.writeHead(statusCode, out);
    p.mirror?.primaryStart(statusCode, out);
    this.resumeUpstream = resume;
    return true;
  }

  private resumeUpstream: (() => void) | undefined;
  private readonly onDrain = (): void => this.resumeUpstream?.();

  onData(chunk: Buffer): boolean {
    this.p.mirror?.primaryChunk(chunk);
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.finish('response');
    this.p.mirror?.primaryEnd((performance.now() - this.p.started) * 1000);
  }

  onError(err: Error): void {
    const { res, req, p } = this;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const timeout = TIMEOUT_CODES.has(code);
    p.mirror?.primaryError();
    if (res.destroyed || req.destroyed) {
      this.finish('response');
      return;
    }
    if (!res.headersSent) {
      this.status = timeout ? 504 : 502;
      sendJson(
        res,
        this.status,
        {
          error: timeout ? 'upstream_timeout' : 'upstream_unavailable',
          component: p.component,
          version: p.target.version,
        },
        { 'x-onebox-version': p.target.debugHeader },
      );
    } else {
      // Mid-body failure: the client must see a truncated response, not a complete one.
      this.status = 502;
      res.destroy(err);
    }
    this.finish(timeout ? 'upstream-timeout' : 'upstream-error');
  }

  private finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    this.p.target.metrics.record(this.status, (performance.now() - this.p.started) * 1000, outcome, this.p.userId);
  }
}
