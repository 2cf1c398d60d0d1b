import { ASSIGNMENT_PATH, BUCKETS, entrypointOf, PINNED_PREFIX } from '../core/index.js';
import { decideViewer, type ViewerDecision, type ViewerInputs, type ViewerSettings } from '../core/viewer-decision.js';
import type { ComponentRoute, LiveRoute, RoutingSnapshot } from './routing-snapshot.js';
import type { Target } from './target.js';
import { TESTER_HEADER, verifyTesterToken } from './tester-token.js';

/**
 * Client-side routing (seed 003's first alternative), served by the gateway from the same
 * snapshot and the same decision as ordinary routing:
 * - `GET /.onebox/assignment` tells the caller, and only them, their version of each
 *   component and the entrypoint that reaches it. It names no identity and takes no
 *   parameter: the answer is about the cookie (or trusted identity header) the request
 *   carries, never about a baggage member or a query, so no one learns another's assignment
 *   without holding their cookie. `Cache-Control: private`, varying on the identity fields.
 * - `/.onebox/v/<component>/<version>/<path>` serves <path> with that version only when the
 *   caller's own decision (by cookie or trusted header, not baggage) is that version (or a tester token signed with
 *   `gateway.testerSecret` grants it, for a version the live alias routes); anything else
 *   is refused with 403 `not_assigned`. It never reaches a version ordinary routing would
 *   not give the same request.
 * Per-request splits (mode `request`) draw per request, so no user is assigned the
 * additional version: both answer with the stable version there.
 */

/** A draw that never admits: per-request splits assign everyone the stable version. */
const NO_DRAW = (): number => 1;

export interface ComponentAssignment {
  /** The caller's version; null while the component has no routable live version. */
  readonly version: number | null;
  /** The version is the live alias's additional (new) one: the caller is in the canary. */
  readonly canary: boolean;
  /** Prefix of the version-specific URLs of the component (null with no version). */
  readonly entrypoint: string | null;
  /** The alias splits users between two versions now (a canary or one-box is running). */
  readonly split: boolean;
  /** The alias splits per request: the caller is not pinned to a version by it. */
  readonly perRequest: boolean;
}

export interface AssignmentAnswer {
  readonly components: Record<string, ComponentAssignment>;
}

/** What the gateway does with a request under core's RESERVED_PREFIX (not a browser-signals path). */
export type Reserved =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly body: AssignmentAnswer;
      readonly headers: Record<string, string>;
    }
  | {
      readonly kind: 'refuse';
      readonly reason: string;
      readonly status: number;
      readonly body: Record<string, unknown>;
    }
  | {
      readonly kind: 'pinned';
      readonly component: string;
      readonly live: LiveRoute;
      readonly decision: ViewerDecision<Target>;
      /** The origin-form target the version gets: the path after the entrypoint, and the query. */
      readonly url: string;
      readonly invalidIdentity: boolean;
    };

export interface ReservedContext {
  readonly snapshot: RoutingSnapshot;
  /** The viewer request; a tester token is taken out of `headers` before they are forwarded. */
  readonly viewer: ViewerInputs & { readonly headers: string[] };
  readonly settings: ViewerSettings;
  readonly method: string;
  readonly tester: {
    /** The TESTER_HEADER's value(s), if any. */
    readonly token: string | string[] | undefined;
    /** Undefined: tester tokens are refused. */
    readonly secret: string | undefined;
    readonly now: () => number;
  };
}

/** The settings of one reserved request: assignments, not draws, and one new id for all components. */
function assignmentSettings(settings: ViewerSettings): ViewerSettings {
  let issued: string | undefined;
  return { ...settings, draw: NO_DRAW, newId: () => (issued ??= settings.newId()) };
}

const refuse = (reason: string, status: number, body: Record<string, unknown>): Reserved => ({
  kind: 'refuse',
  reason,
  status,
  body,
});

/** Serves or places a request whose path is reserved (core's isReservedPath). */
export function reserved(ctx: ReservedContext, path: string, query: string): Reserved {
  if (path === ASSIGNMENT_PATH) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD')
      return refuse('reserved-method', 405, { error: 'method_not_allowed', allow: 'GET, HEAD' });
    return assignment(ctx);
  }
  if (path.startsWith(PINNED_PREFIX)) return pinned(ctx, path.slice(PINNED_PREFIX.length), query);
  return refuse('no-route', 404, { error: 'no_route', path: path.slice(0, 200) });
}

