import Database from 'better-sqlite3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { OneboxError } from '../core/errors.js';
import type { ControlPlane } from '../app/control-plane.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { Registry } from 'prom-client';
import { callerOf, type NamedToken } from './auth.js';
import { dashboardAsset } from './dashboard-assets.js';
import type { LiveFeed } from './live-feed.js';
import { aliasBody, invokeBody, publishBody, publishHandlerBody } from './validation.js';
import { releaseBody } from '../app/release-request.js';
import { shadowPolicyBody } from '../shadow/policy.js';

/** Admin request bodies are small JSON documents. */
const MAX_BODY_BYTES = 1 << 20;

const STATUS_OF: Record<OneboxError['code'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface RequestContext {
  readonly body: () => Promise<unknown>;
  readonly query: URLSearchParams;
  /** Who acts, for the history: the token's name, with the client's self-description if it gave one. */
  readonly by: string;
}

type Handler = (params: string[], ctx: RequestContext) => unknown;

const COMMANDS = ['pause', 'resume', 'promote', 'promote-all', 'rollback', 'stop'] as const;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const NAME = '([a-z][a-z0-9-]{0,62})';
const NUMBER = '([1-9][0-9]{0,9})';

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new HttpError(400, 'invalid', problems.join('; '));
}

/** Past this much unsent event text a dashboard is too slow to follow, and its stream is closed. */
const MAX_STREAM_BACKLOG = 1 << 20;

/**
 * JSON admin API behind bearer tokens. Every answer is JSON, every error has a code;
 * besides, the dashboard's files (public: they hold no data) and its event stream.
 */
export class AdminServer {
  /** Not listening yet: the composition root listens and closes it (the gateway's `listen`/`close`). */
  readonly server: Server;
  private readonly routes: Route[];

  constructor(
    private readonly plane: ControlPlane,
    private readonly metrics: MetricsRecorder,
    private readonly tokens: readonly NamedToken[],
    private readonly prometheus: Registry,
    private readonly feed: LiveFeed,
  ) {
    const p = plane;
    this.routes = [
      {
        method: 'GET',
        pattern: /^\/v1\/status$/,
        handler: () => ({ components: p.status(), fallbacks: this.metrics.snapshot().fallbacks }),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/components/${NAME}/versions$`),
        handler: ([c]) => ({ versions: p.versions(c!) }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/components/${NAME}/versions$`),
        handler: async ([c], { body }) => {
          const raw = await body();
          if (raw !== null && typeof raw === 'object' && 'handler' in raw) {
            const h = parse(publishHandlerBody, raw);
            return { version: p.publishHandler(c!, h.handler, h.timeoutMs, h.description, h.env) };
          }
          const b = parse(publishBody, raw);
          return { version: p.publish(c!, b.url, b.description) };
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/components/${NAME}/versions/${NUMBER}$`),
        handler: ([c, n]) => ({ version: p.version(c!, Number(n)) }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/components/${NAME}/versions/${NUMBER}/retire$`),
        handler: ([c, n]) => ({ version: p.retire(c!, Number(n)) }),
      },
      {
        method: 'DELETE',
        pattern: new RegExp(`^/v1/components/${NAME}/versions/${NUMBER}$`),
        handler: ([c, n]) => {
          p.deleteVersion(c!, Number(n));
          return { deleted: { component: c, version: Number(n) } };
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/components/${NAME}/alias$`),
        handler: ([c]) => ({ alias: p.alias(c!) ?? null }),
      },
      {
        method: 'PUT',
        pattern: new RegExp(`^/v1/components/${NAME}/alias$`),
        handler: async ([c], { body }) => {
          const b = parse(aliasBody, await body());
          return { alias: p.setAlias(c!, { ...b, routing: b.routing as 'sticky' | 'request' | undefined }) };
        },
      },
      { method: 'GET', pattern: /^\/v1\/metrics$/, handler: () => this.metrics.snapshot() },
      {
        method: 'POST',
        pattern: /^\/v1\/releases$/,
        handler: async (_, { body, by }) => {
          const deployments = p.release(parse(releaseBody, await body()), by);
          return { release: deployments[0]!.releaseId, deployments };
        },
      },
      {
        method: 'GET',
        pattern: /^\/v1\/deployments\/([A-Za-z0-9-]{1,80})$/,
        handler: ([id]) => ({ deployment: p.deployment(id!) }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/components/${NAME}/deployment/(${COMMANDS.join('|')})$`),
        handler: ([c, command], { by }) => ({ deployment: p.command(c!, command as (typeof COMMANDS)[number], by) }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/components/${NAME}/invoke$`),
        handler: async ([c], { body }) => {
          const b = parse(invokeBody, await body());
          return p.invoke(c!, b.qualifier, b.payload ?? {});
        },
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/components/${NAME}/shadow$`),
        handler: async ([c], { body }) => ({ shadow: p.shadows.start(c!, parse(shadowPolicyBody, await body())) }),
      },
      {
        method: 'DELETE',
        pattern: new RegExp(`^/v1/components/${NAME}/shadow$`),
        handler: ([c]) => {
          p.shadows.stop(c!);
          return { stopped: c };
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/components/${NAME}/shadow/report$`),
        handler: ([c], { query }) => {
          const v = query.get('version');
          if (v !== null && !/^[1-9]\d*$/.test(v))
            throw new HttpError(400, 'invalid', `version must be a positive whole number, got ${v}`);
          return { report: p.shadows.report(c!, v === null ? undefined : Number(v)) };
        },
      },
      {
        method: 'GET',
        pattern: /^\/v1\/history$/,
        handler: (_, { query }) => {
          const limit = Number(query.get('limit') ?? 20);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
            throw new HttpError(400, 'invalid', `limit must be 1..1000, got ${query.get('limit')}`);
          return { releases: p.history(limit) };
        },
      },
    ];
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
    const caller = callerOf(req.headers.authorization, this.tokens);
    if (caller === undefined) {
      return this.send(
        res,
        401,
        { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } },
        { 'www-authenticate': 'Bearer' },
      );
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = await this.prometheus.metrics();
      res.writeHead(200, { 'content-type': this.prometheus.contentType, 'cache-control': 'no-store' });
      return void res.end(text);
    }
    if (req.method === 'GET' && path === '/v1/events') return this.stream(req, res);
    if (req.method === 'GET' && path === '/v1/session') return this.send(res, 200, { name: caller });
    try {
      let pathMatched = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (route.method !== req.method) continue;
        const actor = req.headers['x-onebox-actor'];
        const by = typeof actor === 'string' && /^[\w.@:-]{1,64}$/.test(actor) ? `${caller} (${actor})` : caller;
        const result = await route.handler(m.slice(1), { body: () => readJson(req), query: url.searchParams, by });
        return this.send(res, route.method === 'POST' && /\/(versions|releases)$/.test(path) ? 201 : 200, result);
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
    const unsubscribe = this.feed.subscribe((text) => {
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
