import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { mergeVary, privateCacheControl } from '../core/index.js';
import type { Outcome } from '../metrics/version-metrics.js';
import { logAnswer } from './answer-log.js';
import { connectionTokens, HOP_BY_HOP } from './headers.js';
import { HtmlInjector, takeAsPage } from './html-inject.js';
import type { ViewerDecision } from '../core/viewer-decision.js';
import type { Mirror } from './shadow-mirror.js';
import type { HttpTarget, Target } from './target.js';

/**
 * Bodies up to this size that arrive in one piece go out in one write with the head (see
 * `onData`); 8 KiB keeps head and body within node's 16 KiB stack buffer for string writes.
 */
const WHOLE_BODY_MAX = 8 * 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface ExchangeParams {
  /** A copy of this request for the shadow, fed as the exchange goes; never waited for. */
  readonly mirror?: Mirror | undefined;
  readonly component: string;
  readonly target: HttpTarget;
  /** The viewer phase's decision: the identity (counted per user), Set-Cookie and Vary for the answer. */
  readonly decision: ViewerDecision<Target>;
  /** Upstream request headers, flat [name, value, ...]. */
  readonly headers: string[];
  readonly hasBody: boolean;
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly url: string;
  /** For a component with browser signals: the script tag for this page, if the answer is a page. */
  readonly pageTag?: (() => string) | undefined;
  /**
   * Skew protection: on a 404, this is called instead of sending it (another retained
   * version may have the file: hashed asset names are unique per release). Bodiless requests only.
   */
  readonly notFound?: (() => void) | undefined;
}

/**
 * What the gateway adds to every answer: the debug header, Vary while split, and for a
 * new user the identity cookie with a private Cache-Control. `vary` and `cacheControl`
 * are the indices of those headers' names in `out` (-1 when absent).
 */
export function addGatewayHeaders(
  out: string[],
  decision: ViewerDecision<Target>,
  vary: number,
  cacheControl: number,
): void {
  out.push('x-onebox-version', decision.target.debugHeader);
  if (decision.vary) {
    if (vary === -1) out.push('vary', decision.vary.join(', '));
    else out[vary + 1] = mergeVary(out[vary + 1], decision.vary);
  }
  if (decision.setCookie) {
    out.push('set-cookie', decision.setCookie);
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
 * An informational answer of the upstream, forwarded ahead of the final one (RFC 9110
 * 15.2: a proxy forwards 1xx): 103 Early Hints with its Link headers, 102 Processing. Any
 * other 1xx (none is in use; 100 and 101 never reach here) and a 103 without Link, which
 * hints nothing, are dropped. Node writes them in order before the final answer.
 */
function forwardInformational(res: ServerResponse, status: number, raw: Buffer[]): void {
  if (res.headersSent) return;
  if (status === 102) {
    res.writeProcessing();
    return;
  }
  if (status !== 103) return;
  const hints: Record<string, string | string[]> = {};
  const links: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    const value = raw[i + 1]!.toString('latin1');
    // Node takes one link per entry: a field may list several (`<a>; rel=preload, <b>; ...`).
    if (name === 'link') links.push(...value.split(/,\s*(?=<)/));
    else hints[name] = value;
  }
  if (links.length === 0) return;
  hints.link = links;
  try {
    res.writeEarlyHints(hints);
  } catch {
    // A Link node will not send (its own check): the hint is lost, the answer is not.
  }
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
  /** The upstream's Content-Length, -1 when it sent none (chunked or until close). */
  private contentLength = -1;
  /** Some of the body went out with res.write: the rest must follow the same way. */
  private streaming = false;
  /** The whole answer was handed to the client connection in onData. */
  private ended = false;
  private abortUpstream: ((err: Error) => void) | undefined;
  /** Puts the browser script's tag into an HTML page as it streams. */
  private injector: HtmlInjector | undefined;
  /** A 404 being read to its end and dropped: another version is asked (notFound). */
  private passing = false;
  private resumeUpstream: (() => void) | undefined;

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
    if (p.mirror && !p.hasBody) p.mirror.requestEnd();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) {
      forwardInformational(this.res, statusCode, raw);
      return true;
    }
    this.status = statusCode;
    const { p } = this;
    if (statusCode === 404 && p.notFound && !p.mirror && !p.hasBody) {
      this.passing = true;
      return true;
    }
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
      else if (lower === 'content-length') this.contentLength = Number(value);
      out.push(name, value);
    }
    // The mirror compares what the version sent, not what the gateway adds (cookie, Vary, ...).
    p.mirror?.primaryStart(statusCode, out);
    addGatewayHeaders(out, p.decision, vary, cacheControl);
    if (p.pageTag && takeAsPage(statusCode, out)) {
      this.injector = new HtmlInjector(p.pageTag());
      this.contentLength = -1;
    }
    const extraHop = connectionTokens(connection);
    if (extraHop) {
      for (let i = out.length - 2; i >= 0; i -= 2) if (extraHop.has(out[i]!.toLowerCase())) out.splice(i, 2);
    }
    this.res.writeHead(statusCode, out);
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const { res } = this;
    if (this.passing) return true;
    this.p.mirror?.primaryChunk(chunk);
    if (this.injector) {
      this.streaming = true;
      let flowing = true;
      for (const part of this.injector.push(chunk)) flowing = res.write(part);
      if (flowing) return true;
      res.once('drain', () => this.resumeUpstream?.());
      return false;
    }
    if (!this.streaming && chunk.length === this.contentLength && chunk.length <= WHOLE_BODY_MAX) {
      // The whole body in one piece, as most answers come. Given a latin1 string (lossless
      // for any bytes), node appends it to the head and the socket sends both with one
      // write(), where a Buffer would take a writev of head, body and end marker (and its
      // own JS path); uncorking at once keeps the end marker out of that write.
      this.ended = true;
      res.write(chunk.toString('latin1'), 'latin1');
      res.socket?.uncork();
      res.end();
      return true;
    }
    this.streaming = true;
    if (res.write(chunk)) return true;
    res.once('drain', () => this.resumeUpstream?.());
    return false;
  }

  onComplete(): void {
    if (this.passing) return this.p.notFound!();
    if (this.injector) for (const part of this.injector.end()) this.res.write(part);
    if (!this.ended) this.res.end();
    const latencyUs = (performance.now() - this.p.started) * 1000;
    this.finish('response', latencyUs);
    this.p.mirror?.primaryEnd(latencyUs);
  }

  onError(err: Error): void {
    const { res, req, p } = this;
    if (this.passing && !res.destroyed) return p.notFound!();
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const timeout = TIMEOUT_CODES.has(code);
    p.mirror?.primaryError();
    if (res.destroyed || req.destroyed) {
      this.finish('response');
      return;
    }
    if (this.ended) {
      // The client already has the whole answer (its declared length); only the upstream
      // misbehaved after it (e.g. bytes past the body). The connection stays usable.
      this.finish('upstream-error');
      return;
    }
    const midBody = res.headersSent;
    if (!midBody) {
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
    logAnswer(p.target, {
      requestId: randomUUID(),
      method: req.method ?? 'GET',
      url: p.url,
      status: this.status,
      kind: timeout ? 'upstream-timeout' : 'upstream-error',
      message: `${midBody ? 'failed mid-body' : 'no answer'}: ${code || err.name}: ${err.message}`,
    });
  }

  private finish(outcome: Outcome, latencyUs = (performance.now() - this.p.started) * 1000): void {
    if (this.done) return;
    this.done = true;
    this.p.target.metrics.record(this.status, latencyUs, outcome, this.p.decision.identity);
  }
}
