import { VersionMetrics, type VersionMetricsSnapshot } from './version-metrics.js';

/**
 * Per-version metrics for every component, plus counters of what the gateway absorbed
 * instead of failing (fallbacks to stable, unknown routes, client errors).
 */
export class MetricsRecorder {
  private readonly versions = new Map<string, Map<number, VersionMetrics>>();
  /** Named counters of fail-safe events, e.g. `bad-identity-header`, `unknown-route`. */
  readonly fallbacks = new Map<string, number>();

  forVersion(component: string, version: number): VersionMetrics {
    let byNumber = this.versions.get(component);
    if (!byNumber) this.versions.set(component, (byNumber = new Map()));
    let m = byNumber.get(version);
    if (!m) byNumber.set(version, (m = new VersionMetrics(component, version)));
    return m;
  }

  countFallback(reason: string): void {
    this.fallbacks.set(reason, (this.fallbacks.get(reason) ?? 0) + 1);
  }

  snapshot(): { versions: VersionMetricsSnapshot[]; fallbacks: Record<string, number> } {
    const versions: VersionMetricsSnapshot[] = [];
    for (const byNumber of this.versions.values()) for (const m of byNumber.values()) versions.push(m.snapshot());
    return { versions, fallbacks: Object.fromEntries(this.fallbacks) };
  }
}
