/**
 * Exact binomial tails, for alarms that must be right with a handful of requests (where the
 * normal and Wilson approximations promise far more confidence than one error out of one
 * request gives).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function logPmf(i: number, n: number, p: number): number {
  return logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p);
}

/**
 * Sums P(X = i) from `from` away from the mode (upward when `up`), stopping once the terms
 * no longer change the sum: they shrink geometrically on that side of the mode.
 */
function sumFrom(from: number, n: number, p: number, up: boolean): number {
  let term = Math.exp(logPmf(from, n, p));
  let sum = 0;
  for (let i = from; up ? i <= n : i >= 0; up ? i++ : i--) {
    sum += term;
    if (term <= sum * 1e-17) break;
    term *= up ? ((n - i) / (i + 1)) * (p / (1 - p)) : (i / (n - i + 1)) * ((1 - p) / p);
  }
  return sum;
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // Sum the side of the distribution away from its mode, where the terms fall off fast.
  if (k > n * p) return Math.min(1, sumFrom(k, n, p, true));
  return Math.max(0, 1 - sumFrom(k - 1, n, p, false));
}

/**
 * The exact (Clopper-Pearson) one-sided lower confidence bound of a proportion: the
 * smallest rate that could give `k` or more of `n` with probability `alpha`. Newton's
 * method on P(X >= k | p) - alpha (its derivative is n * P(X = k-1 | n-1, p)), kept inside
 * a bisection bracket: a handful of tail sums instead of sixty (the judge asks every tick).
 */
export function binomialLowerBound(k: number, n: number, alpha: number): number {
  if (k <= 0 || n <= 0) return 0;
  let lo = 0;
  let hi = k / n;
  // Start near the normal approximation's bound (for a one-sided 95%); any start converges.
  let p = hi * Math.max(0.05, 1 - 1.65 / Math.sqrt(k));
  for (let i = 0; i < 100; i++) {
    const f = binomialUpperTail(k, n, p) - alpha;
    if (f < 0) lo = p;
    else hi = p;
    const slope = n * Math.exp(logPmf(k - 1, n - 1, p));
    let next = p - f / slope;
    // Outside the bracket, or not shrinking it fast enough: bisect instead.
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = (lo + hi) / 2;
    if (Math.abs(next - p) <= 1e-13 * p || hi - lo <= 1e-15) return next;
    p = next;
  }
  return p;
}
