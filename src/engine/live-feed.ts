import type { Clock, DeploymentEvent } from '../core/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { MetricsMark } from '../metrics/version-metrics.js';

/** One version's traffic over one sample window. */
export interface VersionRate {
  readonly component: string;
  readonly version: number;
  readonly requests: number;
  /** Requests per second over the window. */
  readonly rps: number;
  /** Share of 5xx answers in the window (0 without requests). */
  readonly errorRate: number;
  /** p99 latency in the window, ms (0 without requests). */
  readonly p99Ms: number;
}

export interface Sample {
  /** End of the window, ms since the epoch. */
  readonly at: number;
  readonly versions: readonly VersionRate[];
}

/** A subscriber receives whole Server-Sent Events, serialized once for everyone. */
export type FeedListener = (text: string) => void;

export interface LiveFeedDeps {
  readonly metrics: MetricsRecorder;
  /** The dashboard's view of every component (GET /v1/status), sent on change and each sample. */
  readonly status: () => unknown;
  /** Rates are per second of this clock: wall time, since traffic is real even when deployments run on a fake clock. */
  readonly clock: Clock;
  /** Samples kept for a dashboard that connects later. Default 300 (5 minutes at 1 s). */
  readonly keep?: number;
}

export const sseEvent = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * What the dashboard streams: one sample of every version's request rate, error rate and
 * p99 per interval (one computation, whatever the number of viewers), the status with it,
 * and each deployment event as it is stored.
 */
export class LiveFeed {
  private readonly marks = new Map<string, MetricsMark>();
  private readonly recent: Sample[] = [];
  private readonly listeners = new Set<FeedListener>();
  private lastAt: number;
  private timer: NodeJS.Timeout | undefined;
  private statusQueued = false;

  constructor(private readonly deps: LiveFeedDeps) {
    this.lastAt = deps.clock.now();
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Samples every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  /** Sends the recent samples and the status at once, then every new event; returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    listener(sseEvent('samples', this.recent) + sseEvent('status', this.deps.status()));
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes one window: every version's traffic since the previous sample. */
  sample(): Sample {
    const at = this.deps.clock.now();
    const seconds = Math.max(at - this.lastAt, 1) / 1000;
    const versions: VersionRate[] = [];
    const seen = new Set<string>();
    for (const m of this.deps.metrics.all()) {
      const key = `${m.component}:${m.version}`;
      seen.add(key);
      const w = m.since(this.marks.get(key));
      this.marks.set(key, m.mark());
      versions.push({
        component: m.component,
        version: m.version,
        requests: w.requests,
        rps: w.requests / seconds,
        errorRate: w.requests ? w.errors / w.requests : 0,
        p99Ms: w.p99Ms,
      });
    }
    // A forgotten (retired) version's mark holds a histogram copy: let it go too.
    for (const key of this.marks.keys()) if (!seen.has(key)) this.marks.delete(key);
    this.lastAt = at;
    const sample = { at, versions };
    this.recent.push(sample);
    if (this.recent.length > (this.deps.keep ?? 300)) this.recent.shift();
    if (this.listeners.size) this.broadcast(sseEvent('sample', sample) + sseEvent('status', this.deps.status()));
    return sample;
  }

  /** A stored deployment event: passed on, and the status follows once the transition is done. */
  deploymentEvent(event: DeploymentEvent & { deploymentId: string }): void {
    if (!this.listeners.size) return;
    this.broadcast(sseEvent('deployment', event));
    if (this.statusQueued) return;
    this.statusQueued = true;
    // One transition emits several events; the status is sent once, after all of them.
    setImmediate(() => {
      this.statusQueued = false;
      if (this.listeners.size) this.broadcast(sseEvent('status', this.deps.status()));
    });
  }

  private broadcast(text: string): void {
    for (const listener of this.listeners) listener(text);
  }
}
