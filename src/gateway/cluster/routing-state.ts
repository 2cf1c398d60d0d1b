import type { Dispatcher } from 'undici';
import type { AliasRouting, Component, Version } from '../../core/index.js';
import { buildSnapshot, type RoutingSnapshot } from '../routing-snapshot.js';
import type { MetricsDelta, WorkerMetrics } from '../../metrics/worker-metrics.js';
import type { ShadowPolicy, ShadowReportData } from '../../core/shadow/index.js';
import { ShadowRuntime } from '../shadow-mirror.js';

/** What a gateway worker needs to route: the primary sends it on start and on every change. */
export interface RoutingState {
  readonly aliases: readonly (readonly [string, AliasRouting])[];
  /** The versions that the aliases and shadows name; a worker can route to no other. */
  readonly versions: readonly Version[];
  readonly shadows: readonly (readonly [string, ShadowPolicy])[];
  /** Per component, the versions beyond its alias that its pages may stay pinned to (skew protection). */
  readonly retained?: readonly (readonly [string, readonly number[]])[];
}

/** The primary's side: the routing state from its store and running shadows. */
export function routingStateOf(
  aliases: ReadonlyMap<string, AliasRouting>,
  version: (component: string, number: number) => Version | undefined,
  shadows: ReadonlyMap<string, { readonly policy: ShadowPolicy }>,
  /** The primary's own retained versions per component (its snapshot's). Default: none. */
  retained: (component: string) => Iterable<number> = () => [],
): RoutingState {
  const versions: Version[] = [];
  const seen = new Set<string>();
  const add = (component: string, n: number): void => {
    const v = version(component, n);
    if (v && !seen.has(`${component}\0${n}`)) versions.push(v);
    seen.add(`${component}\0${n}`);
  };
  for (const [component, alias] of aliases) {
    add(component, alias.version);
    if (alias.additional) add(component, alias.additional.version);
  }
  for (const [component, runtime] of shadows) add(component, runtime.policy.version);
  const kept: [string, number[]][] = [];
  for (const [component] of aliases) {
    const numbers = [...retained(component)];
    for (const n of numbers) add(component, n);
    if (numbers.length) kept.push([component, numbers]);
  }
  return {
    aliases: [...aliases],
    versions,
    shadows: [...shadows].map(([component, runtime]) => [component, runtime.policy] as const),
    retained: kept,
  };
}

/** What a worker recorded since its previous report. */
export interface WorkerReport {
  readonly metrics: MetricsDelta | undefined;
  readonly shadows: readonly ShadowReportData[];
}

const hasCounts = (r: ShadowReportData): boolean => Object.values(r.counters).some((n) => n > 0);

/**
 * A worker's side: turns each routing state into the gateway's snapshot, with the worker's
 * own upstream pools, metrics buffers and shadow runtimes, and drains what they recorded
 * into reports. A shadow whose policy did not change keeps its runtime (and its in-flight
 * count) across states.
 */
export class WorkerRouting {
  private shadows = new Map<string, ShadowRuntime>();
  /** Reports of shadows that stopped since the last drain, still to be sent. */
  private stopped: ShadowReportData[] = [];
  private routed = new Set<string>();
  snapshot: RoutingSnapshot;

  constructor(
    private readonly components: readonly Component[],
    private readonly dispatcherFor: (origin: string) => Dispatcher,
    private readonly metrics: WorkerMetrics,
    state: RoutingState,
  ) {
    this.snapshot = this.apply(state);
  }

  apply(state: RoutingState): RoutingSnapshot {
    const shadows = new Map<string, ShadowRuntime>();
    for (const [component, policy] of state.shadows) {
      const running = this.shadows.get(component);
      shadows.set(
        component,
        running && JSON.stringify(running.policy) === JSON.stringify(policy)
          ? running
          : new ShadowRuntime(component, policy),
      );
    }
    for (const [component, runtime] of this.shadows) {
      if (shadows.get(component) !== runtime) {
        this.stopped.push(runtime.report.drain());
        void runtime.close();
      }
    }
    this.shadows = shadows;
    const byKey = new Map(state.versions.map((v) => [`${v.component}\0${v.number}`, v]));
    const retained = new Map(state.retained ?? []);
    this.routed = new Set(byKey.keys());
    // Unchanged entries keep their targets and routers (the first state has none to keep).
    this.snapshot = buildSnapshot(
      {
        components: this.components,
        aliases: new Map(state.aliases),
        version: (component, n) => byKey.get(`${component}\0${n}`),
        dispatcherFor: this.dispatcherFor,
        metrics: this.metrics,
        shadows,
        retained: (component) => retained.get(component) ?? [],
      },
      this.snapshot,
    );
    return this.snapshot;
  }

  /** Everything recorded since the last drain, or undefined when nothing was. */
  drain(): WorkerReport | undefined {
    const shadows = this.stopped;
    this.stopped = [];
    for (const runtime of this.shadows.values()) shadows.push(runtime.report.drain());
    const metrics = this.metrics.drain();
    // Metrics buffers of versions no longer routed are empty now: let them go.
    this.metrics.keepOnly((component, n) => this.routed.has(`${component}\0${n}`));
    const reports = shadows.filter(hasCounts);
    return metrics || reports.length ? { metrics, shadows: reports } : undefined;
  }
}
