import * as hdr from 'hdr-histogram-js';
import type { GatewayLogEntry } from '../api/types.js';
import type { BrowserBeat } from '../core/index.js';
import { VERSION_LOG_CAPACITY } from './version-log.js';
import { VersionCounts, type Outcome, type VersionCounters, type VersionRecorder } from './version-metrics.js';

/** What a gateway worker recorded for one version since its last report to the primary. */
export interface VersionDelta extends VersionCounters {
  /** The latency histogram (µs), hdr-histogram's compressed base64 encoding. */
  readonly latency: string;
  /** Non-empty latency buckets as [index, count]. */
  readonly buckets: readonly (readonly [number, number])[];
  /** Distinct user ids served (each once per report). */
  readonly users: readonly string[];
  /** Log entries since the last report (the newest ones, at most a version log's capacity). */
  readonly logs: readonly GatewayLogEntry[];
  /** Beacons since the last report (deduplicated in the primary, where all workers' meet). */
  readonly browser?: readonly BrowserBeat[] | undefined;
}

/** Beacons a worker holds for one version between reports; past it, the newest are dropped (and counted by the primary's rate limits anyway). */
const BEATS_PER_REPORT = 10_000;

/**
 * A worker's recorder for one version: counts like VersionMetrics, but keeps the user ids
 * themselves until the next report, since distinct users and exposure are counted once, in
 * the primary, across all workers.
 */
export class VersionBuffer extends VersionCounts implements VersionRecorder {
  private users = new Set<string>();
  private logs: GatewayLogEntry[] = [];
  private beats: BrowserBeat[] = [];

  constructor(
    readonly component: string,
    readonly version: number,
  ) {
    super();
  }

  record(status: number, latencyUs: number, outcome: Outcome, userId: string | undefined): void {
    this.count(status, latencyUs, outcome);
    if (userId !== undefined) this.users.add(userId);
  }

  log(entry: GatewayLogEntry): void {
    // Only the newest reach the primary's ring anyway.
    if (this.logs.length === VERSION_LOG_CAPACITY) this.logs.shift();
    this.logs.push(entry);
  }

  recordBrowser(beat: BrowserBeat): void {
    if (this.beats.length < BEATS_PER_REPORT) this.beats.push(beat);
  }

  /** What was recorded since the last drain (undefined if nothing), and starts afresh. */
  drain(): VersionDelta | undefined {
    if (this.requests === 0 && this.logs.length === 0 && this.beats.length === 0) return undefined;
    const buckets: [number, number][] = [];
    for (let i = 0; i < this.buckets.length; i++) if (this.buckets[i]! > 0) buckets.push([i, this.buckets[i]!]);
    const delta: VersionDelta = {
      component: this.component,
      version: this.version,
      requests: this.requests,
      errors5xx: this.errors5xx,
      upstreamErrors: this.upstreamErrors,
      upstreamTimeouts: this.upstreamTimeouts,
      upgrades: this.upgrades,
      upgradeFailures: this.upgradeFailures,
      latency: hdr.encodeIntoCompressedBase64(this.latency),
      buckets,
      users: [...this.users],
      logs: this.logs,
      ...(this.beats.length ? { browser: this.beats } : {}),
    };
    this.beats = [];
    this.requests = this.errors5xx = this.upstreamErrors = this.upstreamTimeouts = 0;
    this.upgrades = this.upgradeFailures = 0;
    this.logs = [];
    this.latency.reset();
    this.buckets.fill(0);
    this.users = new Set();
    return delta;
  }
}
