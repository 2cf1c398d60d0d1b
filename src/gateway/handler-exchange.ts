import { randomBytes, randomUUID } from 'node:crypto';
import { maxHeaderSize, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ViewerDecision } from '../core/viewer-decision.js';
import type { Outcome } from '../metrics/version-metrics.js';
import { toApiGatewayV2Event, traceIdOf, type ApiGatewayV2Event } from '../runtime/apigw.js';
import { internalServerError, jsonResponse, type HandlerHttpResponse } from '../runtime/apigw-result.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import type { HttpInvocationResult } from '../runtime/invocation.js';
import { API_GATEWAY_BODY_LIMIT, eventBytesNearLimit, LAMBDA_REQUEST_LIMIT } from '../runtime/lambda-limits.js';
import { logAnswer } from './answer-log.js';
import { addGatewayHeaders } from './exchange.js';
import type { Mirror } from './shadow-mirror.js';
import { injectInto, takeAsPage } from './html-inject.js';
import type { HandlerTarget, Target } from './target.js';

export interface HandlerExchangeParams {
  readonly target: HandlerTarget;
  /** The viewer phase's decision: the identity (counted per user), Set-Cookie and Vary for the answer. */
  readonly decision: ViewerDecision<Target>;
  /** Request headers as forwarded to an upstream (flat), identity baggage included. */
  readonly headers: string[];
  readonly started: number;
  /** The request target in origin-form. */
  readonly url: string;
  readonly sourceIp: string;
  /** The public host (the event's `host` and requestContext.domainName); undefined: none known. */
  readonly host: string | undefined;
  /** `x-forwarded-port`; undefined keeps the one a trusted proxy sent. */
  readonly port: number | undefined;
  /** A copy of this request for the shadow, fed the request and the answer; never waited for. */
  readonly mirror?: Mirror | undefined;
  /** For a component with browser signals: the script tag for this page, if the answer is a page. */
  readonly pageTag?: (() => string) | undefined;
  /** Skew protection: on a 404, called instead of sending it (another retained version may have the file). */
  readonly notFound?: (() => void) | undefined;
}

/** Hands the mirror what the version answered; a failure of the version's own is not compared. */
function feedMirror(mirror: Mirror | undefined, a: Answered, latencyUs: number): void {
  if (!mirror) return;
  if (a.outcome !== 'response' || a.kind === 'internal-error') return mirror.primaryError();
  mirror.primaryStart(a.response.statusCode, a.response.headers);
  mirror.primaryChunk(a.response.body);
  mirror.primaryEnd(latencyUs);
}

/** What one answer was, for the version's metrics and log. */
interface Answered {
  readonly response: HandlerHttpResponse;
  readonly outcome: Outcome;
  /** Set when the gateway gave or replaced the answer: the log entry's kind and message. */
  readonly kind?: string;
  readonly message?: string;
  readonly stack?: readonly string[] | undefined;
}

/** The answer and its log facts for an invocation's result (API Gateway's mapping is the runtime's). */
function answerOf(result: HttpInvocationResult): Answered {
  const response = result.response;
  const error = result.error;
  const why = error ? `${error.errorType}: ${error.errorMessage}` : '';
  switch (result.outcome) {
    case 'success':
      return response.malformed === undefined
        ? { response, outcome: 'response' }
        : { response, outcome: 'response', kind: 'invalid-result', message: response.malformed };
    case 'function-error': {
      const tooLarge = error?.errorType === 'Function.ResponseSizeTooLarge';
      const kind = tooLarge ? 'response-too-large' : 'handler-error';
      return { response, outcome: 'response', kind, message: why, stack: tooLarge ? undefined : error?.stack };
    }
    case 'timeout':
      return { response, outcome: 'upstream-timeout', kind: 'timeout', message: why };
    case 'crash':
      return { response, outcome: 'upstream-error', kind: 'crash', message: why };
    case 'init-error':
      return { response, outcome: 'upstream-error', kind: 'init-error', message: why, stack: error?.stack };
  }
}

/**
 * Reads the body up to API Gateway's limit; undefined as soon as it is over it, the rest
 * then read and dropped (not cut off: destroying the request would lose the connection
 * before the answer).
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  // Read once: a request another version is asked (notFound) has been read already.
  let body = bodies.get(req);
  if (!body) bodies.set(req, (body = readBodyOf(req)));
  return body;
}

const bodies = new WeakMap<IncomingMessage, Promise<Buffer | undefined>>();

function readBodyOf(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= API_GATEWAY_BODY_LIMIT) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd);
      req.resume();
      resolve(undefined);
    };
    const onEnd = (): void => resolve(size ? Buffer.concat(chunks) : Buffer.alloc(0));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/** The event, or the answer API Gateway gives instead when the request is over a limit. */
