import { describe, expect, it } from 'vitest';
import { mannWhitney, normalCdf, sprtBernoulli } from '../../src/core/stats/index.js';

/** Counts per value, for values given as small integers (each integer is one bucket). */
const binned = (values: number[], size = 32): number[] => {
  const counts = new Array<number>(size).fill(0);
  for (const v of values) counts[v]!++;
  return counts;
};

describe('normalCdf (reference: scipy.stats.norm.cdf)', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.96, 0.9750021048517795],
    [-3, 0.0013498980316300933],
    [2.5758, 0.9949995762622214],
  ])('Φ(%f) = %f', (z, p) => {
    expect(normalCdf(z)).toBeCloseTo(p, 6);
  });

  it('keeps relative precision far in the tail', () => {
    expect(normalCdf(-6) / 9.865876450376946e-10).toBeCloseTo(1, 5);
  });
});

describe('mannWhitney (reference: scipy.stats.mannwhitneyu, asymptotic, continuity)', () => {
  it('matches without ties', () => {
    const t = mannWhitney(binned([19, 22, 16, 29, 24]), binned([20, 11, 17, 12]));
    expect(t.u).toBe(17);
    expect(t.pGreater).toBeCloseTo(0.055673443266570206, 6);
    expect(t.superiority).toBeCloseTo(17 / 20, 10);
  });

  it('matches with ties, in both directions', () => {
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];
    const b = [1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5];
    const ab = mannWhitney(binned(a), binned(b));
    expect(ab.u).toBe(66.5);
    expect(ab.pGreater).toBeCloseTo(0.21487818467924952, 6);
    const ba = mannWhitney(binned(b), binned(a));
    expect(ba.u).toBe(43.5);
    expect(ba.pGreater).toBeCloseTo(0.8054886970828881, 6);
  });

  it('says nothing with an empty sample', () => {
    expect(mannWhitney(binned([1, 2]), binned([]))).toMatchObject({ pGreater: 1, superiority: 0.5 });
  });
});

describe('sprtBernoulli (Wald 1945)', () => {
  const bounds = { alpha: 0.05, beta: 0.1 };

  it('has Wald’s boundaries: ln((1-β)/α) and ln(β/(1-α))', () => {
    const r = sprtBernoulli(0, 0, 0.01, 0.02, bounds);
    expect(r.upper).toBeCloseTo(Math.log(18), 12);
    expect(r.lower).toBeCloseTo(Math.log(0.1 / 0.95), 12);
    expect(r.decision).toBe('continue');
  });

  it('computes the log likelihood ratio of the counts', () => {
    const r = sprtBernoulli(7, 200, 0.01, 0.03, bounds);
    expect(r.llr).toBeCloseTo(7 * Math.log(3) + 193 * Math.log(0.97 / 0.99), 12);
    expect(r.decision).toBe('accept-h1');
  });

  it('accepts H0 after enough clean trials', () => {
    // Each success-free trial adds ln(0.97/0.99) = -0.0204: about 111 trials reach ln(0.105).
    expect(sprtBernoulli(0, 100, 0.01, 0.03, bounds).decision).toBe('continue');
    expect(sprtBernoulli(0, 120, 0.01, 0.03, bounds).decision).toBe('accept-h0');
  });
});
