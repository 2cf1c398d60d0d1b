import { combineVerdicts, type GateVerdict } from './gate.js';
import { bucketUpperUs, latencyBucket, quantileBucket } from './latency-buckets.js';
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
  /**
   * A request faster than this is never "slow": the tail compared starts here at the
   * lowest (a p99 of 3 ms against 2.8 ms means nothing to a user). Default 10 ms.
   */
  readonly minTailMs: number;
  /** Rank test: one-sided p below this, and ... Default 0.0001. */
  readonly rankAlpha: number;
  /** ... P(new slower than stable) at least this ... Default 0.6. */
  readonly minSuperiority: number;
  /**
   * ... and the new median at least this many times the stable one: a shift too small to
   * matter to a user is not a reason to roll back. Default 1.1 ...
   */
  readonly minMedianRatio: number;
  /** ... and at least this many ms above it (0.6 ms against 0.5 ms is 20% but nothing to a user). Default 1. */
  readonly minMedianShiftMs: number;
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
  minMedianRatio: 1.1,
  minMedianShiftMs: 1,
  minTailMs: 10,
};

export interface JudgeFinding {
  readonly check: 'errors' | 'latency-tail' | 'latency-rank';
  readonly result: 'pass' | 'fail' | 'inconclusive';
  readonly sentence: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const msOf = (us: number): string => `${(us / 1000).toFixed(1)} ms`;
const count = (n: number): string => n.toLocaleString('en-US');
const odds = (llr: number): string => `${count(Math.round(Math.exp(Math.min(llr, 50))))}:1`;

function fromSprt(r: SprtResult): 'pass' | 'fail' | 'inconclusive' {
  return r.decision === 'accept-h1' ? 'fail' : r.decision === 'accept-h0' ? 'pass' : 'inconclusive';
}

/**
 * Of k events seen in both versions (errors, slow requests), how many were the new one's.
 * When the versions are alike that count is Binomial(k, share of requests the new version
 * served), whatever the common rate is, so neither version's rate is taken as exact: a
 * small or noisy stable sample cannot make a good version look worse. Wald's SPRT on it
 * against "the new version's rate is `ratio` times the stable one's".
 */
export function conditionalSprt(
  kNew: number,
  kStable: number,
  nNew: number,
  nStable: number,
  ratio: number,
  s: JudgeSettings,
): SprtResult {
  const pi0 = nNew / (nNew + nStable);
  const pi1 = (ratio * nNew) / (ratio * nNew + nStable);
  return sprtBernoulli(kNew, kNew + kStable, pi0, pi1, s);
}

/** Error rate: is the new version's worse than the stable one's, in the same window? */
export function judgeErrors(fresh: Arm, stable: Arm, s: JudgeSettings, label: string): JudgeFinding {
  const newRate = fresh.requests ? fresh.errors / fresh.requests : 0;
  const stableRate = stable.requests ? stable.errors / stable.requests : 0;
  const head = `${label} errors ${pct(newRate)} vs stable ${pct(stableRate)} over ${count(fresh.requests)} requests`;
  if (fresh.requests < s.minRequests || stable.requests < s.minRequests) {
    return { check: 'errors', result: 'inconclusive', sentence: `${head}; ${s.minRequests} each needed to judge` };
  }
  // "Worse": errorRatio times the stable rate, and at least errorFloor above it.
  const p0 = (stable.errors + 0.5) / (stable.requests + 1);
  const p1 = Math.min(0.5, Math.max(p0 * s.errorRatio, p0 + s.errorFloor));
  const both = conditionalSprt(fresh.errors, stable.errors, fresh.requests, stable.requests, p1 / p0, s);
  if (both.decision === 'accept-h1') {
    return {
      check: 'errors',
      result: 'fail',
      sentence: `${head}; worse: likelihood ratio ${odds(both.llr)} (bound ${odds(both.upper)}, alpha ${pct(s.alpha)})`,
    };
  }
  // With few errors anywhere the comparison cannot conclude; the new version's own count
  // can still show it is not worse than the "worse" rate.
  const alone = sprtBernoulli(fresh.errors, fresh.requests, p0, p1, s);
  if (both.decision === 'accept-h0' || alone.decision === 'accept-h0') {
    return {
      check: 'errors',
      result: 'pass',
      sentence: `${head}; not worse than ${pct(p1)} (sequential test, beta ${pct(s.beta)})`,
    };
  }
  return { check: 'errors', result: 'inconclusive', sentence: `${head}; sequential test still collecting` };
}

/** Tail latency: are more of the new version's requests beyond the common p99 than of the stable one's? */
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
  // The edge is the quantile of both versions pooled: the same for both when they are alike.
  const pooled = new Float64Array(fresh.latency.length);
  for (let i = 0; i < pooled.length; i++) pooled[i] = fresh.latency[i]! + (stable.latency[i] ?? 0);
  const quantileEdge = quantileBucket(pooled, s.tailQuantile);
  const floorEdge = latencyBucket(s.minTailMs * 1000);
  const edge = Math.max(quantileEdge, floorEdge);
  let beyondNew = 0;
  let beyondStable = 0;
  for (let i = edge + 1; i < pooled.length; i++) {
    beyondNew += fresh.latency[i]!;
    beyondStable += stable.latency[i] ?? 0;
  }
  const ms = (bucketUpperUs(edge) / 1000).toFixed(1);
  const where = edge === quantileEdge ? `the ${q} of both versions (${ms} ms)` : `${ms} ms (both ${q}s are faster)`;
  const head = `${label} ${pct(beyondNew / freshTotal)} of requests slower than ${where}, stable ${pct(beyondStable / stableTotal)}`;
  // Nothing slow on either side: no tail to compare, and none to fear.
  if (beyondNew + beyondStable === 0) return { check: 'latency-tail', result: 'pass', sentence: head };
  const r = conditionalSprt(beyondNew, beyondStable, freshTotal, stableTotal, s.tailRatio, s);
  const result = fromSprt(r);
  return {
    check: 'latency-tail',
    result,
    sentence: `${head}${result === 'fail' ? `; likelihood ratio ${odds(r.llr)}` : ''}`,
  };
}

