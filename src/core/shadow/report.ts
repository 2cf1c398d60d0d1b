import { latencyBucket } from '../latency-buckets.js';
import { compareResponses, type CapturedResponse, type FieldDiffKind } from './compare.js';
import { DEFAULT_IGNORED_HEADERS } from './defaults.js';
import type { ShadowPolicy } from './policy.js';
import { summarizeShadowReport, type ShadowSummary } from './summary.js';

/** Bounds that keep a report's memory and storage small whatever the traffic. */
const MAX_ENDPOINTS = 200;
const MAX_FIELDS = 100;
const MAX_SAMPLES = 3;
const SAMPLE_CHARS = 200;

export interface FieldStats {
  /** Requests where the shadow differed from the live version here. */
  raw: number;
  /** Requests where a second copy of the live version differed from it here. */
  noise: number;
  kinds: Partial<Record<FieldDiffKind, number>>;
  samples: { path: string; primary: string; shadow: string }[];
}

export interface EndpointStats {
  compared: number;
  /** Compared with a noise copy too (the denominator of noise rates). */
  withNoise: number;
  fields: Record<string, FieldStats>;
  /** Sparse latency buckets (latency-buckets.ts). */
  primaryLatency: Record<number, number>;
  shadowLatency: Record<number, number>;
}

export interface ShadowCounters {
  /** Requests chosen for mirroring. */
  mirrored: number;
  compared: number;
  /** Not mirrored: the in-flight cap was reached (the shadow is slow or down). */
  droppedInFlight: number;
  /** Not compared: a body was over the cap. */
  skippedBodyCap: number;
  shadowErrors: number;
  shadowTimeouts: number;
  /** The primary failed or the client went away: nothing to compare with. */
  primaryIncomplete: number;
}

export interface ShadowReportData {
  readonly component: string;
  readonly version: number;
  counters: ShadowCounters;
  endpoints: Record<string, EndpointStats>;
}

const clip = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > SAMPLE_CHARS ? `${s.slice(0, SAMPLE_CHARS)}…` : s;
};

const zeroCounters = (): ShadowCounters => ({
  mirrored: 0,
  compared: 0,
  droppedInFlight: 0,
  skippedBodyCap: 0,
  shadowErrors: 0,
  shadowTimeouts: 0,
  primaryIncomplete: 0,
});

function addCounts<K extends string | number>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
): void {
  for (const key of Object.keys(from) as K[]) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/**
 * Aggregates comparisons of one component's shadow version (`policy.version`), bounded in
 * size; `stored` is the report saved so far, to go on with. Pure: it is fed what the
 * gateway's mirror captured, and its data is what the store keeps and workers send.
 */
export class ShadowReport {
  readonly data: ShadowReportData;
  private readonly ignoredHeaders: ReadonlySet<string>;

  constructor(
    component: string,
    private readonly policy: ShadowPolicy,
    stored?: ShadowReportData,
  ) {
    this.data = stored ?? { component, version: policy.version, counters: zeroCounters(), endpoints: {} };
    this.ignoredHeaders = new Set([...DEFAULT_IGNORED_HEADERS, ...policy.ignoreHeaders]);
  }

  /** What was added since the last drain (a gateway worker's report), and starts afresh. */
  drain(): ShadowReportData {
    const { component, version, counters, endpoints } = this.data;
    this.data.counters = zeroCounters();
    this.data.endpoints = {};
    return { component, version, counters, endpoints };
  }

  /** Adds a gateway worker's drained report, within the same bounds as `add`. */
  absorb(delta: ShadowReportData): void {
    for (const key of Object.keys(delta.counters) as (keyof ShadowCounters)[]) {
      this.data.counters[key] += delta.counters[key];
    }
    for (const [name, from] of Object.entries(delta.endpoints)) {
      const ep = this.endpoint(name);
      ep.compared += from.compared;
      ep.withNoise += from.withNoise;
      addCounts(ep.primaryLatency, from.primaryLatency);
      addCounts(ep.shadowLatency, from.shadowLatency);
      for (const [fieldName, f] of Object.entries(from.fields)) {
        const into = ep.fields[fieldName] ?? this.newField(ep, fieldName);
        if (!into) continue;
        into.raw += f.raw;
        into.noise += f.noise;
        addCounts(into.kinds, f.kinds);
        for (const sample of f.samples) if (into.samples.length < MAX_SAMPLES) into.samples.push(sample);
      }
    }
  }

  private newField(ep: EndpointStats, name: string): FieldStats | undefined {
    if (Object.keys(ep.fields).length >= MAX_FIELDS) return undefined;
    return (ep.fields[name] = { raw: 0, noise: 0, kinds: {}, samples: [] });
  }

  private endpoint(name: string): EndpointStats {
    const eps = this.data.endpoints;
    const key = name in eps || Object.keys(eps).length < MAX_ENDPOINTS ? name : '(other endpoints)';
    return (eps[key] ??= { compared: 0, withNoise: 0, fields: {}, primaryLatency: {}, shadowLatency: {} });
  }

  /** Adds one comparison: the live answer, the shadow's, and optionally a second live one. */
  add(
    endpointName: string,
    primary: CapturedResponse,
    shadow: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void {
    const ep = this.endpoint(endpointName);
    this.data.counters.compared++;
    ep.compared++;
    const lb = (us: number): number => latencyBucket(us);
    ep.primaryLatency[lb(primary.latencyUs)] = (ep.primaryLatency[lb(primary.latencyUs)] ?? 0) + 1;
    ep.shadowLatency[lb(shadow.latencyUs)] = (ep.shadowLatency[lb(shadow.latencyUs)] ?? 0) + 1;
    const field = (name: string): FieldStats | undefined => ep.fields[name] ?? this.newField(ep, name);
    const seen = new Set<string>();
    for (const d of compareResponses(primary, shadow, this.policy, this.ignoredHeaders)) {
      const f = field(d.field);
      if (!f) continue;
      f.kinds[d.kind] = (f.kinds[d.kind] ?? 0) + 1;
      if (seen.has(d.field)) continue;
      seen.add(d.field);
      f.raw++;
      if (f.samples.length < MAX_SAMPLES)
        f.samples.push({ path: d.path, primary: clip(d.primary), shadow: clip(d.shadow) });
    }
    if (!secondary) return;
    ep.withNoise++;
    const noisy = new Set(compareResponses(primary, secondary, this.policy, this.ignoredHeaders).map((d) => d.field));
    for (const name of noisy) {
      const f = field(name);
      if (f) f.noise++;
    }
  }

  summary(): ShadowSummary {
    return summarizeShadowReport(this.data);
  }
}
