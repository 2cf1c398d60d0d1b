import { combineVerdicts, type GateVerdict } from './gate.js';
import { bucketUpperUs, quantileBucket } from './latency-buckets.js';
import { mannWhitney } from './stats/mann-whitney.js';
import { sprtBernoulli, type SprtResult } from './stats/sprt.js';

/** One version's traffic in the comparison window. */
export interface Arm {
  readonly requests: number;
  readonly errors: number;
  /** Latency counts per bucket of latency-buckets.ts. */
  readonly latency: ArrayLike<number>;
}

/** The comparative judge's settings; every default is chosen for a low false-rollback rate. */
export interface JudgeSettings {
  /** Chance of a false "worse" per step (a false rollback). Default 0.001. */
  readonly alpha: number;
  /** Chance of missing a version as bad as the alternative below. Default 0.05. */
  readonly beta: number;
  /** The error rate "worse" means: stable x errorRatio ... Default 2. */
  readonly errorRatio: number;
  /** ... and at least stable + errorFloor. Default 0.005 (half a point). */
  readonly errorFloor: number;
  /** Requests each version needs before anything is judged. Default 100. */
  readonly minRequests: number;
  /** Stable requests needed to place its tail quantile. Default 500. */
  readonly minTailSample: number;
  /** The tail compared. Default 0.99 (p99). */
  readonly tailQuantile: number;
  /** "Worse" tail: this many times the stable share of requests beyond its tail. Default 3. */
  readonly tailRatio: number;
  /** Rank test: one-sided p below this, and ... Default 0.0001. */
  readonly rankAlpha: number;
  /** ... P(new slower than stable) at least this. Default 0.6. */
  readonly minSuperiority: number;
}

export const DEFAULT_JUDGE: JudgeSettings = {
  alpha: 0.001,
  beta: 0.05,
  errorRatio: 2,
  errorFloor: 0.005,
  minRequests: 100,
  minTailSample: 500,
  tailQuantile: 0.99,
  tailRatio: 3,
  rankAlpha: 0.0001,
  minSuperiority: 0.6,
};

export interface JudgeFinding {
  readonly check: 'errors' | 'latency-tail' | 'latency-rank';
  readonly result: 'pass' | 'fail' | 'inconclusive';
  readonly sentence: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const count = (n: number): string => n.toLocaleString('en-US');
const odds = (llr: number): string => `${count(Math.round(Math.exp(Math.min(llr, 50))))}:1`;

function fromSprt(r: SprtResult): 'pass' | 'fail' | 'inconclusive' {
  return r.decision === 'accept-h1' ? 'fail' : r.decision === 'accept-h0' ? 'pass' : 'inconclusive';
}

/** Error rate: a sequential test of the new version's rate against the stable one's. */
export function judgeErrors(fresh: Arm, stable: Arm, s: JudgeSettings, label: string): JudgeFinding {
  const newRate = fresh.requests ? fresh.errors / fresh.requests : 0;
  const stableRate = stable.requests ? stable.errors / stable.requests : 0;
  const head = `${label} errors ${pct(newRate)} vs stable ${pct(stableRate)} over ${count(fresh.requests)} requests`;
  if (fresh.requests < s.minRequests || stable.requests < s.minRequests) {
    return { check: 'errors', result: 'inconclusive', sentence: `${head}; ${s.minRequests} each needed to judge` };
  }
  // The stable rate, smoothed so that zero errors still gives a usable reference.
  const p0 = (stable.errors + 0.5) / (stable.requests + 1);
  const p1 = Math.min(0.5, Math.max(p0 * s.errorRatio, p0 + s.errorFloor));
  const r = sprtBernoulli(fresh.errors, fresh.requests, p0, p1, s);
  const result = fromSprt(r);
  const tail =
    result === 'fail'
      ? `worse: likelihood ratio ${odds(r.llr)} (bound ${odds(r.upper)}, alpha ${pct(s.alpha)})`
      : result === 'pass'
        ? `not worse than ${pct(p1)} (sequential test, beta ${pct(s.beta)})`
        : 'sequential test still collecting';
  return { check: 'errors', result, sentence: `${head}; ${tail}` };
}

/** Tail latency: the share of new requests slower than the stable version's tail quantile. */
export function judgeTail(fresh: Arm, stable: Arm, s: JudgeSettings, label: string): JudgeFinding {
  const q = `p${Math.round(s.tailQuantile * 1000) / 10}`;
  const stableTotal = sum(stable.latency);
  const freshTotal = sum(fresh.latency);
  if (stableTotal < s.minTailSample || freshTotal < s.minRequests) {
    return {
      check: 'latency-tail',
      result: 'inconclusive',
      sentence: `${label} ${q} latency: ${count(stableTotal)} stable and ${count(freshTotal)} new samples, ${s.minTailSample} and ${s.minRequests} needed`,
    };
  }
  const edge = quantileBucket(stable.latency, s.tailQuantile);
  let beyond = 0;
  for (let i = edge + 1; i < fresh.latency.length; i++) beyond += fresh.latency[i]!;
  const p0 = 1 - s.tailQuantile;
  const r = sprtBernoulli(beyond, freshTotal, p0, Math.min(0.5, p0 * s.tailRatio), s);
  const result = fromSprt(r);
  const ms = (bucketUpperUs(edge) / 1000).toFixed(1);
  return {
    check: 'latency-tail',
    result,
    sentence: `${label} ${pct(beyond / freshTotal)} of requests slower than the stable ${q} (${ms} ms), ${pct(p0)} expected${result === 'fail' ? `; likelihood ratio ${odds(r.llr)}` : ''}`,
  };
}

/** Typical latency: Mann-Whitney on the whole distribution, with an effect-size floor. */
export function judgeRank(fresh: Arm, stable: Arm, s: JudgeSettings, label: string): JudgeFinding {
  const t = mannWhitney(fresh.latency, stable.latency);
  if (t.n1 < s.minRequests || t.n2 < s.minRequests) {
    return { check: 'latency-rank', result: 'inconclusive', sentence: `${label} latency rank test: ${s.minRequests} samples each needed` };
  }
  const slower = t.pGreater < s.rankAlpha && t.superiority >= s.minSuperiority;
  const p = t.pGreater < 0.001 ? 'p < 0.001' : `p = ${t.pGreater.toFixed(3)}`;
  return {
    check: 'latency-rank',
    result: slower ? 'fail' : 'pass',
    sentence: `${label} slower than stable in ${pct(t.superiority)} of pairs (Mann-Whitney, ${p})`,
  };
}

function sum(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]!;
  return n;
}

/**
 * The new version against the stable one in the same window. Fails on any sure
 * "worse"; passes only when errors and tail are shown not worse; else inconclusive.
 */
export function judge(fresh: Arm, stable: Arm, settings: JudgeSettings = DEFAULT_JUDGE, label = 'new version'): GateVerdict & { findings: JudgeFinding[] } {
  const findings = [
    judgeErrors(fresh, stable, settings, label),
    judgeTail(fresh, stable, settings, label),
    judgeRank(fresh, stable, settings, label),
  ];
  return { ...combineVerdicts(findings), findings };
}
