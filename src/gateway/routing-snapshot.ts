import type { Dispatcher } from 'undici';
import {
  AliasRouter,
  parseTarget,
  RouteTable,
  type AliasRouting,
  type Component,
  type Version,
} from '../core/index.js';
import type { FunctionVersion } from '../runtime/handler-pool.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { VersionMetrics } from '../metrics/version-metrics.js';
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
  readonly metrics: VersionMetrics;
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
}

export interface SnapshotSources {
  readonly components: readonly Component[];
  readonly aliases: ReadonlyMap<string, AliasRouting>;
  /** Looks a version up; only published versions exist. */
  readonly version: (component: string, number: number) => Version | undefined;
  readonly dispatcherFor: (origin: string) => Dispatcher;
  readonly metrics: MetricsRecorder;
  readonly shadows?: ReadonlyMap<string, ShadowRuntime>;
}

function targetOf(sources: SnapshotSources, v: Version): UpstreamTarget {
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
 * Builds the snapshot. Only published, non-retired versions become targets; an alias
 * whose additional version is not routable is reduced to its stable version.
 */
export function buildSnapshot(sources: SnapshotSources): RoutingSnapshot {
  const entries = sources.components.map((c) => {
    const alias = sources.aliases.get(c.name);
    const targets = new Map<number, UpstreamTarget>();
    let routing: AliasRouting | undefined;
    const stable = alias && sources.version(c.name, alias.version);
    if (alias && stable && !stable.retiredAt) {
      targets.set(stable.number, targetOf(sources, stable));
      routing = alias;
      const extra = alias.additional && sources.version(c.name, alias.additional.version);
      if (extra && !extra.retiredAt) targets.set(extra.number, targetOf(sources, extra));
      else if (alias.additional) routing = { ...alias, additional: undefined };
    }
    const runtime = sources.shadows?.get(c.name);
    const shadowVersion = runtime && sources.version(c.name, runtime.policy.version);
    // Shadows mirror between HTTP upstreams only (handler versions cannot be mirrored yet).
    const shadowTarget =
      routing && runtime && shadowVersion && !shadowVersion.retiredAt ? targetOf(sources, shadowVersion) : undefined;
    const liveTarget = routing && targets.get(routing.version);
    const shadow =
      runtime && shadowTarget && isHttpTarget(shadowTarget) && liveTarget && isHttpTarget(liveTarget)
        ? { runtime, target: shadowTarget, live: liveTarget }
        : undefined;
    const router = routing && new AliasRouter(routing);
    return { prefix: c.route, value: { component: c.name, alias: routing, router, targets, shadow } };
  });
  return { routes: new RouteTable(entries) };
}
