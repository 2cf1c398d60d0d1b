/**
 * Wald's sequential probability ratio test for a Bernoulli rate: H0 p = p0 against
 * H1 p = p1 (> p0). Its error rates hold however often it is looked at, which is what a
 * controller that checks every second needs (a repeated fixed-sample p-value does not).
 */
export interface SprtBounds {
  /** Chance of deciding "worse" when H0 holds (a false rollback). */
  readonly alpha: number;
  /** Chance of deciding "not worse" when H1 holds (a missed bad version). */
  readonly beta: number;
}

export type SprtDecision = 'accept-h1' | 'accept-h0' | 'continue';

export interface SprtResult {
  readonly decision: SprtDecision;
  /** log likelihood ratio of H1 over H0 */
  readonly llr: number;
  readonly upper: number;
  readonly lower: number;
}

/** Wald's boundaries on the log likelihood ratio: accept H1 at `upper`, H0 at `lower`. */
export function sprtBounds(bounds: SprtBounds): { upper: number; lower: number } {
  return { upper: Math.log((1 - bounds.beta) / bounds.alpha), lower: Math.log(bounds.beta / (1 - bounds.alpha)) };
}

export function sprtBernoulli(
  successes: number,
  trials: number,
  p0: number,
  p1: number,
  bounds: SprtBounds,
): SprtResult {
  const { upper, lower } = sprtBounds(bounds);
  const llr = successes * Math.log(p1 / p0) + (trials - successes) * Math.log((1 - p1) / (1 - p0));
  const decision: SprtDecision = llr >= upper ? 'accept-h1' : llr <= lower ? 'accept-h0' : 'continue';
  return { decision, llr, upper, lower };
}

/**
 * Of k events seen in both versions (errors, slow requests), how many were the new one's.
 * When the versions are alike that count is Binomial(k, share of requests the new version
 * served), whatever the common rate is, so neither version's rate is taken as exact: a
 * small or noisy stable sample cannot make a good version look worse. The log likelihood
 * ratio of "the new version's rate is `ratio` times the stable one's" over "alike".
 */
export function conditionalLlr(kNew: number, kStable: number, nNew: number, nStable: number, ratio: number): number {
  if (nNew + nStable === 0) return 0;
  const pi0 = nNew / (nNew + nStable);
  const pi1 = (ratio * nNew) / (ratio * nNew + nStable);
  if (pi0 === 0 || pi0 === 1) return 0;
  return kNew * Math.log(pi1 / pi0) + kStable * Math.log((1 - pi1) / (1 - pi0));
}
