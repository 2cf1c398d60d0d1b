import * as hdr from 'hdr-histogram-js';
import {
  latencyBucket,
  LATENCY_BUCKETS,
  type Arm,
  type BrowserBeat,
  type BrowserWindow,
  type WindowStats,
} from '../core/index.js';
import { BrowserMetrics } from './browser-metrics.js';
import { DistinctCounter } from './distinct-counter.js';
import type { ExposureTracker } from './exposure.js';
import type { VersionDelta } from './version-delta.js';
import type { GatewayLogEntry, VersionMetricsSnapshot } from '../api/types.js';
import { VersionLog } from './version-log.js';

/** Latencies are recorded in microseconds, from 1 µs to 10 minutes, 2 significant digits. */
const HIGHEST_LATENCY_US = 600_000_000;

// A version's counters and snapshot have the admin API's shapes (they are its answers).
export type { VersionCounters, VersionMetricsSnapshot } from '../api/types.js';

export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_LATENCY_US,
    numberOfSignificantValueDigits: 2,
    useWebAssembly: false,
  });
}

/** The counters at one moment, to measure a window from (e.g. a deployment step's start). */
export interface MetricsMark {
  readonly requests: number;
  readonly errors5xx: number;
  readonly latency: hdr.Histogram;
  readonly buckets: Float64Array;
  /** The browser signals' mark. */
  readonly browser: number;
}

/** A version's traffic in a window: what alarms read, and what the judge compares. */
export type VersionWindow = WindowStats &
  Arm & { readonly latency: Float64Array; readonly browser?: BrowserWindow | undefined };

export type Outcome = 'response' | 'upstream-error' | 'upstream-timeout';

/** What the gateway records one answer into: a version's metrics, or a worker's buffer of them. */
export interface VersionRecorder {
  record(status: number, latencyUs: number, outcome: Outcome, userId: string | undefined): void;
  /** An HTTP Upgrade asked of the version: switched (a tunnel opened) or not. Its answer is recorded too. */
  countUpgrade(switched: boolean): void;
  /** Why the gateway gave or replaced an answer for the version (its answer is recorded too). */
  log(entry: GatewayLogEntry): void;
  /** A beacon from a page the version served, attributed by the gateway. */
  recordBrowser(beat: BrowserBeat): void;
}

/** Told of every log entry as it is recorded (e.g. `onebox serve` prints it). */
export type LogListener = (entry: GatewayLogEntry) => void;

/** A version's request counts and latencies, without its users. */
export class VersionCounts {
  requests = 0;
  errors5xx = 0;
  upstreamErrors = 0;
  upstreamTimeouts = 0;
  upgrades = 0;
  upgradeFailures = 0;
  protected readonly latency = newHistogram();
  /** Coarse log buckets, comparable across versions, for the judge's rank and tail tests. */
  protected readonly buckets = new Float64Array(LATENCY_BUCKETS);

  protected count(status: number, latencyUs: number, outcome: Outcome): void {
    this.requests++;
    if (status >= 500) this.errors5xx++;
    if (outcome === 'upstream-error') this.upstreamErrors++;
    else if (outcome === 'upstream-timeout') this.upstreamTimeouts++;
    this.latency.recordValue(Math.min(Math.max(1, Math.round(latencyUs)), HIGHEST_LATENCY_US));
    this.buckets[latencyBucket(latencyUs)]!++;
  }

  countUpgrade(switched: boolean): void {
    if (switched) this.upgrades++;
    else this.upgradeFailures++;
  }
}

/** Counters, a latency histogram and distinct users for one version of one component. */
export class VersionMetrics extends VersionCounts implements VersionRecorder {
  readonly users = new DistinctCounter();
  /** The gateway's recent failure answers for this version. */
  readonly logs = new VersionLog();
  /** What its pages reported from the browser; created with the first beacon. */
  private browserSignals: BrowserMetrics | undefined;

