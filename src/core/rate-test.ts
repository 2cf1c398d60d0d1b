import { NO_RATE_EVIDENCE, type RateEvidence } from './evidence.js';
import { binomialLowerBound } from './stats/binomial.js';
import { conditionalLlr, sprtBounds, type SprtBounds } from './stats/sprt.js';

/** One rate of both versions in the current window: errors, or requests beyond the tail's edge. */
export interface RateWindow {
  readonly newEvents: number;
  readonly newRequests: number;
  readonly stableEvents: number;
  readonly stableRequests: number;
}

/** "Worse" is the stable rate times `ratio`, and at least `floor` above it. */
export interface RateMargin {
  readonly ratio: number;
  readonly floor: number;
}

export interface RateTest {
  readonly result: 'pass' | 'fail' | 'inconclusive';
  /** What shows it: the two-sample test, the new version's own count, or an earlier acceptance. */
  readonly by: 'both' | 'alone' | 'earlier' | undefined;
  /** Banked plus this window (floored at the accept boundary once accepted): what a step's end banks. */
  readonly evidence: RateEvidence;
  /** The two-sample log-likelihood ratio over the deployment, and its boundaries. */
  readonly llr: number;
  readonly upper: number;
  readonly lower: number;
  /** The stable rate (over the deployment) and the "worse" rate it implies. */
  readonly stableRate: number;
  readonly worseRate: number;
  /**
   * More new-version requests the test expects to need to accept "not worse" if the new
   * version is as good as the stable one; undefined when accepted or failed.
   */
  readonly need: number | undefined;
}

/** The rate "worse" means; capped halfway to 1 so that it always exceeds the stable rate. */
export function worseRate(stable: number, m: RateMargin): number {
  return Math.min((1 + stable) / 2, Math.max(stable * m.ratio, stable + m.floor));
}

/**
 * The one-sample test takes the stable rate as known while stable has served this many
 * times the new version's requests: its estimate's spread is then a third of the new
 * version's own, and a version exactly at the margin passes at most beta (4.9% of 1,000
 * simulated 10% one-boxes). With fewer (a 20% one-box, a later linear step) it would pass
 * more often (5.7% at 20%, 12.7% at 30%), so there the rate is taken at its lower bound.
 */
const KNOWN_STABLE = 8;

/** A rate no stable version is assumed to beat (a bound of 0 would make one new error infinite evidence). */
const MIN_RATE = 1e-6;

const bernoulliLlr = (k: number, n: number, p0: number, p1: number): number =>
  k * Math.log(p1 / p0) + (n - k) * Math.log((1 - p1) / (1 - p0));

/**
 * Is the new version's rate worse than the stable one's? Two sequential tests on the
 * deployment's evidence so far plus this window:
 * - two-sample: of the events seen in both versions, how many were the new one's
 *   (conditionalLlr). Exact whatever the common rate is, it alone can fail the version;
 * - one-sample: the new version's own count against the stable rate, for when events are
 *   too few anywhere for the first to conclude (a clean version with no errors at all),
 *   and faster where stable has much more traffic (a 10% one-box). It treats the stable
 *   rate as known, so unless stable has far more requests (KNOWN_STABLE) it takes that
 *   rate at its lower confidence bound (1 - beta): a noisy, high stable estimate would
 *   otherwise lift "worse" above a version that is worse.
 * Either accepting "not worse" passes the check, for good (see RateEvidence.accepted).
 */
export function rateTest(
  w: RateWindow,
  banked: RateEvidence | undefined,
  margin: RateMargin,
  bounds: SprtBounds,
): RateTest {
  const b = banked ?? NO_RATE_EVIDENCE;
  const { upper, lower } = sprtBounds(bounds);
  const kNew = b.newEvents + w.newEvents;
  const nNew = b.newRequests + w.newRequests;
  const kStable = b.stableEvents + w.stableEvents;
  const nStable = b.stableRequests + w.stableRequests;
  // Half an event of prior keeps a clean stable version's rate above zero.
  const p0 = (kStable + 0.5) / (nStable + 1);
  const p1 = worseRate(p0, margin);
  const ratio = p1 / p0;
  const llr = b.llr + conditionalLlr(w.newEvents, w.stableEvents, w.newRequests, w.stableRequests, ratio);

  const known = nStable >= KNOWN_STABLE * nNew;
  const p0Alone = known ? p0 : Math.max(MIN_RATE, binomialLowerBound(kStable, nStable, bounds.beta));
  const p1Alone = worseRate(p0Alone, margin);
  const alone = bernoulliLlr(kNew, nNew, p0Alone, p1Alone);

  const by = b.accepted ? 'earlier' : llr <= lower ? 'both' : alone <= lower ? 'alone' : undefined;
  const accepted = by !== undefined;
  const result = llr >= upper ? 'fail' : accepted ? 'pass' : 'inconclusive';
  const evidence: RateEvidence = {
    llr: accepted ? Math.max(lower, llr) : llr,
    newEvents: kNew,
    newRequests: nNew,
    stableEvents: kStable,
    stableRequests: nStable,
    accepted,
  };

  let need: number | undefined;
  if (!accepted && result !== 'fail') {
    // Drift of each statistic per new-version request if the new version is as good as the
    // stable one (its own rate so far is too noisy to extrapolate), the versions sharing
    // traffic as they do in this window: Wald's average sample number from where it stands.
    const drift = (llr: number, perRequest: number): number =>
      perRequest < 0 ? (llr - lower) / -perRequest : Infinity;
    const aloneDrift = p0 * Math.log(p1Alone / p0Alone) + (1 - p0) * Math.log((1 - p1Alone) / (1 - p0Alone));
    let best = drift(alone, aloneDrift);
    const perNew = w.newRequests > 0 ? w.stableRequests / w.newRequests : nNew > 0 ? nStable / nNew : undefined;
    if (perNew !== undefined && perNew > 0) {
      const pi0 = 1 / (1 + perNew);
      const pi1 = ratio / (ratio + perNew);
      best = Math.min(best, drift(llr, p0 * Math.log(pi1 / pi0) + p0 * perNew * Math.log((1 - pi1) / (1 - pi0))));
    }
    need = Number.isFinite(best) ? Math.ceil(best) : undefined;
  }
  return { result, by, evidence, llr, upper, lower, stableRate: p0, worseRate: p1, need };
}
