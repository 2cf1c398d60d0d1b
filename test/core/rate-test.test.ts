import { describe, expect, it } from 'vitest';
import { DEFAULT_JUDGE, rateTest, worseRate, type RateEvidence, type RateWindow } from '../../src/core/index.js';
import { binomialLowerBound, conditionalLlr, sprtBounds } from '../../src/core/stats/index.js';

const bounds = { alpha: DEFAULT_JUDGE.alpha, beta: DEFAULT_JUDGE.beta };
const errorsMargin = { ratio: 2, floor: 0.005 };
const { lower, upper } = sprtBounds(bounds);

const w = (newEvents: number, newRequests: number, stableEvents: number, stableRequests: number): RateWindow => ({
  newEvents,
  newRequests,
  stableEvents,
  stableRequests,
});

describe('conditionalLlr (reference: scipy.stats.binom.logpmf)', () => {
  it('is the log ratio of the binomial likelihoods of the new version’s share of the events', () => {
    // binom.logpmf(30, 120, 2000/11000) - binom.logpmf(30, 120, 0.1)
    expect(conditionalLlr(30, 90, 1000, 9000, 2)).toBeCloseTo(9.357193840279372, 10);
    // binom.logpmf(7, 40, 0.5) - binom.logpmf(7, 40, 0.25)
    expect(conditionalLlr(7, 33, 500, 1500, 3)).toBeCloseTo(-8.528318303649804, 10);
  });

  it('says nothing without traffic on both sides', () => {
    expect(conditionalLlr(0, 0, 0, 0, 2)).toBe(0);
    expect(conditionalLlr(3, 0, 100, 0, 2)).toBe(0);
  });

  it('adds up over windows at the same split, as one window would', () => {
    const whole = conditionalLlr(30, 90, 1000, 9000, 2);
    expect(conditionalLlr(12, 41, 400, 3600, 2) + conditionalLlr(18, 49, 600, 5400, 2)).toBeCloseTo(whole, 10);
  });
});

describe('the lower confidence bound the one-sample test takes (reference: scipy.stats.beta.ppf)', () => {
  it('matches Clopper-Pearson', () => {
    expect(binomialLowerBound(18, 900, 0.05)).toBeCloseTo(0.012965823760265952, 7);
    expect(binomialLowerBound(90, 9000, 0.05)).toBeCloseTo(0.008338106118354238, 7);
  });
});

describe('worseRate', () => {
  it('is the ratio, or the floor above stable when that is more, and always above stable', () => {
    expect(worseRate(0.01, errorsMargin)).toBeCloseTo(0.02, 12);
    expect(worseRate(0.002, errorsMargin)).toBeCloseTo(0.007, 12);
    expect(worseRate(0.6, { ratio: 3, floor: 0.01 })).toBeCloseTo(0.8, 12);
  });
});

describe('rateTest', () => {
  it('passes a clean version on its own count after ~600 requests: Wald’s average sample number', () => {
    // 0 errors anywhere: the comparison has no events; the new version's count alone shows
    // it is not as bad as 0.5%. Wald's ASN if it errs as stable does (0.5 of 10,001):
    // ln(0.05/0.999) / (p0 ln(p1/p0) + (1-p0) ln((1-p1)/(1-p0))) = 626.3 requests.
    const start = rateTest(w(0, 0, 0, 10_000), undefined, errorsMargin, bounds);
    expect(start.need).toBe(627);
    expect(rateTest(w(0, 590, 0, 10_000), undefined, errorsMargin, bounds).result).toBe('inconclusive');
    const passed = rateTest(w(0, 600, 0, 10_000), undefined, errorsMargin, bounds);
    expect(passed).toMatchObject({ result: 'pass', by: 'alone', need: undefined });
  });

  it('fails a version twice as bad on the two-sample test, with the likelihood ratio over the bound', () => {
    const t = rateTest(w(60, 1000, 90, 9000), undefined, errorsMargin, bounds);
    expect(t.result).toBe('fail');
    expect(t.llr).toBeGreaterThanOrEqual(upper);
  });

  it('banks counts and likelihood: a step carried over reads as its data would in one window', () => {
    const first = rateTest(w(4, 400, 36, 3600), undefined, errorsMargin, bounds);
    expect(first.result).toBe('inconclusive');
    const carried = rateTest(w(6, 600, 54, 5400), first.evidence, errorsMargin, bounds);
    const whole = rateTest(w(10, 1000, 90, 9000), undefined, errorsMargin, bounds);
    expect(carried.llr).toBeCloseTo(whole.llr, 10);
    expect(carried.evidence).toMatchObject({
      newEvents: 10,
      newRequests: 1000,
      stableEvents: 90,
      stableRequests: 9000,
    });
    expect(carried.result).toBe(whole.result);
  });

  it('keeps "not worse" once accepted, floored at the accept boundary, with the fail side armed', () => {
    const accepted = rateTest(w(0, 2000, 100, 18_000), undefined, errorsMargin, bounds);
    expect(accepted).toMatchObject({ result: 'pass', by: 'both' });
    expect(accepted.llr).toBeLessThan(lower);
    expect(accepted.evidence).toMatchObject({ accepted: true, llr: lower });
    // A later window that alone would be inconclusive (1.6% against 1%) stays passed ...
    const later = rateTest(w(5, 300, 27, 2700), accepted.evidence, errorsMargin, bounds);
    expect(later).toMatchObject({ result: 'pass', by: 'earlier' });
    // ... and one that shows it worse still fails: from the accept boundary, the whole span.
    const worse = rateTest(w(80, 1000, 90, 9000), accepted.evidence, errorsMargin, bounds);
    expect(worse.result).toBe('fail');
    expect(worse.llr).toBeCloseTo(lower + conditionalLlr(80, 90, 1000, 9000, 2), 10);
  });

  it('takes the stable rate as known only where stable has far more requests; else at its lower bound', () => {
    // Both at 1%, stable on 9,000 requests (9x the new version's): known. The comparison
    // is not yet sure, the new version's own count is (not as bad as 2%).
    const known = rateTest(w(10, 1000, 90, 9000), undefined, errorsMargin, bounds);
    expect(known).toMatchObject({ result: 'pass', by: 'alone' });
    // The same rates with stable on 900 requests: its 1% could be luck, so the new version
    // is held to "worse" from stable's lower bound (0.52%): 1% is no proof of that.
    const small = rateTest(w(10, 1000, 9, 900), undefined, errorsMargin, bounds);
    expect(small.result).toBe('inconclusive');
  });

  it('expects fewer requests the closer the evidence is to the accept boundary', () => {
    const early = rateTest(w(1, 200, 20, 1800), undefined, errorsMargin, bounds).need!;
    const later = rateTest(w(7, 800, 64, 7200), undefined, errorsMargin, bounds).need!;
    expect(early).toBeGreaterThan(later);
    expect(later).toBeGreaterThan(0);
  });

  it('carries a banked acceptance with no new data', () => {
    const banked: RateEvidence = {
      llr: lower,
      newEvents: 3,
      newRequests: 900,
      stableEvents: 80,
      stableRequests: 8000,
      accepted: true,
    };
    expect(rateTest(w(0, 0, 0, 0), banked, errorsMargin, bounds)).toMatchObject({ result: 'pass', by: 'earlier' });
  });
});