/** Typical latency: Mann-Whitney on the whole distribution, with an effect-size floor. */
export function judgeRank(fresh: Arm, stable: Arm, s: JudgeSettings, label: string): JudgeFinding {
  const t = mannWhitney(fresh.latency, stable.latency);
  if (t.n1 < s.minRequests || t.n2 < s.minRequests) {
    return {
      check: 'latency-rank',
      result: 'inconclusive',
      sentence: `${label} latency rank test: ${s.minRequests} samples each needed`,
    };
  }
  const freshMedianUs = bucketUpperUs(quantileBucket(fresh.latency, 0.5));
  const stableMedianUs = bucketUpperUs(quantileBucket(stable.latency, 0.5));
  const slower =
    t.pGreater < s.rankAlpha &&
    t.superiority >= s.minSuperiority &&
    freshMedianUs >= stableMedianUs * s.minMedianRatio &&
    freshMedianUs - stableMedianUs >= s.minMedianShiftMs * 1000;
  const p = t.pGreater < 0.001 ? 'p < 0.001' : `p = ${t.pGreater.toFixed(3)}`;
  return {
    check: 'latency-rank',
    result: slower ? 'fail' : 'pass',
    sentence: `${label} slower than stable in ${pct(t.superiority)} of pairs (Mann-Whitney, ${p}), median ${msOf(freshMedianUs)} vs ${msOf(stableMedianUs)}`,
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
export function judge(
  fresh: Arm,
  stable: Arm,
  settings: JudgeSettings = DEFAULT_JUDGE,
  label = 'new version',
): GateVerdict & { findings: JudgeFinding[] } {
  const findings = [
    judgeErrors(fresh, stable, settings, label),
    judgeTail(fresh, stable, settings, label),
    judgeRank(fresh, stable, settings, label),
  ];
  return { ...combineVerdicts(findings), findings };
}