function assignment(ctx: ReservedContext): Reserved {
  const settings = assignmentSettings(ctx.settings);
  // Baggage is how server hops carry an identity; a client asking about itself is its cookie.
  const viewer: ViewerInputs = { ...ctx.viewer, baggage: undefined };
  const components: Record<string, ComponentAssignment> = {};
  let setCookie: string | undefined;
  for (const [name, route] of ctx.snapshot.components) {
    const live = route.live;
    if (!live) {
      components[name] = { version: null, canary: false, entrypoint: null, split: false, perRequest: false };
      continue;
    }
    const decision = decideViewer(live, viewer, settings);
    setCookie ??= decision.setCookie;
    const version = decision.target.version;
    const split = live.split && live.additional !== live.stable && (live.alias.additional?.weightBp ?? 0) < BUCKETS;
    components[name] = {
      version,
      canary: live.split && decision.target === live.additional && live.additional !== live.stable,
      entrypoint: entrypointOf(name, version),
      split,
      perRequest: split && live.alias.mode === 'request',
    };
  }
  const headers: Record<string, string> = {
    // The answer is this caller's alone: no shared cache may keep it, and the browser asks again.
    'cache-control': 'private, no-cache',
    vary: ctx.settings.varyFields.join(', '),
  };
  if (setCookie) headers['set-cookie'] = setCookie;
  return { kind: 'answer', status: 200, body: { components }, headers };
}

function pinned(ctx: ReservedContext, rest: string, query: string): Reserved {
  // <component>/<version>[/<path>]: the component is URL-encoded, so it holds no "/".
  const first = rest.indexOf('/');
  const second = first === -1 ? -1 : rest.indexOf('/', first + 1);
  const componentPart = first === -1 ? rest : rest.slice(0, first);
  const versionPart = first === -1 ? '' : rest.slice(first + 1, second === -1 ? rest.length : second);
  const targetPath = second === -1 ? '/' : rest.slice(second);
  let component: string;
  try {
    component = decodeURIComponent(componentPart);
  } catch {
    return refuse('bad-entrypoint', 400, { error: 'bad_entrypoint' });
  }
  if (!/^[1-9]\d{0,8}$/.test(versionPart)) return refuse('bad-entrypoint', 400, { error: 'bad_entrypoint' });
  const version = Number(versionPart);
  const route: ComponentRoute | undefined = ctx.snapshot.components.get(component);
  // The path must be the component's own: an entrypoint is not a way into another component.
  if (!route || ctx.snapshot.routes.match(targetPath) !== route)
    return refuse('no-route', 404, { error: 'no_route', path: targetPath.slice(0, 200) });
  const live = route.live;
  if (!live) return refuse('no-live-version', 503, { error: 'no_live_version', component });
  // As for the assignment: who the client is (its cookie or trusted header), never a baggage member.
  const decision = decideViewer(live, { ...ctx.viewer, baggage: undefined }, assignmentSettings(ctx.settings));
  const invalidIdentity = decision.reason === 'invalid-identity';
  const url = targetPath + query;
  // The token is the tester's credential: no version ever sees it.
  const h = ctx.viewer.headers;
  for (let i = h.length - 2; i >= 0; i -= 2) if (h[i] === TESTER_HEADER) h.splice(i, 2);
  if (decision.target.version === version) return { kind: 'pinned', component, live, decision, url, invalidIdentity };
  const granted = grantedTarget(ctx, live, component, version);
  if (granted)
    return { kind: 'pinned', component, live, decision: { ...decision, target: granted }, url, invalidIdentity };
  return refuse('not-assigned', 403, { error: 'not_assigned', component, version });
}

/** The version a valid tester token grants, if the live alias routes it. */
function grantedTarget(ctx: ReservedContext, live: LiveRoute, component: string, version: number): Target | undefined {
  const { token, secret, now } = ctx.tester;
  if (!secret || typeof token !== 'string') return undefined;
  const grant = verifyTesterToken(secret, token, now());
  if (!grant || grant.component !== component || grant.version !== version) return undefined;
  return live.targets.get(version);
}
