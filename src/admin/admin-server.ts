import Database from 'better-sqlite3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { OneboxError } from '../core/index.js';
import { holderOf, READ_METHODS, type NamedToken } from './auth.js';
import { dashboardAsset } from './dashboard-assets.js';
import { HttpError } from './http-error.js';
import { bindEndpoints, type BoundEndpoint } from './routes.js';
import type { ControlPlane } from '../api/index.js';

/** Admin request bodies are small JSON documents. */
const MAX_BODY_BYTES = 1 << 20;

const STATUS_OF: Record<OneboxError['code'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
};

/** Past this much unsent event text a dashboard is too slow to follow, and its stream is closed. */
const MAX_STREAM_BACKLOG = 1 << 20;

export interface AdminServerDeps {
  readonly plane: ControlPlane;
  readonly tokens: readonly NamedToken[];
  /** The Prometheus exposition of `GET /metrics`. */
  readonly prometheus: () => Promise<{ readonly contentType: string; readonly text: string }>;
  /** The dashboard's event stream: whole Server-Sent Events until unsubscribed. */
  readonly feed: { subscribe(listener: (text: string) => void): () => void };
}

/**
 * JSON admin API behind bearer tokens, routed by the endpoint table of src/api. Every
 * answer is JSON, every error has a code; besides, the dashboard's files (public: they
 * hold no data), its event stream and the Prometheus exposition.
 */
export class AdminServer {
  /** Not listening yet: the composition root listens and closes it (the gateway's `listen`/`close`). */
  readonly server: Server;
  private readonly routes: readonly BoundEndpoint[];

  constructor(private readonly deps: AdminServerDeps) {
    this.routes = bindEndpoints(deps.plane);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) this.send(res, 500, { error: { code: 'internal_error', message: 'internal error' } });
      });
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') return this.send(res, 200, { ok: true });
    if (req.method === 'GET' && (path === '/' || path.startsWith('/assets/'))) {
      const asset = await dashboardAsset(path);
      if (asset) {
        res.writeHead(200, asset.headers);
        return void res.end(asset.body);
      }
    }
    const holder = holderOf(req.headers.authorization, this.deps.tokens);
    if (holder === undefined) {
      return this.send(
        res,
        401,
        { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } },
        { 'www-authenticate': 'Bearer' },
      );
    }
    const caller = holder.name;
    if (holder.readOnly && !READ_METHODS.has(req.method ?? 'GET')) {
      return this.send(res, 403, {
        error: {
          code: 'forbidden',
          message: `token "${caller}" is read-only: ${req.method ?? ''} ${path} needs a token that may change state`,
        },
      });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const { contentType, text } = await this.deps.prometheus();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      return void res.end(text);
    }
    if (req.method === 'GET' && path === '/v1/events') return this.stream(req, res);
    try {
      let pathMatched = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (route.endpoint.method !== req.method) continue;
        const actor = req.headers['x-onebox-actor'];
        const by = typeof actor === 'string' && /^[\w.@:-]{1,64}$/.test(actor) ? `${caller} (${actor})` : caller;
        const result = await route.handle(m.groups ?? {}, {
          body: () => readJson(req),
          query: url.searchParams,
          caller,
          by,
        });
        return this.send(res, route.endpoint.created ? 201 : 200, result);
      }
      throw pathMatched
        ? new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`)
        : new HttpError(404, 'not_found', `no admin endpoint ${path}`);
    } catch (err) {
      if (err instanceof HttpError)
        return this.send(res, err.status, { error: { code: err.code, message: err.message } });
      if (err instanceof OneboxError)
        return this.send(res, STATUS_OF[err.code], { error: { code: err.code, message: err.message } });
      if (err instanceof Database.SqliteError) {
        // The state file failed (read-only, full, I/O): nothing was changed, and the caller is told why.
        return this.send(res, 503, {
          error: { code: 'state_unavailable', message: `the state file failed: ${err.message} (${err.code})` },
        });
      }
      throw err;
    }
  }

  /** Server-Sent Events from the live feed until the client goes away (or falls too far behind). */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const unsubscribe = this.deps.feed.subscribe((text) => {
      if (res.writableLength > MAX_STREAM_BACKLOG) return void res.destroy();
      res.write(text);
    });
    res.on('close', unsubscribe);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the limit the rest is read and dropped, not cut off: leaving the loop early would
    // destroy the request, and the keep-alive connection's next request then hung.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', `request body over ${MAX_BODY_BYTES} bytes`);
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
}
