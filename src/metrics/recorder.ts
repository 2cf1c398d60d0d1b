import { ExposureTracker } from './exposure.js';
import type { GatewayLogEntry } from '../api/types.js';
import {
  VersionMetrics,
  type LogListener,
  type VersionMetricsSnapshot,
  type VersionRecorder,
} from './version-metrics.js';
import type { MetricsDelta } from './worker-metrics.js';

/** Where the routing snapshot finds each version's recorder. */
export interface VersionRecorders {
  forVersion(component: string, version: number): VersionRecorder;
}

/** Where the gateway counts what it absorbed instead of failing. */
export interface FallbackCounter {
  countFallback(reason: string): void;
}

/**
 * Per-version metrics for every component, plus counters of what the gateway absorbed
 * instead of failing (fallbacks to stable, unknown routes, client errors).
 */
export class MetricsRecorder implements VersionRecorders, FallbackCounter {
  private readonly versions = new Map<string, Map<number, VersionMetrics>>();
  /** Per component, the exposure trackers of its running deployments. */
  private readonly exposure = new Map<string, ExposureTracker[]>();
  /** Named counters of fail-safe events, e.g. `bad-identity-header`, `unknown-route`. */
  readonly fallbacks = new Map<string, number>();

  /** `onLog`: told of every gateway log entry, from this process's gateway or a worker's. */
  constructor(private readonly options: { readonly onLog?: LogListener } = {}) {}

  forVersion(component: string, version: number): VersionMetrics {
    let byNumber = this.versions.get(component);
    if (!byNumber) this.versions.set(component, (byNumber = new Map()));
    let m = byNumber.get(version);
    if (!m)
      byNumber.set(
        version,
        (m = new VersionMetrics(component, version, this.trackersOf(component), this.options.onLog)),
      );
    return m;
  }

  /** The recent log entries of a component's versions (of `version` only if given), oldest first, the last `limit`. */
  logs(component: string, version: number | undefined, limit: number): GatewayLogEntry[] {
    const byNumber = this.versions.get(component);
    if (!byNumber) return [];
    const one = version === undefined ? undefined : byNumber.get(version);
    const sources = version === undefined ? [...byNumber.values()] : one ? [one] : [];
    const all = sources.flatMap((m) => m.logs.entries()).sort((a, b) => a.at - b.at);
    return all.slice(Math.max(0, all.length - limit));
  }

  /**
   * Drops a version's metrics (it was retired or deleted: it can never serve again). Without
   * this, every release would leave its histograms and user counters in memory for good.
   */
  forget(component: string, version: number): void {
    this.versions.get(component)?.delete(version);
  }

  /** Every version seen so far, of every component. */
  *all(): IterableIterator<VersionMetrics> {
    for (const byNumber of this.versions.values()) yield* byNumber.values();
  }

  private trackersOf(component: string): ExposureTracker[] {
    let list = this.exposure.get(component);
    if (!list) this.exposure.set(component, (list = []));
    return list;
  }

  /** Starts (or returns) the exposure tracker of a deployment. */
  trackExposure(component: string, deploymentId: string, version: number): ExposureTracker {
    const list = this.trackersOf(component);
    let tracker = list.find((t) => t.deploymentId === deploymentId);
    if (!tracker) list.push((tracker = new ExposureTracker(deploymentId, version)));
    return tracker;
  }

  findExposure(component: string, deploymentId: string): ExposureTracker | undefined {
    return this.exposure.get(component)?.find((t) => t.deploymentId === deploymentId);
  }

  stopExposure(component: string, deploymentId: string): void {
    const list = this.trackersOf(component);
    const at = list.findIndex((t) => t.deploymentId === deploymentId);
    if (at !== -1) list.splice(at, 1);
  }

  countFallback(reason: string, n = 1): void {
    this.fallbacks.set(reason, (this.fallbacks.get(reason) ?? 0) + n);
  }

  /**
   * Adds a gateway worker's report. A version whose metrics were already forgotten (it was
   * retired while the report was on its way) stays forgotten.
   */
  absorb(delta: MetricsDelta): void {
    for (const v of delta.versions) this.versions.get(v.component)?.get(v.version)?.absorb(v);
    for (const [reason, n] of delta.fallbacks) this.countFallback(reason, n);
  }

  snapshot(): { versions: VersionMetricsSnapshot[]; fallbacks: Record<string, number> } {
    const versions: VersionMetricsSnapshot[] = [];
    for (const byNumber of this.versions.values()) for (const m of byNumber.values()) versions.push(m.snapshot());
    return { versions, fallbacks: Object.fromEntries(this.fallbacks) };
  }
}
