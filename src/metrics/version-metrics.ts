import * as hdr from 'hdr-histogram-js';
import { DistinctCounter } from './distinct-counter.js';

/** Latencies are recorded in microseconds, from 1 µs to 10 minutes, 2 significant digits. */
const HIGHEST_LATENCY_US = 600_000_000;

export interface VersionMetricsSnapshot {
  readonly component: string;
  readonly version: number;
  readonly requests: number;
  /** Responses with status >= 500, including onebox's own 502/504. */
  readonly errors5xx: number;
  /** Upstream could not be reached or failed mid-response. */
  readonly upstreamErrors: number;
  /** Upstream did not answer in time. */
  readonly upstreamTimeouts: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number };
  readonly users: number;
  readonly usersExact: boolean;
}

export type Outcome = 'response' | 'upstream-error' | 'upstream-timeout';

/** Counters and a latency histogram for one version of one component. */
export class VersionMetrics {
  requests = 0;
  errors5xx = 0;
  upstreamErrors = 0;
  upstreamTimeouts = 0;
  readonly users = new DistinctCounter();
  private readonly latency = hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_LATENCY_US,
    numberOfSignificantValueDigits: 2,
    useWebAssembly: false,
  });

  constructor(
    readonly component: string,
    readonly version: number,
  ) {}

  record(status: number, latencyUs: number, outcome: Outcome, userId: string | undefined): void {
    this.requests++;
    if (status >= 500) this.errors5xx++;
    if (outcome === 'upstream-error') this.upstreamErrors++;
    else if (outcome === 'upstream-timeout') this.upstreamTimeouts++;
    this.latency.recordValue(Math.min(Math.max(1, Math.round(latencyUs)), HIGHEST_LATENCY_US));
    if (userId !== undefined) this.users.add(userId);
  }

  snapshot(): VersionMetricsSnapshot {
    const ms = (p: number): number => this.latency.getValueAtPercentile(p) / 1000;
    return {
      component: this.component,
      version: this.version,
      requests: this.requests,
      errors5xx: this.errors5xx,
      upstreamErrors: this.upstreamErrors,
      upstreamTimeouts: this.upstreamTimeouts,
      latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: this.latency.maxValue / 1000 },
      users: this.users.count,
      usersExact: this.users.isExact,
    };
  }
}
