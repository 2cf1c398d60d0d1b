import { normalCdf } from './normal.js';

export interface RankTest {
  /** Mann-Whitney U of the first sample (pairs where it is larger, ties half). */
  readonly u: number;
  /** Probability that a value of the first sample exceeds one of the second (U / n1 n2). */
  readonly superiority: number;
  /** Normal approximation with tie and continuity corrections. */
  readonly z: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  readonly pGreater: number;
  readonly n1: number;
  readonly n2: number;
}

/**
 * Mann-Whitney U test (Kayenta's latency test) on binned data: `a[i]` and `b[i]` count
 * the two samples' values in bucket i, buckets in increasing order. Values in one bucket
 * are ties. O(buckets), whatever the number of requests.
 */
export function mannWhitney(a: ArrayLike<number>, b: ArrayLike<number>): RankTest {
  let n1 = 0;
  let n2 = 0;
  let u = 0;
  let tieTerm = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] ?? 0;
    const bi = b[i] ?? 0;
    u += ai * (n2 + bi / 2);
    const t = ai + bi;
    tieTerm += t * t * t - t;
    n1 += ai;
    n2 += bi;
  }
  const n = n1 + n2;
  if (n1 === 0 || n2 === 0) return { u, superiority: 0.5, z: 0, pGreater: 1, n1, n2 };
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // Continuity correction for the one-sided "greater" alternative, as scipy does.
  const z = variance > 0 ? (u - mean - 0.5) / Math.sqrt(variance) : 0;
  return { u, superiority: u / (n1 * n2), z, pGreater: 1 - normalCdf(z), n1, n2 };
}
