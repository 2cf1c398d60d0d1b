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

export function sprtBernoulli(
  successes: number,
  trials: number,
  p0: number,
  p1: number,
  bounds: SprtBounds,
): SprtResult {
  const upper = Math.log((1 - bounds.beta) / bounds.alpha);
  const lower = Math.log(bounds.beta / (1 - bounds.alpha));
  const llr = successes * Math.log(p1 / p0) + (trials - successes) * Math.log((1 - p1) / (1 - p0));
  const decision: SprtDecision = llr >= upper ? 'accept-h1' : llr <= lower ? 'accept-h0' : 'continue';
  return { decision, llr, upper, lower };
}
