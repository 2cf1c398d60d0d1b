import type { Evidence, RateEvidence } from './evidence.js';
import { combineVerdicts, type GateVerdict } from './gate.js';
import { bucketUpperUs, latencyBucket, quantileBucket } from './latency-buckets.js';
import { rateTest, type RateTest } from './rate-test.js';
import { mannWhitney } from './stats/mann-whitney.js';

/** One version's traffic in the comparison window. */
export interface Arm {
  readonly requests: number;
  readonly errors: number;
  /** Latency counts per bucket of latency-buckets.ts (after the new version's warm-up). */
  readonly latency: ArrayLike<number>;
  /**
   * The new version only: requests of its warm-up still to come. Its first requests run on a
   * cold process (a fresh handler here, a cold Lambda on AWS) while stable is warm, so the
   * latency checks start after them; errors count from the first request.
   */
  readonly warmingUp?: number | undefined;
}

/** The comparative judge's settings; every default is chosen for a low false-rollback rate. */
export interface JudgeSettings {
  /** Chance of a false "worse" per check over the deployment (a false rollback). Default 0.001. */
  readonly alpha: number;
  /** Chance of passing a version as bad as the "worse" below. Default 0.05. */
  readonly beta: number;
  /** The error rate "worse" means: stable x errorRatio ... Default 2. */
  readonly errorRatio: number;
  /** ... and at least stable + errorFloor. Default 0.005 (half a point). */
  readonly errorFloor: number;
  /** Requests each version needs over the deployment before its errors are judged. Default 100. */
  readonly minRequests: number;
  /** Stable requests needed in a step to place its tail quantile. Default 500. */
  readonly minTailSample: number;
  /** The tail compared. Default 0.99 (p99). */
  readonly tailQuantile: number;
  /** "Worse" tail: this many times the stable share of requests beyond the tail's edge ... Default 3. */
  readonly tailRatio: number;
  /**
   * ... and at least this share above it: when both versions are fast the edge is minTailMs
   * and slow requests are rare, and a single one must not make the check wait for thousands
   * more. Default 0.01 (one point).
   */
  readonly tailFloor: number;
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
  /**
   * The new version's first requests of a deployment that its latency is not judged on (a
   * cold start is not a regression; errors still count). Default 100.
   */
  readonly warmupRequests: number;
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
  tailFloor: 0.01,
  rankAlpha: 0.0001,
  minSuperiority: 0.6,
  minMedianRatio: 1.1,
  minMedianShiftMs: 1,
  minTailMs: 10,
  warmupRequests: 100,
};

