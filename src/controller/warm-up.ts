import { isActive, type Arm, type DeploymentState } from '../core/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { MetricsMark, VersionWindow } from '../metrics/version-metrics.js';

/** Where a new version's warm-up began (its request count) and, once over, both latencies then. */
interface WarmUp {
  readonly from: number;
  done?: { readonly at: number; readonly fresh: Float64Array; readonly stable: Float64Array };
}

/**
 * The new version's warm-up in each deployment: its first `warmupRequests` requests run on
 * a cold process while the stable version's is warm, so the judge compares latency from
 * the end of the warm-up, for both versions alike (errors count from the first request).
 * Kept in memory: after a restart the new version's processes are fresh again too.
 */
export class WarmUps {
  private readonly byDeployment = new Map<string, WarmUp>();

  /** After a transition: the warm-up begins with the first traffic and is let go at the end. */
  follow(state: DeploymentState, before: DeploymentState, metrics: MetricsRecorder): void {
    if (!isActive(state.status)) this.byDeployment.delete(state.id);
    else if (before.step < 0 && state.step >= 0)
      this.byDeployment.set(state.id, { from: metrics.forVersion(state.component, state.toVersion).requests });
  }

  /**
   * The judge's two arms: this step's windows (`fresh`, and the stable one's since `mark`),
   * their latency from the end of the warm-up when it ended during the step.
   */
  arms(
    s: DeploymentState,
    metrics: MetricsRecorder,
    mark: { readonly at: number; readonly fresh: MetricsMark; readonly stable: MetricsMark } | undefined,
    fresh: VersionWindow,
    warmupRequests: number,
    now: number,
  ): { fresh: Arm; stable: Arm } {
    const versions = {
      fresh: metrics.forVersion(s.component, s.toVersion),
      stable: metrics.forVersion(s.component, s.fromVersion),
    };
    const stable = versions.stable.since(mark?.stable);
    let w = this.byDeployment.get(s.id);
    if (!w) this.byDeployment.set(s.id, (w = { from: 0 }));
    const seen = versions.fresh.requests - w.from;
    if (!w.done && seen >= warmupRequests)
      w.done = { at: now, fresh: versions.fresh.latencySince(), stable: versions.stable.latencySince() };
    if (!w.done) return { fresh: { ...fresh, warmingUp: warmupRequests - seen }, stable };
    if (mark && w.done.at <= mark.at) return { fresh, stable };
    // The windows are this call's own copies: take the warm-up's share out of them in place.
    return {
      fresh: { ...fresh, latency: withoutWarmUp(fresh.latency, w.done.fresh, mark?.fresh.buckets) },
      stable: { ...stable, latency: withoutWarmUp(stable.latency, w.done.stable, mark?.stable.buckets) },
    };
  }
}

/** `window` (counts since `from`, or all) minus what was counted by the warm-up's end (`warm`). */
function withoutWarmUp(window: Float64Array, warm: Float64Array, from: Float64Array | undefined): Float64Array {
  for (let i = 0; i < window.length; i++) window[i]! -= warm[i]! - (from?.[i] ?? 0);
  return window;
}
