import type { Dispatcher } from 'undici';
import {
  AliasRouter,
  parseTarget,
  RouteTable,
  type AliasRouting,
  type Component,
  type Version,
} from '../core/index.js';
import type { FunctionVersion } from '../runtime/function-version.js';
import type { VersionRecorders } from '../metrics/recorder.js';
import type { VersionRecorder } from '../metrics/version-metrics.js';
import type { ShadowRuntime } from '../shadow/mirror.js';

/** A routable version: where to send requests and where to count them. */
export interface UpstreamTarget {
  readonly version: number;
  /** The pool of an HTTP upstream; undefined for a handler version. */
  readonly dispatcher: Dispatcher | undefined;
  /** Origin, e.g. http://127.0.0.1:9001 ('' for a handler version). */
  readonly origin: string;
  /** Path prefix of the target URL, '' when the target is an origin. */
  readonly basePath: string;
  /** A handler version's function, run by the gateway's handler pool. */
  readonly fn: FunctionVersion | undefined;
  readonly metrics: VersionRecorder;
  /** Value of the x-onebox-version response header: `<component>:<n>`. */
  readonly debugHeader: string;
}

/** A target whose requests go to an HTTP upstream (shadow copies need one). */
export type HttpTarget = UpstreamTarget & { readonly dispatcher: Dispatcher };

export const isHttpTarget = (t: UpstreamTarget): t is HttpTarget => t.dispatcher !== undefined;

export interface ComponentRoute {
  readonly component: string;
  /** Undefined while the component has no live alias yet. */
  readonly alias: AliasRouting | undefined;
  /** The alias prepared for the request path; present exactly when `alias` is. */
  readonly router: AliasRouter | undefined;
  readonly targets: ReadonlyMap<number, UpstreamTarget>;
  /** A running shadow and where its copies go. */
  readonly shadow?:
    { readonly runtime: ShadowRuntime; readonly target: HttpTarget; readonly live: HttpTarget } | undefined;
}

/** Immutable view of routing state; the gateway swaps in a new one on every change. */
export interface RoutingSnapshot {
  readonly routes: RouteTable<ComponentRoute>;
  /** The same entries by component name, for rebuilding one of them. */
  readonly components: ReadonlyMap<string, ComponentRoute>;
}

/** What building one component's entry reads. */
export interface RouteSources {
  /** Looks a version up; only published versions exist. */
  readonly version: (component: string, number: number) => Version | undefined;
  readonly dispatcherFor: (origin: string) => Dispatcher;
  readonly metrics: VersionRecorders;
  readonly shadows?: ReadonlyMap<string, ShadowRuntime>;
}

export interface SnapshotSources extends RouteSources {
  readonly components: readonly Component[];
  readonly aliases: ReadonlyMap<string, AliasRouting>;
}

/** A version's raw target, kept to tell whether a previous UpstreamTarget still fits it. */
const targetSource = new WeakMap<UpstreamTarget, string>();

function targetOf(sources: RouteSources, v: Version, previous: UpstreamTarget | undefined): UpstreamTarget {
  // Published versions do not change: the previous snapshot's target for the same version is reused.
  if (previous && previous.version === v.number && targetSource.get(previous) === v.target) return previous;
  const target = newTarget(sources, v);
  targetSource.set(target, v.target);
  return target;
}

function newTarget(sources: RouteSources, v: Version): UpstreamTarget {
  const common = {
    version: v.number,
    metrics: sources.metrics.forVersion(v.component, v.number),
    debugHeader: `${v.component}:${v.number}`,
  };
  const target = parseTarget(v.target);
  if (target.kind === 'handler') {
    const fn = {
      functionName: v.component,
      version: v.number,
      handler: target.handler,
      timeoutMs: target.timeoutMs,
      env: target.env,
    };
    return { ...common, dispatcher: undefined, origin: '', basePath: '', fn };
  }
  const url = new URL(target.url);
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return { ...common, dispatcher: sources.dispatcherFor(url.origin), origin: url.origin, basePath, fn: undefined };
}

/**
 * One component's entry. Only published, non-retired versions become targets; an alias
 * whose additional version is not routable is reduced to its stable version. Targets of
 * `previous` (the component's entry in the last snapshot) are reused where they still fit.
 */
function routeOf(
  sources: RouteSources,
  name: string,
  alias: AliasRouting | undefined,
  previous: ComponentRoute | undefined,
): ComponentRoute {
  const targets = new Map<number, UpstreamTarget>();
  const reuse = (v: Version): UpstreamTarget => targetOf(sources, v, previous?.targets.get(v.number));
  let routing: AliasRouting | undefined;
  const stable = alias && sources.version(name, alias.version);
  if (alias && stable && !stable.retiredAt) {
    targets.set(stable.number, reuse(stable));
    routing = alias;
    const extra = alias.additional && sources.version(name, alias.additional.version);
    if (extra && !extra.retiredAt) targets.set(extra.number, reuse(extra));
    else if (alias.additional) routing = { ...alias, additional: undefined };
  }
  const runtime = sources.shadows?.get(name);
  const shadowVersion = runtime && sources.version(name, runtime.policy.version);
  // Shadows mirror between HTTP upstreams only (handler versions cannot be mirrored yet).
  const shadowTarget =
    routing && runtime && shadowVersion && !shadowVersion.retiredAt
      ? targetOf(sources, shadowVersion, previous?.shadow?.target)
      : undefined;
  const liveTarget = routing && targets.get(routing.version);
  const shadow =
    runtime && shadowTarget && isHttpTarget(shadowTarget) && liveTarget && isHttpTarget(liveTarget)
      ? { runtime, target: shadowTarget, live: liveTarget }
      : undefined;
  // The prepared router depends on the alias alone: kept while the alias is the same.
  const router =
    routing && previous?.router && sameRouting(previous.router.alias, routing)
      ? previous.router
      : routing && new AliasRouter(routing);
  return { component: name, alias: routing, router, targets, shadow };
}

function sameRouting(a: AliasRouting, b: AliasRouting): boolean {
  return (
    a.version === b.version &&
    a.mode === b.mode &&
    a.seed === b.seed &&
    a.additional?.version === b.additional?.version &&
    a.additional?.weightBp === b.additional?.weightBp
  );
}

/** Builds the whole snapshot: at start, and when more than one component may have changed. */
export function buildSnapshot(sources: SnapshotSources, previous?: RoutingSnapshot): RoutingSnapshot {
  const components = new Map<string, ComponentRoute>();
  const entries = sources.components.map((c) => {
    const route = routeOf(sources, c.name, sources.aliases.get(c.name), previous?.components.get(c.name));
    components.set(c.name, route);
    return { prefix: c.route, value: route };
  });
  return { routes: new RouteTable(entries), components };
}

/**
 * A new snapshot in which only `component`'s entry is rebuilt (its alias, versions or
 * shadow changed); every other entry is the previous snapshot's own object. The previous
 * snapshot is left as it was, for requests already routed with it.
 */
export function rebuildComponent(
  previous: RoutingSnapshot,
  sources: RouteSources,
  component: Component,
  alias: AliasRouting | undefined,
): RoutingSnapshot {
  const before = previous.components.get(component.name);
  if (!before) throw new Error(`component "${component.name}" is not in the routing snapshot`);
  const route = routeOf(sources, component.name, alias, before);
  const components = new Map(previous.components);
  components.set(component.name, route);
  return { routes: previous.routes.replace(before, route), components };
}
