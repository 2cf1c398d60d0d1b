import { describe, expect, it } from 'vitest';
import { DEFAULT_JUDGE, judge, latencyBucket, LATENCY_BUCKETS, type Arm } from '../../src/core/index.js';
import { prng } from '../helpers/random.js';

/** An arm of `requests` with `errors`, latencies lognormal around `medianMs`. */
function arm(requests: number, errors: number, medianMs: number, seed: number): Arm & { latency: Float64Array } {
  const next = prng(seed);
  const latency = new Float64Array(LATENCY_BUCKETS);
  for (let i = 0; i < requests; i++) {
    const z = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    latency[latencyBucket(medianMs * 1000 * Math.exp(0.4 * z))]!++;
  }
  return { requests, errors, latency };
}

describe('judge', () => {
  it('is inconclusive below the minimum sample, and says what it needs', () => {
    const v = judge(arm(40, 0, 20, 1), arm(400, 2, 20, 2), DEFAULT_JUDGE, 'v7');
    expect(v.result).toBe('inconclusive');
    expect(v.sentence).toContain('v7 errors 0.00% vs stable 0.50% over 40 requests; 100 each needed to judge');
  });

  it('fails a version with 3% errors against a stable 1%, explaining with numbers', () => {
    const v = judge(arm(2410, 75, 20, 1), arm(21_000, 210, 20, 2), DEFAULT_JUDGE, 'v7');
    expect(v.result).toBe('fail');
    expect(v.sentence).toMatch(
      /^v7 errors 3\.11% vs stable 1\.00% over 2,410 requests; worse: likelihood ratio [\d,]+:1 \(bound 950:1, alpha 0\.10%\)$/,
    );
  });

  it('passes an identical version with enough data', () => {
    const v = judge(arm(3000, 30, 20, 1), arm(27_000, 270, 20, 2));
    expect(v.result).toBe('pass');
    expect(v.findings.map((f) => f.result)).toEqual(['pass', 'pass', 'pass']);
  });

  it('passes versions without any errors once the new one has shown it is not worse', () => {
    expect(judge(arm(1000, 0, 20, 1), arm(9000, 0, 20, 2)).result).toBe('pass');
  });

  it('fails a slower version even with equal errors (rank test and tail)', () => {
    const v = judge(arm(1000, 0, 30, 1), arm(9000, 0, 20, 2), DEFAULT_JUDGE, 'v7');
    expect(v.result).toBe('fail');
    const failed = v.findings.filter((f) => f.result === 'fail').map((f) => f.check);
    expect(failed).toEqual(['latency-tail', 'latency-rank']);
    expect(v.sentence).toMatch(
      /v7 slower than stable in \d+\.\d% of pairs \(Mann-Whitney, p < 0\.001\), median 3\d\.\d ms vs 2\d\.\d ms/,
    );
  });

  it('lets a shift too small to matter through, however sure the rank test is of it', () => {
    // 5% slower typical latency over 20,000 requests: significant, above the superiority
    // floor, but under the median-ratio floor (1.1).
    const fresh = arm(20_000, 0, 21, 1);
    const stable = arm(20_000, 0, 20, 2);
    const rank = judge(fresh, stable, { ...DEFAULT_JUDGE, minSuperiority: 0.51 }).findings[2]!;
    expect(rank.sentence).toMatch(/p < 0\.001/);
    expect(rank.result).toBe('pass');
    const strict = judge(fresh, stable, { ...DEFAULT_JUDGE, minSuperiority: 0.51, minMedianRatio: 1 }).findings[2]!;
    expect(strict.result).toBe('fail');
    // 20% slower, but at 0.6 ms against 0.5 ms: under the 1 ms floor.
    const fast = judge(arm(20_000, 0, 0.6, 1), arm(20_000, 0, 0.5, 2)).findings[2]!;
    expect(fast.sentence).toMatch(/median 0\.6 ms vs 0\.5 ms/);
    expect(fast.result).toBe('pass');
    expect(judge(arm(20_000, 0, 6, 1), arm(20_000, 0, 5, 2)).findings[2]!.result).toBe('fail');
  });

  it('fails a version whose only problem is its tail', () => {
    const fresh = arm(2000, 0, 20, 1);
    // 4% of the new version's requests take 10x longer.
    const slow = arm(80, 0, 200, 3);
    for (let i = 0; i < LATENCY_BUCKETS; i++) fresh.latency[i] = fresh.latency[i]! * 0.96 + slow.latency[i]!;
    const v = judge(fresh, arm(20_000, 0, 20, 2));
    expect(v.findings.find((f) => f.check === 'latency-tail')!.result).toBe('fail');
    expect(v.findings.find((f) => f.check === 'latency-rank')!.result).toBe('pass');
  });

  it('never calls requests faster than minTailMs slow, but still sees slow ones beyond it', () => {
    // Both well under 10 ms: the new tail is wider (1.5 ms median vs 1 ms), yet nothing is slow.
    const fast = judge(arm(2000, 0, 1.5, 1), arm(20_000, 0, 1, 2), { ...DEFAULT_JUDGE, tailQuantile: 0.9 });
    const tail = fast.findings.find((f) => f.check === 'latency-tail')!;
    expect(tail.result).toBe('pass');
    expect(tail.sentence).toMatch(/slower than 10\.\d ms \(both p90s are faster\)/);
    // 5% of the new version's requests at 200 ms: beyond the floor, and caught.
    const fresh = arm(2000, 0, 2, 3);
    const slow = arm(100, 0, 200, 4);
    for (let i = 0; i < LATENCY_BUCKETS; i++) fresh.latency[i] = fresh.latency[i]! * 0.95 + slow.latency[i]!;
    const caught = judge(fresh, arm(20_000, 0, 2, 5)).findings.find((f) => f.check === 'latency-tail')!;
    expect(caught.result).toBe('fail');
  });
});
