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

describe('judge across a deployment', () => {
  it('tail: one slow request on a fast service does not hold the check for thousands more (absolute margin)', () => {
    // Both versions ~1 ms: the tail's edge is the 10 ms floor and "slow" is rare. The new
    // version had 3 slow requests in 1,500, stable 40 in 20,000 (0.2% each): "worse" is at
    // least 1.2% (0.2% + the 1-point floor), which 0.2% clearly is not.
    const fresh = arm(1500, 0, 1, 1);
    const stable = arm(20_000, 0, 1, 2);
    fresh.latency[latencyBucket(50_000)]! += 3;
    stable.latency[latencyBucket(50_000)]! += 40;
    const tail = judge(fresh, stable).findings.find((f) => f.check === 'latency-tail')!;
    expect(tail.result).toBe('pass');
    expect(tail.sentence).toMatch(
      /slower than 10\.\d ms \(both p99s are faster\), stable 0\.20%; not worse than 1\.20% slow/,
    );
    // Without the floor ("worse" is 3 x 0.2% = 0.6%), the same data cannot tell yet.
    const ratioOnly = judge(fresh, stable, { ...DEFAULT_JUDGE, tailFloor: 0 }).findings.find(
      (f) => f.check === 'latency-tail',
    )!;
    expect(ratioOnly.result).toBe('inconclusive');
  });

  it('does not judge latency during the new version’s warm-up, but judges its errors', () => {
    const fresh = { ...arm(80, 20, 200, 1), warmingUp: 20 };
    const v = judge(fresh, arm(4000, 40, 20, 2), DEFAULT_JUDGE, 'v3');
    expect(v.findings.map((f) => [f.check, f.result])).toEqual([
      ['errors', 'inconclusive'],
      ['latency-tail', 'inconclusive'],
      ['latency-rank', 'inconclusive'],
    ]);
    expect(v.findings[1]!.sentence).toBe('v3 p99 latency: not compared until its warm-up is over (20 more requests)');
    // 25% errors: failed at once, warm-up or not.
    expect(judge({ ...arm(400, 100, 200, 1), warmingUp: 20 }, arm(4000, 40, 20, 2)).result).toBe('fail');
  });

  it('banks each step and passes on the sum: two short steps prove what neither could alone', () => {
    const step1 = judge(arm(600, 6, 20, 1), arm(5400, 54, 20, 2), DEFAULT_JUDGE, 'v2');
    expect(step1.result).toBe('inconclusive');
    expect(step1.need).toBeDefined();
    const step2 = judge(arm(700, 7, 20, 3), arm(2800, 28, 20, 4), DEFAULT_JUDGE, 'v2', step1.evidence);
    expect(judge(arm(700, 7, 20, 3), arm(2800, 28, 20, 4), DEFAULT_JUDGE, 'v2').findings[0]!.result).toBe(
      'inconclusive',
    );
    expect(step2.findings[0]).toMatchObject({ check: 'errors', result: 'pass' });
    expect(step2.findings[0]!.sentence).toMatch(/over 700 requests \(1,300 in the deployment\); not worse than/);
    expect(step2.evidence.errors).toMatchObject({ newRequests: 1300, stableRequests: 8200, accepted: true });
  });

  it('keeps a check passed once it has shown "not worse", and says so, while a later window is thin', () => {
    const first = judge(arm(3000, 30, 20, 1), arm(27_000, 270, 20, 2));
    expect(first.result).toBe('pass');
    expect(first.evidence).toMatchObject({ errors: { accepted: true }, tail: { accepted: true }, rank: true });
    const next = judge(arm(30, 0, 20, 3), arm(120, 1, 20, 4), DEFAULT_JUDGE, 'v2', first.evidence);
    expect(next.result).toBe('pass');
    expect(next.findings.map((f) => f.sentence)).toEqual([
      expect.stringMatching(/shown not worse earlier in the deployment$/),
      'v2 p99 latency: 120 stable and 30 new samples, 500 and 100 needed',
      'v2 latency rank test: 100 samples each needed (passed earlier in the deployment)',
    ]);
  });

  it('says how many more new-version requests it expects to need', () => {
    const v = judge(arm(300, 3, 20, 1), arm(2700, 27, 20, 2));
    expect(v.result).toBe('inconclusive');
    expect(v.need!.requests).toBeGreaterThan(200);
    expect(v.need!.requests).toBeLessThan(2000);
  });
});
