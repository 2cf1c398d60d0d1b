import { bucketUpperUs } from '../latency-buckets.js';
import { isSignificant } from './noise.js';
import type { ShadowCounters, ShadowReportData } from './report.js';

export interface ShadowSummary {
  readonly component: string;
  readonly version: number;
  readonly counters: ShadowCounters;
  /** No significant difference on any endpoint. */
  readonly clean: boolean;
  readonly endpoints: readonly {
    readonly endpoint: string;
    readonly compared: number;
    /** Requests that differed on the most-differing reported field (a lower bound of requests with any). */
    readonly differed: number;
    readonly fields: readonly {
      path: string;
      differed: number;
      noise: number;
      kinds: object;
      samples: readonly object[];
    }[];
    /** Fields that differed only as often as the live version differs from itself. */
    readonly noiseOnly: readonly string[];
    readonly latency: { primary: LatencyQuantiles; shadow: LatencyQuantiles };
  }[];
}

export interface LatencyQuantiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function quantiles(sparse: Record<number, number>): LatencyQuantiles {
  const entries = Object.entries(sparse)
    .map(([b, n]) => [Number(b), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const at = (q: number): number => {
    if (!total) return 0;
    let seen = 0;
    for (const [b, n] of entries) {
      seen += n;
      if (seen >= Math.ceil(q * total)) return bucketUpperUs(b) / 1000;
    }
    return 0;
  };
  return { p50Ms: Number(at(0.5).toFixed(2)), p99Ms: Number(at(0.99).toFixed(2)) };
}

/**
 * What a report says: per endpoint, the fields that differed significantly (above the
 * noise when a noise copy was asked, else every difference), their samples, and latency
 * quantiles of both versions. The same for a running report and a stored one.
 */
export function summarizeShadowReport(data: ShadowReportData): ShadowSummary {
  const endpoints = Object.entries(data.endpoints).map(([name, ep]) => {
    const fields = Object.entries(ep.fields)
      .map(([path, f]) => {
        // With a noise copy, Diffy's rule on comparable rates; without one, every difference counts.
        const noiseRate = ep.withNoise ? f.noise / ep.withNoise : 0;
        const expectedNoise = noiseRate * ep.compared;
        const significant = ep.withNoise ? isSignificant(f.raw, expectedNoise, ep.compared) : f.raw > 0;
        return {
          path,
          differed: f.raw,
          noise: Math.round(expectedNoise),
          significant,
          kinds: f.kinds,
          samples: f.samples,
        };
      })
      .sort((a, b) => b.differed - a.differed);
    const reported = fields.filter((f) => f.significant);
    return {
      endpoint: name,
      compared: ep.compared,
      differed: reported.reduce((m, f) => Math.max(m, f.differed), 0),
      fields: reported,
      noiseOnly: fields.filter((f) => !f.significant && f.differed > 0).map((f) => f.path),
      latency: { primary: quantiles(ep.primaryLatency), shadow: quantiles(ep.shadowLatency) },
    };
  });
  endpoints.sort((a, b) => b.differed - a.differed || b.compared - a.compared);
  return {
    component: data.component,
    version: data.version,
    counters: data.counters,
    clean: endpoints.every((e) => e.fields.length === 0),
    endpoints,
  };
}
