import {
  bucketUpperUs,
  diffJson,
  groupPath,
  isSignificant,
  latencyBucket,
  type DifferenceKind,
} from '../core/index.js';
import type { ShadowPolicy } from './policy.js';

/** Bounds that keep a report's memory and storage small whatever the traffic. */
const MAX_ENDPOINTS = 200;
const MAX_FIELDS = 100;
const MAX_SAMPLES = 3;
const SAMPLE_CHARS = 200;

interface FieldStats {
  /** Requests where the shadow differed from the live version here. */
  raw: number;
  /** Requests where a second copy of the live version differed from it here. */
  noise: number;
  kinds: Partial<Record<DifferenceKind | 'status' | 'header' | 'text', number>>;
  samples: { path: string; primary: string; shadow: string }[];
}

interface EndpointStats {
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

/** One captured answer: status, headers (lowercased) and the body text (under the cap). */
export interface CapturedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly latencyUs: number;
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

function addCounts<K extends string | number>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const key of Object.keys(from) as K[]) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/** Parsed bodies, so the live answer is parsed once though compared twice (shadow, noise). */
const parsed = new WeakMap<CapturedResponse, { ok: true; value: unknown } | { ok: false }>();

function parseJson(r: CapturedResponse): { ok: true; value: unknown } | { ok: false } {
  let result = parsed.get(r);
  if (result) return result;
  if (!r.headers['content-type']?.includes('json') && !/^\s*[[{]/.test(r.body)) result = { ok: false };
  else {
    try {
      result = { ok: true, value: JSON.parse(r.body) };
    } catch {
      result = { ok: false };
    }
  }
  parsed.set(r, result);
  return result;
}

interface FieldDiff {
  readonly field: string;
  readonly kind: keyof FieldStats['kinds'];
  readonly path: string;
  readonly primary: unknown;
  readonly shadow: unknown;
}

/** Every difference between two answers: status, compared headers, body (JSON or text). */
export function compareResponses(
  a: CapturedResponse,
  b: CapturedResponse,
  policy: ShadowPolicy,
  ignoredHeaders: ReadonlySet<string>,
): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (a.status !== b.status)
    out.push({ field: 'status', kind: 'status', path: 'status', primary: a.status, shadow: b.status });
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  for (const name of names) {
    if (ignoredHeaders.has(name)) continue;
    if (a.headers[name] !== b.headers[name]) {
      out.push({
        field: `header ${name}`,
        kind: 'header',
        path: `header ${name}`,
        primary: a.headers[name],
        shadow: b.headers[name],
      });
    }
  }
  // Identical bytes need no parsing: the common case for a shadow that behaves.
  if (a.body === b.body) return out;
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (ja.ok && jb.ok) {
    for (const d of diffJson(ja.value, jb.value, new Set(policy.ignorePaths), MAX_FIELDS)) {
      out.push({ field: groupPath(d.path), kind: d.kind, path: d.path, primary: d.primary, shadow: d.shadow });
    }
  } else if (a.body !== b.body) {
    out.push({ field: 'body', kind: 'text', path: 'body', primary: a.body, shadow: b.body });
  }
  return out;
}

/** Aggregates comparisons of one component's shadow version, bounded in size. */
export class ShadowReport {
  readonly data: ShadowReportData;
  private readonly ignoredHeaders: ReadonlySet<string>;

  constructor(
    component: string,
    version: number,
    private readonly policy: ShadowPolicy,
    defaultIgnoredHeaders: readonly string[],
    stored?: ShadowReportData,
  ) {
    this.data = stored ?? { component, version, counters: zeroCounters(), endpoints: {} };
    this.ignoredHeaders = new Set([...defaultIgnoredHeaders, ...policy.ignoreHeaders]);
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
    const endpoints = Object.entries(this.data.endpoints).map(([name, ep]) => {
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
      component: this.data.component,
      version: this.data.version,
      counters: this.data.counters,
      clean: endpoints.every((e) => e.fields.length === 0),
      endpoints,
    };
  }
}

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
