import { randomBytes, randomUUID } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { CapturedResponse } from '../core/shadow/index.js';
import { toApiGatewayV2Event, traceIdOf } from '../runtime/apigw.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { HOP_BY_HOP } from './headers.js';
import type { HandlerTarget, HttpTarget, Target } from './target.js';

/**
 * One copy of a mirrored request, to the shadow version or to the live version again (the
 * reference copy), whichever kind of version it is: proxied to an HTTP upstream, or run as an
 * API Gateway v2 event by the shadow's own handler pool (never the live version's processes).
 */

/** The request a mirror copies: what both copies carry, byte for byte. */
export interface MirrorRequest {
  readonly method: string;
  /** The request target in origin-form. */
  readonly url: string;
  /** Flat [name, value, ...], lowercase names: the origin request's, dropped headers left out. */
  readonly headers: readonly string[];
  /** What a handler version's event says of the client (as the live request's did). */
  readonly sourceIp: string;
  readonly host: string | undefined;
  readonly port: number | undefined;
}

export interface CopyLimits {
  /** Longest wait for the answer, ms. */
  readonly timeoutMs: number;
  /** Largest answer body kept; a larger one is `too-large`. */
  readonly bodyCapBytes: number;
}

/** A copy's answer, or why there is none. */
export type CopyOutcome =
  { readonly answer: CapturedResponse } | { readonly failure: 'timeout' | 'error' | 'too-large' };

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

class BodyTooLarge extends Error {}

/** Sends one copy; never rejects. `handlers` gives the shadow's own pool, started on first use. */
export function sendCopy(
  target: Target,
  req: MirrorRequest,
  body: Buffer | undefined,
  limits: CopyLimits,
  handlers: () => HandlerPool,
): Promise<CopyOutcome> {
  return target.kind === 'http'
    ? httpCopy(target, req, body, limits)
    : handlerCopy(handlers(), target, req, body, limits);
}

async function httpCopy(
  target: HttpTarget,
  req: MirrorRequest,
  body: Buffer | undefined,
  limits: CopyLimits,
): Promise<CopyOutcome> {
  const sentAtMs = Date.now();
  const started = performance.now();
  try {
    const res = await request(`${target.origin}${target.basePath}${req.url}`, {
      dispatcher: target.dispatcher,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers as string[],
      body,
      // undici's own timeouts bound the copy (an AbortSignal timer per copy costs more).
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.bodyCapBytes) {
        res.body.destroy();
        throw new BodyTooLarge();
      }
      chunks.push(chunk);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      // The live answer is captured as the gateway forwards it: without hop-by-hop headers.
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return {
      answer: {
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        latencyUs: (performance.now() - started) * 1000,
        window: { sentAtMs, receivedAtMs: Date.now() },
      },
    };
  } catch (err) {
    if (err instanceof BodyTooLarge) return { failure: 'too-large' };
    const e = err as Error & { code?: string };
    return { failure: e.name === 'TimeoutError' || TIMEOUT_CODES.has(e.code ?? '') ? 'timeout' : 'error' };
  }
}

async function handlerCopy(
  pool: HandlerPool,
  target: HandlerTarget,
  req: MirrorRequest,
  body: Buffer | undefined,
  limits: CopyLimits,
): Promise<CopyOutcome> {
  const sentAtMs = Date.now();
  const started = performance.now();
  const q = req.url.indexOf('?');
  const event = toApiGatewayV2Event({
    method: req.method,
    rawPath: q === -1 ? req.url : req.url.slice(0, q),
    rawQueryString: q === -1 ? '' : req.url.slice(q + 1),
    headers: req.headers as string[],
    body: body ?? Buffer.alloc(0),
    sourceIp: req.sourceIp,
    requestId: randomUUID(),
    timeEpoch: sentAtMs,
    domainName: req.host,
    port: req.port,
    traceId: traceIdOf(sentAtMs, randomBytes(12).toString('hex')),
  });
  // The policy's timeout bounds the copy as it bounds an HTTP one; the version's own, if shorter, stands.
  const fn = { ...target.fn, timeoutMs: Math.min(target.fn.timeoutMs ?? 3000, limits.timeoutMs) };
  const result = await pool.invokeHttp(fn, event, { qualifier: 'shadow', head: req.method === 'HEAD' });
  if (result.outcome === 'timeout') return { failure: 'timeout' };
  // A crash or a module that does not load is the copy failing, as a refused connection is.
  if (result.outcome === 'crash' || result.outcome === 'init-error') return { failure: 'error' };
  const { response } = result;
  if (response.body.length > limits.bodyCapBytes) return { failure: 'too-large' };
  const headers: Record<string, string> = {};
  for (let i = 0; i < response.headers.length; i += 2) {
    const name = response.headers[i]!.toLowerCase();
    const value = response.headers[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return {
    answer: {
      status: response.statusCode,
      headers,
      body: response.body.toString('utf8'),
      latencyUs: (performance.now() - started) * 1000,
      window: { sentAtMs, receivedAtMs: Date.now() },
    },
  };
}
