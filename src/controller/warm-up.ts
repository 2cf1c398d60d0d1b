import { isActive, type Arm, type DeploymentState } from '../core/index.js';
import type { MetricWindows, VersionWindow } from './ports.js';

/** Both versions' marks at the end of a warm-up. */
interface WarmMarks<Mark> {
  readonly at: number;
  readonly fresh: Mark;
  readonly stable: Mark;
}

/** What this process saw of a warm-up: its start and, once over, its end. */
interface Seen<Mark> {
  readonly start: Mark | undefined;
  done?: WarmMarks<Mark>;
}

/** The judge's arms for a step, and whether the warm-up ended at this look. */
export interface WarmArms {
  readonly fresh: Arm;
  readonly stable: Arm;
  readonly warmedUp: boolean;
}

/**
 * The new version's warm-up in each deployment: its first `warmupRequests` requests run on
 * a cold process while the stable version's is warm, so the judge compares latency from
 * the end of the warm-up, for both versions alike (errors count from the first request).
 *
 * Where metrics are a time series (marks can be placed in the past), the warm-up is read
 * from the state (`trafficStartedAt`, `warmedUpAt`, which the reducer records), so a
 * controller that lives one tick long knows it. Counters kept in memory cannot be read
 * back: this process remembers what it saw, and after a restart the new version's
 * processes are fresh again too, so it warms up again.
 */
export class WarmUps<Mark> {
  private readonly seen = new Map<string, Seen<Mark>>();

  /** After a transition: the warm-up begins with the first traffic and is let go at the end. */
  follow(state: DeploymentState, before: DeploymentState, metrics: MetricWindows<Mark>): void {
    if (!isActive(state.status)) this.seen.delete(state.id);
    else if (before.step < 0 && state.step >= 0)
      this.seen.set(state.id, { start: metrics.mark(state.component, state.toVersion) });
  }

  /** The end of the warm-up as marks, if known (stored, or seen by this process). */
  private ended(s: DeploymentState, metrics: MetricWindows<Mark>, seen: Seen<Mark>): WarmMarks<Mark> | undefined {
    if (s.warmedUpAt !== undefined) {
      const fresh = metrics.markAt(s.component, s.toVersion, s.warmedUpAt);
      const stable = metrics.markAt(s.component, s.fromVersion, s.warmedUpAt);
      if (fresh !== undefined && stable !== undefined) return { at: s.warmedUpAt, fresh, stable };
    }
    return seen.done;
  }

  /**
   * The judge's two arms: this step's windows (`fresh`, and the stable one's since `mark`),
   * their latency from the end of the warm-up when it ended during the step.
   */
  arms(
    s: DeploymentState,
    metrics: MetricWindows<Mark>,
    mark: { readonly at: number; readonly stable: Mark } | undefined,
    fresh: VersionWindow,
    warmupRequests: number,
    now: number,
  ): WarmArms {
    const stable = metrics.since(s.component, s.fromVersion, mark?.stable);
    let seen = this.seen.get(s.id);
    if (!seen) {
      const start =
        s.trafficStartedAt === undefined ? undefined : metrics.markAt(s.component, s.toVersion, s.trafficStartedAt);
      this.seen.set(s.id, (seen = { start }));
    }
    let done = this.ended(s, metrics, seen);
    let warmedUp = false;
    if (!done) {
      const served = metrics.since(s.component, s.toVersion, seen.start).requests;
      if (served < warmupRequests) return { fresh: { ...fresh, warmingUp: warmupRequests - served }, stable, warmedUp };
      done = seen.done = {
        at: now,
        fresh: metrics.mark(s.component, s.toVersion),
        stable: metrics.mark(s.component, s.fromVersion),
      };
      warmedUp = true;
    }
    if (mark && done.at <= mark.at) return { fresh, stable, warmedUp };
    return {
      fresh: { ...fresh, latency: metrics.latency(s.component, s.toVersion, done.fresh) },
      stable: { ...stable, latency: metrics.latency(s.component, s.fromVersion, done.stable) },
      warmedUp,
    };
  }
}