  constructor(
    readonly component: string,
    readonly version: number,
    /** The component's running deployments' trackers, shared by all its versions. */
    private readonly exposure: ExposureTracker[] = [],
    private readonly onLog?: LogListener,
  ) {
    super();
  }

  log(entry: GatewayLogEntry): void {
    this.logs.push(entry);
    this.onLog?.(entry);
  }

  record(status: number, latencyUs: number, outcome: Outcome, userId: string | undefined): void {
    this.count(status, latencyUs, outcome);
    if (userId !== undefined) this.see(userId);
  }

  recordBrowser(beat: BrowserBeat): void {
    (this.browserSignals ??= new BrowserMetrics()).record(beat);
  }

  private see(userId: string): void {
    this.users.add(userId);
    for (const tracker of this.exposure) tracker.see(this.version, userId);
  }

  /** Adds what a gateway worker recorded since its last report. */
  absorb(delta: VersionDelta): void {
    this.requests += delta.requests;
    this.errors5xx += delta.errors5xx;
    this.upstreamErrors += delta.upstreamErrors;
    this.upstreamTimeouts += delta.upstreamTimeouts;
    this.upgrades += delta.upgrades;
    this.upgradeFailures += delta.upgradeFailures;
    for (const entry of delta.logs) this.log(entry);
    this.latency.add(hdr.decodeFromCompressedBase64(delta.latency, 32, false));
    for (const [i, n] of delta.buckets) this.buckets[i]! += n;
    for (const id of delta.users) this.see(id);
    for (const beat of delta.browser ?? []) this.recordBrowser(beat);
  }

  mark(): MetricsMark {
    const latency = newHistogram();
    latency.add(this.latency);
    return {
      requests: this.requests,
      errors5xx: this.errors5xx,
      latency,
      buckets: this.buckets.slice(),
      browser: this.browserSignals?.mark() ?? 0,
    };
  }

  /** The latency bucket counts since `from` (counts taken earlier from this method), or all of them. */
  latencySince(from?: Float64Array): Float64Array {
    const buckets = this.buckets.slice();
    if (from) for (let i = 0; i < buckets.length; i++) buckets[i]! -= from[i]!;
    return buckets;
  }

  /** Traffic since `mark` (since the process started when no mark is given). */
  since(mark: MetricsMark | undefined): VersionWindow {
    const window = newHistogram();
    window.add(this.latency);
    if (mark) window.subtract(mark.latency);
    // A bucket's upper edge can exceed the largest value seen: clamp to it.
    const ms = (p: number): number =>
      window.totalCount ? Math.min(window.getValueAtPercentile(p), window.maxValue) / 1000 : 0;
    const buckets = this.buckets.slice();
    if (mark) for (let i = 0; i < buckets.length; i++) buckets[i]! -= mark.buckets[i]!;
    return {
      requests: this.requests - (mark?.requests ?? 0),
      errors: this.errors5xx - (mark?.errors5xx ?? 0),
      latency: buckets,
      p50Ms: ms(50),
      p90Ms: ms(90),
      p99Ms: ms(99),
      browser: this.browserSignals?.since(mark?.browser),
    };
  }

  snapshot(): VersionMetricsSnapshot {
    const ms = (p: number): number => Math.min(this.latency.getValueAtPercentile(p), this.latency.maxValue) / 1000;
    return {
      component: this.component,
      version: this.version,
      requests: this.requests,
      errors5xx: this.errors5xx,
      upstreamErrors: this.upstreamErrors,
      upstreamTimeouts: this.upstreamTimeouts,
      upgrades: this.upgrades,
      upgradeFailures: this.upgradeFailures,
      latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: this.latency.maxValue / 1000 },
      users: this.users.count,
      usersExact: this.users.isExact,
      ...(this.browserSignals ? { browser: this.browserSignals.snapshot() } : {}),
    };
  }
}