function eventOrRefusal(
  req: IncomingMessage,
  p: HandlerExchangeParams,
  body: Buffer | undefined,
  requestId: string,
): ApiGatewayV2Event | Answered {
  if (body === undefined) {
    const message = `HTTP content length exceeded ${API_GATEWAY_BODY_LIMIT} bytes.`;
    const response = jsonResponse(413, {
      message,
      error: 'request_too_large',
      limit: `API Gateway's HTTP API payload limit, ${API_GATEWAY_BODY_LIMIT} bytes (10 MB)`,
    });
    return { response, outcome: 'response', kind: 'request-too-large', message };
  }
  const q = p.url.indexOf('?');
  const now = Date.now();
  const event = toApiGatewayV2Event({
    method: req.method ?? 'GET',
    rawPath: q === -1 ? p.url : p.url.slice(0, q),
    rawQueryString: q === -1 ? '' : p.url.slice(q + 1),
    headers: p.headers,
    body,
    sourceIp: p.sourceIp,
    requestId,
    timeEpoch: now,
    domainName: p.host,
    port: p.port,
    traceId: traceIdOf(now, randomBytes(12).toString('hex')),
  });
  const bytes = eventBytesNearLimit(event, maxHeaderSize);
  if (bytes === undefined || bytes <= LAMBDA_REQUEST_LIMIT) return event;
  const message = `the event is ${bytes} bytes; Lambda takes at most ${LAMBDA_REQUEST_LIMIT}`;
  const response = jsonResponse(413, {
    message: 'Request Too Long',
    error: 'request_too_large',
    limit: `Lambda's synchronous request payload limit, ${LAMBDA_REQUEST_LIMIT} bytes (6 MB), for the whole event, a base64-encoded body included`,
    size: bytes,
  });
  return { response, outcome: 'response', kind: 'request-too-large', message };
}

/** Sends the answer with the gateway's headers; one node refuses to send is replaced by a 500. */
function send(res: ServerResponse, req: IncomingMessage, p: HandlerExchangeParams, a: Answered, id: string): Answered {
  const attempt = (response: HandlerHttpResponse): void => {
    // A fresh list per answer: the gateway's headers are added to it in place.
    const out = [...response.headers, 'apigw-requestid', id];
    let vary = -1;
    let cacheControl = -1;
    for (let i = 0; i < out.length; i += 2) {
      const name = out[i]!.toLowerCase();
      if (name === 'vary') vary = i;
      else if (name === 'cache-control') cacheControl = i;
    }
    addGatewayHeaders(out, p.decision, vary, cacheControl);
    let body = response.body;
    if (p.pageTag && takeAsPage(response.statusCode, out)) {
      body = injectInto(body, p.pageTag());
      out.push('content-length', String(body.length));
    }
    res.writeHead(response.statusCode, out);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (res.destroyed) return a;
  try {
    attempt(a.response);
    return a;
  } catch (err) {
    // The runtime's checks should leave nothing node refuses; if one slips through, the
    // client still gets an answer, counted and logged as the version's.
    if (res.headersSent) throw err;
    const replaced: Answered = {
      response: internalServerError(),
      outcome: 'response',
      kind: 'invalid-result',
      message: `the answer could not be sent: ${(err as Error).message}`,
    };
    attempt(replaced.response);
    return replaced;
  }
}

/**
 * One request served by a handler version, as API Gateway's HTTP API would: the request
 * becomes a payload 2.0 event (or a 413 past API Gateway's or Lambda's limit), the pool runs
 * the version's handler, and its result becomes the response. Every answer, including one the
 * gateway gives or replaces (a handler error, a timeout, a module that does not load, a
 * result that cannot be sent), is counted as the version's and carries x-onebox-version; the
 * reason of each of those is logged in the version's log. It never rejects.
 */
export async function serveWithHandler(
  pool: HandlerPool,
  req: IncomingMessage,
  res: ServerResponse,
  p: HandlerExchangeParams,
): Promise<void> {
  const requestId = randomUUID();
  let answered: Answered;
  try {
    const body = await readBody(req);
    // Over API Gateway's limit the version never sees the body: nothing to copy.
    if (body === undefined) p.mirror?.primaryError();
    else p.mirror?.requestChunk(body);
    p.mirror?.requestEnd();
    const eventOr = eventOrRefusal(req, p, body, requestId);
    answered =
      'version' in eventOr
        ? answerOf(await pool.invokeHttp(p.target.fn, eventOr, { qualifier: 'live', head: req.method === 'HEAD' }))
        : eventOr;
    if (answered.response.statusCode === 404 && p.notFound && !res.destroyed) {
      // Another version answers instead: this copy has no answer to be compared with.
      p.mirror?.primaryError();
      return p.notFound();
    }
    answered = send(res, req, p, answered, requestId);
  } catch (err) {
    answered = {
      response: internalServerError(),
      outcome: 'response',
      kind: 'internal-error',
      message: (err as Error).message,
    };
    if (!res.headersSent) send(res, req, p, answered, requestId);
    else res.destroy();
  }
  const status = answered.response.statusCode;
  const latencyUs = (performance.now() - p.started) * 1000;
  p.target.metrics.record(status, latencyUs, answered.outcome, p.decision.identity);
  feedMirror(p.mirror, answered, latencyUs);
  if (answered.kind !== undefined) {
    logAnswer(p.target, {
      requestId,
      method: req.method ?? 'GET',
      url: p.url,
      status,
      kind: answered.kind,
      message: answered.message ?? '',
      stack: answered.stack,
    });
  }
}