export interface JudgeFinding {
  readonly check: 'errors' | 'latency-tail' | 'latency-rank' | 'browser-errors';
  readonly result: 'pass' | 'fail' | 'inconclusive';
  readonly sentence: string;
  /** While inconclusive: more new-version requests it expects to need (undefined: unknown). */
  readonly need?: number | undefined;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const msOf = (us: number): string => `${(us / 1000).toFixed(1)} ms`;
const count = (n: number): string => n.toLocaleString('en-US');
const odds = (llr: number): string => `${count(Math.round(Math.exp(Math.min(llr, 50))))}:1`;

/** "(4,200 in the deployment)" once earlier steps have banked requests. */
const deploymentTotal = (banked: RateEvidence | undefined, window: number): string =>
  banked && banked.newRequests > 0 ? ` (${count(banked.newRequests + window)} in the deployment)` : '';

/** How a rate test's verdict reads after its head. */
function rateSentence(t: RateTest, s: JudgeSettings, what: string): string {
  if (t.result === 'fail')
    return `worse: likelihood ratio ${odds(t.llr)} (bound ${odds(t.upper)}, alpha ${pct(s.alpha)})`;
  if (t.by === 'earlier') return `shown not worse earlier in the deployment`;
  if (t.result === 'pass') return `not worse than ${pct(t.worseRate)}${what} (sequential test, beta ${pct(s.beta)})`;
  return 'sequential test still collecting';
}

/** Error rate: is the new version's worse than the stable one's, over the deployment so far? */
export function judgeErrors(
  fresh: Arm,
  stable: Arm,
  s: JudgeSettings,
  label: string,
  banked?: RateEvidence,
): JudgeFinding & { evidence: RateEvidence | undefined } {
  const newRate = fresh.requests ? fresh.errors / fresh.requests : 0;
  const stableRate = stable.requests ? stable.errors / stable.requests : 0;
  const head = `${label} errors ${pct(newRate)} vs stable ${pct(stableRate)} over ${count(fresh.requests)} requests${deploymentTotal(banked, fresh.requests)}`;
  const nNew = fresh.requests + (banked?.newRequests ?? 0);
  const nStable = stable.requests + (banked?.stableRequests ?? 0);
  if (nNew < s.minRequests || nStable < s.minRequests) {
    // Stable's shortfall in new-version requests, at this window's split of traffic.
    const stableShort =
      nStable >= s.minRequests
        ? 0
        : fresh.requests && stable.requests
          ? (s.minRequests - nStable) * (fresh.requests / stable.requests)
          : NaN;
    const need = Math.max(s.minRequests - nNew, stableShort);
    return {
      check: 'errors',
      result: banked?.accepted ? 'pass' : 'inconclusive',
      sentence: `${head}; ${s.minRequests} each needed to judge`,
      need: Number.isNaN(need) ? undefined : Math.ceil(need),
      evidence: banked,
    };
  }
  const t = rateTest(
    {
      newEvents: fresh.errors,
      newRequests: fresh.requests,
      stableEvents: stable.errors,
      stableRequests: stable.requests,
    },
    banked,
    { ratio: s.errorRatio, floor: s.errorFloor },
    s,
  );
  return {
    check: 'errors',
    result: t.result,
    sentence: `${head}; ${rateSentence(t, s, '')}`,
    need: t.need,
    evidence: t.evidence,
  };
}

/**
 * Tail latency: are more of the new version's requests beyond the common tail's edge than
 * of the stable one's, by more than the margin (tailRatio times, and tailFloor above)?
 */
export function judgeTail(
  fresh: Arm,
  stable: Arm,
  s: JudgeSettings,
  label: string,
  banked?: RateEvidence,
): JudgeFinding & { evidence: RateEvidence | undefined } {
  const q = `p${Math.round(s.tailQuantile * 1000) / 10}`;
  const earlier = banked?.accepted ? 'pass' : 'inconclusive';
  if (fresh.warmingUp) {
    return {
      check: 'latency-tail',
      result: earlier,
      sentence: `${label} ${q} latency: not compared until its warm-up is over (${count(fresh.warmingUp)} more requests)`,
      need: fresh.warmingUp + s.minRequests,
      evidence: banked,
    };
  }
  const stableTotal = sum(stable.latency);
  const freshTotal = sum(fresh.latency);
  if (stableTotal < s.minTailSample || freshTotal < s.minRequests) {
    const stableShort =
      stableTotal >= s.minTailSample
        ? 0
        : freshTotal && stableTotal
          ? (s.minTailSample - stableTotal) * (freshTotal / stableTotal)
          : NaN;
    const need = Math.max(s.minRequests - freshTotal, stableShort);
    return {
      check: 'latency-tail',
      result: earlier,
      sentence: `${label} ${q} latency: ${count(stableTotal)} stable and ${count(freshTotal)} new samples, ${s.minTailSample} and ${s.minRequests} needed`,
      need: Number.isNaN(need) ? undefined : Math.ceil(need),
      evidence: banked,
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
  const t = rateTest(
    { newEvents: beyondNew, newRequests: freshTotal, stableEvents: beyondStable, stableRequests: stableTotal },
    banked,
    { ratio: s.tailRatio, floor: s.tailFloor },
    s,
  );
  const tail =
    t.result === 'fail'
      ? `; likelihood ratio ${odds(t.llr)}`
      : t.result === 'pass'
        ? `; ${rateSentence(t, s, ' slow')}`
        : '';
  return { check: 'latency-tail', result: t.result, sentence: `${head}${tail}`, need: t.need, evidence: t.evidence };
}

/** Typical latency: Mann-Whitney on the whole distribution, with an effect-size floor. */
export function judgeRank(fresh: Arm, stable: Arm, s: JudgeSettings, label: string, shown = false): JudgeFinding {
  const earlier = shown ? 'pass' : 'inconclusive';
  if (fresh.warmingUp) {
    return {
      check: 'latency-rank',
      result: earlier,
      sentence: `${label} latency rank test: not until its warm-up is over`,
      need: fresh.warmingUp + s.minRequests,
    };
  }
  const t = mannWhitney(fresh.latency, stable.latency);
  if (t.n1 < s.minRequests || t.n2 < s.minRequests) {
    const stableShort = t.n2 >= s.minRequests ? 0 : t.n1 && t.n2 ? (s.minRequests - t.n2) * (t.n1 / t.n2) : NaN;
    const need = Math.max(s.minRequests - t.n1, stableShort);
    return {
      check: 'latency-rank',
      result: earlier,
      sentence: `${label} latency rank test: ${s.minRequests} samples each needed${shown ? ' (passed earlier in the deployment)' : ''}`,
      need: Number.isNaN(need) ? undefined : Math.ceil(need),
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
 * The new version against the stable one: this window, on top of the evidence the
 * deployment banked in its earlier steps. Fails on any sure "worse"; passes only when
 * errors and tail are shown not worse; else inconclusive, saying how much more it needs.
 */
export function judge(
  fresh: Arm,
  stable: Arm,
  settings: JudgeSettings = DEFAULT_JUDGE,
  label = 'new version',
  banked: Evidence = {},
): GateVerdict & { findings: JudgeFinding[]; evidence: Evidence } {
  const errors = judgeErrors(fresh, stable, settings, label, banked.errors);
  const tail = judgeTail(fresh, stable, settings, label, banked.tail);
  const rank = judgeRank(fresh, stable, settings, label, banked.rank ?? false);
  const findings: JudgeFinding[] = [errors, tail, rank].map(({ check, result, sentence, need }) =>
    result === 'inconclusive' ? { check, result, sentence, need } : { check, result, sentence },
  );
  const evidence: Evidence = {
    errors: errors.evidence,
    tail: tail.evidence,
    rank: (banked.rank ?? false) || rank.result === 'pass',
  };
  const verdicts = findings.map(({ result, sentence, need }) => ({
    result,
    sentence,
    need: need === undefined ? undefined : { requests: need },
  }));
  return { ...combineVerdicts(verdicts), findings, evidence };
}
