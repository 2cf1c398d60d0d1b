import type { z } from 'zod';
import {
  endpoints,
  PARAMETERS,
  type AnswerOf,
  type Awaitable,
  type ControlPlane,
  type Endpoint,
  type EndpointName,
  type PersonCommand,
} from '../api/index.js';
import { publishBody, publishHandlerBody } from '../api/requests.js';
import { HttpError, parseBody } from './http-error.js';

export interface RequestContext {
  /** The request body, read once asked for (after authentication). */
  readonly body: () => Promise<unknown>;
  readonly query: URLSearchParams;
  /** The token's name, for /v1/session. */
  readonly caller: string;
  /** Who acts, for the history: the token's name, with the client's self-description if it gave one. */
  readonly by: string;
}

/** An endpoint with its path as a pattern and the use case that answers it. */
export interface BoundEndpoint {
  readonly endpoint: Endpoint;
  readonly pattern: RegExp;
  readonly handle: (params: Record<string, string>, ctx: RequestContext) => Promise<unknown>;
}

type Params = Record<string, string>;
type Handler<N extends EndpointName> = (p: Params, ctx: RequestContext) => Awaitable<AnswerOf<N>>;

const number = (p: Params, name: string): number => Number(p[name]);

function positiveQuery(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^[1-9]\d*$/.test(v)) throw new HttpError(400, 'invalid', `${name} must be a positive whole number, got ${v}`);
  return Number(v);
}

/** `?limit=`: 1..1000, `fallback` when absent. */
function limitQuery(query: URLSearchParams, fallback: number): number {
  const limit = Number(query.get('limit') ?? fallback);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new HttpError(400, 'invalid', `limit must be 1..1000, got ${query.get('limit')}`);
  return limit;
}

/** The body of an endpoint that takes one, parsed with its schema. */
async function bodyOf<N extends EndpointName>(name: N, ctx: RequestContext): Promise<BodyOf<N>> {
  const schema = endpoints[name].body as z.ZodType<BodyOf<N>> | undefined;
  if (!schema) throw new Error(`${name} takes no body`);
  return parseBody(schema, await ctx.body());
}

type BodyOf<N extends EndpointName> = (typeof endpoints)[N] extends Endpoint<unknown, infer B> ? B : never;

/** Every endpoint answered by the control plane, whichever engine implements it. */
function handlers(plane: ControlPlane): { [N in EndpointName]: Handler<N> } {
  return {
    status: () => plane.status(),
    metrics: () => plane.metrics(),
    session: (_, { caller }) => ({ name: caller }),
    versions: async ({ component }) => ({ versions: [...(await plane.versions(component!))] }),
    publish: async ({ component }, ctx) => {
      // Parsed by the variant it names, so a bad URL is told as such (not as a failed union).
      const raw = await ctx.body();
      const handler = raw !== null && typeof raw === 'object' && 'handler' in raw;
      const request = handler ? parseBody(publishHandlerBody, raw) : parseBody(publishBody, raw);
      const version = await plane.publish(component!, request);
      const note = await plane.runtimeNote?.(version);
      return note ? { version, note } : { version };
    },
    version: async (p) => ({ version: await plane.version(p.component!, number(p, 'version')) }),
    retire: async (p) => ({ version: await plane.retire(p.component!, number(p, 'version')) }),
    deleteVersion: async (p) => {
      await plane.deleteVersion(p.component!, number(p, 'version'));
      return { deleted: { component: p.component!, version: number(p, 'version') } };
    },
    alias: async ({ component }) => ({ alias: (await plane.alias(component!)) ?? null }),
    setAlias: async ({ component }, ctx) => ({
      alias: await plane.setAlias(component!, await bodyOf('setAlias', ctx)),
    }),
    release: async (_, ctx) => {
      const deployments = [...(await plane.release(await bodyOf('release', ctx), ctx.by))];
      return { release: deployments[0]!.releaseId, deployments };
    },
    deployment: async ({ id }) => ({ deployment: await plane.deployment(id!) }),
    command: async ({ component, command }, { by }) => ({
      deployment: await plane.command(component!, command as PersonCommand, by),
    }),
    invoke: async ({ component }, ctx) => {
      const b = await bodyOf('invoke', ctx);
      return plane.invoke(component!, b.qualifier, b.payload ?? {});
    },
    startShadow: async ({ component }, ctx) => ({
      shadow: await plane.startShadow(component!, await bodyOf('startShadow', ctx)),
    }),
    stopShadow: async ({ component }) => {
      await plane.stopShadow(component!);
      return { stopped: component! };
    },
    shadowReport: async ({ component }, { query }) => ({
      report: await plane.shadowReport(component!, positiveQuery(query, 'version')),
    }),
    logs: async ({ component }, { query }) => ({
      logs: [...(await plane.logs(component!, positiveQuery(query, 'version'), limitQuery(query, 100)))],
    }),
    history: async (_, { query }) => ({ releases: [...(await plane.history(limitQuery(query, 20)))] }),
  };
}

/** `/v1/components/:component/versions` as an anchored pattern with named groups. */
function patternOf(path: string): RegExp {
  const source = path.replace(/:([a-z]+)/g, (_, name: keyof typeof PARAMETERS) => `(?<${name}>${PARAMETERS[name]})`);
  return new RegExp(`^${source}$`);
}

export function bindEndpoints(plane: ControlPlane): BoundEndpoint[] {
  const bound = handlers(plane);
  return (Object.keys(endpoints) as EndpointName[]).map((name) => {
    const handle = bound[name] as (p: Params, ctx: RequestContext) => Awaitable<unknown>;
    return {
      endpoint: endpoints[name],
      pattern: patternOf(endpoints[name].path),
      handle: async (p, c) => handle(p, c),
    };
  });
}
