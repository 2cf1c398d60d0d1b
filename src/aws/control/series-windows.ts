import { bucketUpperUs, LATENCY_BUCKETS, quantileBucket } from '../../core/index.js';
import type { MetricWindows, VersionWindow } from '../../controller/ports.js';
import type { ReadBrowserWindow } from './browser-windows.js';

/** One period of a version's traffic, as CloudWatch sums it. */
export interface MetricPeriod {
  /** Start of the period, epoch ms. */
  readonly at: number;
  readonly requests: number;
  readonly errors: number;
  /** Counts by core latency bucket (sparse: bucket index -> count). */
  readonly latency: ReadonlyMap<number, number>;
}

export const seriesKey = (component: string, version: number): string => `${component}:${version}`;

/**
 * The controller's metric windows over time series read before the tick (CloudWatch's
 * periods): a mark is a time, and a window holds the whole periods that start at or after
 * it, so a controller that lives one tick places a step's window at the step's start.
 */
export class SeriesWindows implements MetricWindows<number> {
  constructor(
    private readonly series: ReadonlyMap<string, readonly MetricPeriod[]>,
    private readonly now: () => number,
    /** A period counts once it is over. */
    private readonly periodMs = 60_000,
    /** Browser windows read before the tick (browser-windows.ts), by seriesKey. Default none. */
    private readonly browser: ReadonlyMap<string, ReadBrowserWindow> = new Map(),
  ) {}

  mark(): number {
    return this.now();
  }
  markAt(_component: string, _version: number, at: number): number {
    return at;
  }
  since(component: string, version: number, mark: number | undefined): VersionWindow {
    let requests = 0;
    let errors = 0;
    for (const p of this.periods(component, version, mark)) {
      requests += p.requests;
      errors += p.errors;
    }
    const latency = this.latency(component, version, mark);
    const ms = (q: number): number => (requests ? bucketUpperUs(quantileBucket(latency, q)) / 1000 : 0);
    // The browser window was read from the step's start: it is this window only when the mark is that.
    const read = this.browser.get(seriesKey(component, version));
    const browser = read && read.from === mark ? { browser: read.window } : {};
    return { requests, errors, latency, p50Ms: ms(0.5), p90Ms: ms(0.9), p99Ms: ms(0.99), ...browser };
  }
  latency(component: string, version: number, mark: number | undefined): Float64Array {
    const buckets = new Float64Array(LATENCY_BUCKETS);
    for (const p of this.periods(component, version, mark)) for (const [i, n] of p.latency) buckets[i]! += n;
    return buckets;
  }
  private periods(component: string, version: number, mark: number | undefined): readonly MetricPeriod[] {
    const end = this.now() - this.periodMs;
    const all = this.series.get(seriesKey(component, version)) ?? [];
    return all.filter((p) => p.at <= end && (mark === undefined || p.at >= mark));
  }
}
