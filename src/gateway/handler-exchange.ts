import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ViewerDecision } from '../core/viewer-decision.js';
import { toApiGatewayV2Event } from '../runtime/apigw.js';
import type { Outcome } from '../metrics/version-metrics.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { httpResponseOf } from '../runtime/invocation.js';
import { addGatewayHeaders, sendJson } from './exchange.js';
import type { HandlerTarget, Target } from './target.js';

/** Lambda's limit on a synchronous invocation's request payload. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface HandlerExchangeParams {
  readonly component: string;
  readonly target: HandlerTarget;
  /** The viewer phase's decision: the identity (counted per user), Set-Cookie and Vary for the answer. */
  readonly decision: ViewerDecision<Target>;
  /** Request headers as forwarded to an upstream (flat), identity baggage included. */
  readonly headers: string[];
  readonly started: number;
  readonly url: string;
  readonly sourceIp: string;
}

/**
 * One request served by a handler version: the request becomes an API Gateway HTTP API
 * (payload 2.0) event, the pool runs the version's handler, and its result becomes the
 * response, as API Gateway would do it. Failures answer 502/504 and are counted.
 */
export async function serveWithHandler(
  pool: HandlerPool,
  req: IncomingMessage,
  res: ServerResponse,
  p: HandlerExchangeParams,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { error: 'payload_too_large', limit: MAX_BODY_BYTES });
      p.target.metrics.record(413, (performance.now() - p.started) * 1000, 'response', p.decision.identity);
      req.resume();
      return;
    }
    chunks.push(chunk);
  }
  const q = p.url.indexOf('?');
  const event = toApiGatewayV2Event({
    method: req.method ?? 'GET',
    rawPath: q === -1 ? p.url : p.url.slice(0, q),
    rawQueryString: q === -1 ? '' : p.url.slice(q + 1),
    headers: p.headers,
    body: size ? Buffer.concat(chunks) : undefined,
    sourceIp: p.sourceIp,
    requestId: randomUUID(),
    timeEpoch: Date.now(),
  });
  const result = await pool.invokeHttp(p.target.fn, event, { qualifier: 'live' });
  const response = httpResponseOf(result);
  // A fresh list per invocation: the gateway's headers are added to it in place.
  const out = response.headers;
  let vary = -1;
  let cacheControl = -1;
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i]!.toLowerCase();
    if (name === 'vary') vary = i;
    else if (name === 'cache-control') cacheControl = i;
  }
  addGatewayHeaders(out, p.decision, vary, cacheControl);
  const outcome: Outcome =
    result.outcome === 'timeout'
      ? 'upstream-timeout'
      : result.outcome === 'crash' || result.outcome === 'init-error'
        ? 'upstream-error'
        : 'response';
  if (!res.destroyed) {
    res.writeHead(response.statusCode, out);
    res.end(req.method === 'HEAD' ? undefined : response.body);
  }
  p.target.metrics.record(response.statusCode, (performance.now() - p.started) * 1000, outcome, p.decision.identity);
}
