import type { Dispatcher } from 'undici';
import { AliasRouter, RouteTable, type AliasRouting, type Component, type Version } from '../core/index.js';
import type { LiveChoices } from '../core/viewer-decision.js';
import type { VersionRecorders } from '../metrics/recorder.js';
import type { ShadowRuntime } from './shadow-mirror.js';
import { targetOf, type Target } from './target.js';

/**
 * A running shadow on a component and where its copies go: the shadow version (an HTTP
 * upstream or a handler); the reference copy goes to whichever version served the user.
 */
export interface ShadowRoute {
  readonly runtime: ShadowRuntime;
  /** The shadow version. */
  readonly target: Target;
}

/**
 * What the request path needs of a component with a live alias. `stable` and `additional`
 * are the targets of the router's two choices, so every decision has a target.
 */
export interface LiveRoute extends LiveChoices<Target> {
  /** The live alias, reduced to its routable versions (an unroutable additional version is dropped). */
  readonly alias: AliasRouting;
  /** Every routable version of the alias by number: the stable one and at most one more. */
  readonly targets: ReadonlyMap<number, Target>;
  /**
   * What a page's pin may name (skew protection): the alias's targets and the newest
   * versions it routed before (at most RETAINED_BEYOND_ALIAS), while they are not retired.
   */
  readonly retained: ReadonlyMap<number, Target>;
  /** The running shadow, between versions of any kind (HTTP upstreams, handlers). */
  readonly shadow: ShadowRoute | undefined;
}

export interface ComponentRoute {
  readonly component: string;
  /** Undefined exactly while the component has no routable live alias. */
  readonly live: LiveRoute | undefined;
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
  /**
   * The versions beyond the alias a component's pages may stay pinned to, when another
   * process decided them (a gateway worker gets the primary's). Absent: carried forward from
   * the previous snapshot.
   */
  readonly retained?: (component: string) => readonly number[] | undefined;
}

export interface SnapshotSources extends RouteSources {
  readonly components: readonly Component[];
  readonly aliases: ReadonlyMap<string, AliasRouting>;
}

const routable = (v: Version | undefined): v is Version => v !== undefined && !v.retiredAt;

/**
 * Versions a page may stay pinned to once the alias no longer routes them (the newest it
 * routed before, while not retired): a bound on what the gateway keeps, far above the
 * releases a tab lives through. Retiring a version is how its pages are let go at once.
 */
const RETAINED_BEYOND_ALIAS = 8;

/** The alias's targets, then the newest of those retained before that are still routable. */
function retainedOf(
  sources: RouteSources,
  name: string,
  targets: ReadonlyMap<number, Target>,
  previous: LiveRoute | undefined,
): ReadonlyMap<number, Target> {
  const given = sources.retained?.(name);
  const before: [number, Target | undefined][] = given
    ? given.map((n) => [n, previous?.retained.get(n)])
    : [...(previous?.retained ?? [])];
  const carried = before
    .filter(([n]) => !targets.has(n) && routable(sources.version(name, n)))
    .sort((a, b) => b[0] - a[0])
    .slice(0, RETAINED_BEYOND_ALIAS)
    .map(([n, t]): [number, Target] => [n, t ?? targetOf(sources, sources.version(name, n)!, undefined)]);
  return carried.length ? new Map([...targets, ...carried]) : targets;
}

/**
 * One component's live part. Only published, non-retired versions become targets; an alias
 * whose additional version is not routable is reduced to its stable version. Targets and
 * the router of `previous` (the component's live part in the last snapshot) are reused
 * where they still fit.
 */
function liveRouteOf(
  sources: RouteSources,
  name: string,
  alias: AliasRouting | undefined,
  previous: LiveRoute | undefined,
): LiveRoute | undefined {
  const stableVersion = alias && sources.version(name, alias.version);
  if (!alias || !routable(stableVersion)) return undefined;
  const reuse = (v: Version): Target => targetOf(sources, v, previous?.targets.get(v.number));
  const stable = reuse(stableVersion);
  const targets = new Map<number, Target>([[stable.version, stable]]);
  const extraVersion = alias.additional && sources.version(name, alias.additional.version);
  let routing = alias;
  let additional = stable;
  if (routable(extraVersion)) {
    additional = reuse(extraVersion);
    targets.set(additional.version, additional);
  } else if (alias.additional) routing = { ...alias, additional: undefined };
  // The prepared router depends on the alias alone: kept while the alias is the same.
  const router = previous && sameRouting(previous.alias, routing) ? previous.router : new AliasRouter(routing);
  const split = routing.additional !== undefined && routing.additional.weightBp > 0;
  return {
    alias: routing,
    router,
    stable,
    additional,
    split,
    targets,
    retained: retainedOf(sources, name, targets, previous),
    shadow: shadowOf(sources, name, previous),
  };
}

function shadowOf(sources: RouteSources, name: string, previous: LiveRoute | undefined): ShadowRoute | undefined {
  const runtime = sources.shadows?.get(name);
  const version = runtime && sources.version(name, runtime.policy.version);
  if (!runtime || !routable(version)) return undefined;
  return { runtime, target: targetOf(sources, version, previous?.shadow?.target) };
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

function routeOf(
  sources: RouteSources,
  name: string,
  alias: AliasRouting | undefined,
  previous: ComponentRoute | undefined,
): ComponentRoute {
  return { component: name, live: liveRouteOf(sources, name, alias, previous?.live) };
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
