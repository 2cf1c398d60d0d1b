import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARMS, evaluateAlarms as evaluate, type AlarmThresholds } from '../../src/core/alarms.js';
import { binomialLowerBound, binomialUpperTail, logGamma } from '../../src/core/stats/binomial.js';
import { combineVerdicts, type GateVerdict, type WindowStats } from '../../src/core/gate.js';

const stats = (
  requests: number,
  errors: number,
  latency: Partial<Pick<WindowStats, 'p50Ms' | 'p90Ms' | 'p99Ms'>> = {},
): WindowStats => ({
  requests,
  errors,
  p50Ms: 10,
  p90Ms: 20,
  p99Ms: 30,
  ...latency,
});

describe('DEFAULT_ALARMS', () => {
  it('is 2% errors judged on 100 requests, no latency ceilings', () => {
    expect(DEFAULT_ALARMS).toEqual({ maxErrorRate: 0.02, minRequests: 100 });
  });
});

/** Most of this file pins the `observed` rule (a CloudWatch alarm on one period). */
const evaluateAlarms = (t: AlarmThresholds, s: WindowStats, label?: string): GateVerdict =>
  evaluate({ ...t, errorRule: 'observed' }, s, label);

describe('evaluateAlarms (observed rule)', () => {
  const t = DEFAULT_ALARMS;

  describe('below the minimum sample', () => {
    it('is inconclusive with no traffic', () => {
      expect(evaluateAlarms(t, stats(0, 0))).toEqual({
        result: 'inconclusive',
        sentence: 'new version: 0 of 100 requests needed to judge',
        need: { requests: 100 },
      });
    });

    it('is inconclusive one request short, even with errors up to the budget', () => {
      expect(evaluateAlarms(t, stats(99, 2), 'v7')).toEqual({
        result: 'inconclusive',
        sentence: 'v7: 99 of 100 requests needed to judge',
        need: { requests: 1 },
      });
    });

    it('does not judge latency yet', () => {
      const strict: AlarmThresholds = { ...t, maxP50Ms: 1, maxP90Ms: 1, maxP99Ms: 1 };
      expect(evaluateAlarms(strict, stats(50, 0, { p50Ms: 900, p90Ms: 950, p99Ms: 999 })).result).toBe('inconclusive');
    });

    it('fails at once when the errors already exceed maxErrorRate * minRequests', () => {
      // Budget 2 errors of 100: the third error fails even after only 3 requests.
      expect(evaluateAlarms(t, stats(3, 3), 'v2')).toEqual({
        result: 'fail',
        sentence: 'v2: 3 errors in its first 3 requests, already over 2.00% of the 100-request minimum',
      });
      expect(evaluateAlarms(t, stats(10, 3)).sentence).toBe(
        'new version: 3 errors in its first 10 requests, already over 2.00% of the 100-request minimum',
      );
      expect(evaluateAlarms(t, stats(99, 3)).result).toBe('fail');
    });

    it('does not fail early at exactly the budget', () => {
      expect(evaluateAlarms(t, stats(2, 2)).result).toBe('inconclusive');
      expect(evaluateAlarms({ maxErrorRate: 0.1, minRequests: 50 }, stats(5, 5)).result).toBe('inconclusive');
      expect(evaluateAlarms({ maxErrorRate: 0.1, minRequests: 50 }, stats(6, 6)).sentence).toBe(
        'new version: 6 errors in its first 6 requests, already over 10.0% of the 50-request minimum',
      );
    });

    it('with a zero error budget, the first error fails', () => {
      const zero: AlarmThresholds = { maxErrorRate: 0, minRequests: 100 };
      expect(evaluateAlarms(zero, stats(40, 0)).result).toBe('inconclusive');
      expect(evaluateAlarms(zero, stats(40, 1)).sentence).toBe(
        'new version: 1 errors in its first 40 requests, already over 0.00% of the 100-request minimum',
      );
    });

    // BUG: the early-fail rule compares errors with maxErrorRate * minRequests, a float
    // product (0.29 * 100 = 28.999999999999996), while the full-sample rule compares
    // errors / requests (29 / 100 = 0.29). 29 errors fail early although the same 29 errors
    // in exactly 100 requests (every remaining request succeeding) pass.
    it('an early fail is never stricter than the minimum sample with every remaining request succeeding', () => {
      const t29: AlarmThresholds = { maxErrorRate: 0.29, minRequests: 100 };
      expect(evaluateAlarms(t29, stats(100, 29)).result).toBe('pass');
      expect(evaluateAlarms(t29, stats(50, 29)).result).toBe('inconclusive');
    });

    it('early fail agrees with the full-sample verdict for every whole-percent threshold', () => {
      const disagreements: string[] = [];
      for (let percent = 0; percent <= 100; percent++) {
        for (const minRequests of [1, 10, 50, 100, 1000]) {
          const th: AlarmThresholds = { maxErrorRate: percent / 100, minRequests };
          for (let errors = 0; errors < minRequests; errors++) {
            const early = evaluateAlarms(th, stats(minRequests - 1, errors)).result;
            const full = evaluateAlarms(th, stats(minRequests, errors)).result;
            if ((early === 'fail') !== (full === 'fail'))
              disagreements.push(`${percent}% min ${minRequests} errors ${errors}: ${early} vs ${full}`);
          }
        }
      }
      expect(disagreements).toEqual([]);
    });
  });

  describe('at or above the minimum sample', () => {
    it('passes at exactly the threshold', () => {
      expect(evaluateAlarms(t, stats(100, 2), 'v2')).toEqual({
        result: 'pass',
        sentence: 'v2: error rate 2.00% over 100 requests, within alarms',
        evidence: { alarms: true },
      });
    });

    it('fails just above the threshold', () => {
      expect(evaluateAlarms(t, stats(100, 3), 'v2')).toEqual({
        result: 'fail',
        sentence: 'v2: error rate 3.00% > 2.00% over 100 requests',
      });
    });

    it('writes rates of 10% or more with one decimal and request counts with separators', () => {
      expect(evaluateAlarms(t, stats(12_345, 1851)).sentence).toBe(
        'new version: error rate 15.0% > 2.00% over 12,345 requests',
      );
      expect(evaluateAlarms({ maxErrorRate: 0.25, minRequests: 100 }, stats(1_000_000, 0)).sentence).toBe(
        'new version: error rate 0.00% over 1,000,000 requests, within alarms',
      );
    });

    it('judges each latency ceiling, at the ceiling passing', () => {
      const th: AlarmThresholds = { ...t, maxP50Ms: 100, maxP90Ms: 300, maxP99Ms: 500 };
      expect(evaluateAlarms(th, stats(200, 0, { p50Ms: 100, p90Ms: 300, p99Ms: 500 })).result).toBe('pass');
      expect(evaluateAlarms(th, stats(200, 0, { p50Ms: 100, p90Ms: 300, p99Ms: 812.34 }), 'v3')).toEqual({
        result: 'fail',
        sentence: 'v3: p99 812.3 ms > 500 ms over 200 requests',
      });
      expect(evaluateAlarms(th, stats(200, 0, { p50Ms: 100.06, p90Ms: 300, p99Ms: 500 })).sentence).toBe(
        'new version: p50 100.1 ms > 100 ms over 200 requests',
      );
      expect(evaluateAlarms(th, stats(200, 0, { p50Ms: 10, p90Ms: 301, p99Ms: 20 })).sentence).toBe(
        'new version: p90 301.0 ms > 300 ms over 200 requests',
      );
    });

    it('lists every problem, errors first, in one sentence', () => {
      const th: AlarmThresholds = { ...t, maxP50Ms: 100, maxP90Ms: 300, maxP99Ms: 500 };
      expect(evaluateAlarms(th, stats(400, 20, { p50Ms: 150, p90Ms: 350.25, p99Ms: 1200 }), 'v9')).toEqual({
        result: 'fail',
        sentence:
          'v9: error rate 5.00% > 2.00%, p50 150.0 ms > 100 ms, p90 350.3 ms > 300 ms, p99 1200.0 ms > 500 ms over 400 requests',
      });
    });

    it('ignores latency it was not asked to watch', () => {
      expect(evaluateAlarms(t, stats(100, 0, { p50Ms: 1e6, p90Ms: 1e6, p99Ms: 1e6 })).result).toBe('pass');
      expect(
        evaluateAlarms({ ...t, maxP99Ms: 500 }, stats(100, 0, { p50Ms: 1e6, p90Ms: 1e6, p99Ms: 400 })).result,
      ).toBe('pass');
    });

    it('a zero error budget fails on one error in a full sample', () => {
      expect(evaluateAlarms({ maxErrorRate: 0, minRequests: 10 }, stats(10, 0)).result).toBe('pass');
      expect(evaluateAlarms({ maxErrorRate: 0, minRequests: 10 }, stats(1000, 1)).sentence).toBe(
        'new version: error rate 0.10% > 0.00% over 1,000 requests',
      );
    });
  });
});

describe('combineVerdicts', () => {
  const pass = (s: string): GateVerdict => ({ result: 'pass', sentence: s });
  const wait = (s: string): GateVerdict => ({ result: 'inconclusive', sentence: s });
  const fail = (s: string): GateVerdict => ({ result: 'fail', sentence: s });

  it('passes with no gates', () => {
    expect(combineVerdicts([])).toEqual({ result: 'pass', sentence: 'no gate configured' });
  });

  it('passes when all pass, with every sentence', () => {
    expect(combineVerdicts([pass('a'), pass('b')])).toEqual({ result: 'pass', sentence: 'a; b' });
  });

  it('is inconclusive when any waits and none fails, naming only those waiting', () => {
    expect(combineVerdicts([pass('a'), wait('b'), pass('c'), wait('d')])).toEqual({
      result: 'inconclusive',
      sentence: 'b; d',
    });
  });

  it('fails when any fails, naming only the failures', () => {
    expect(combineVerdicts([wait('a'), fail('b'), pass('c'), fail('d')])).toEqual({ result: 'fail', sentence: 'b; d' });
    expect(combineVerdicts([fail('only')])).toEqual({ result: 'fail', sentence: 'only' });
  });

  it('combines real alarm verdicts', () => {
    const v = combineVerdicts([
      evaluateAlarms(DEFAULT_ALARMS, stats(500, 0), 'api v2'),
      evaluateAlarms(DEFAULT_ALARMS, stats(20, 1), 'web v5'),
    ]);
    expect(v).toEqual({
      result: 'inconclusive',
      sentence: 'web v5: 20 of 100 requests needed to judge',
      need: { requests: 80 },
      evidence: { alarms: true },
    });
  });
});

describe('evaluateAlarms (confident rule, the default)', () => {
  const t = DEFAULT_ALARMS;

  it('does not fire on a 1% version that is unlucky early (3 errors in its first 60 requests)', () => {
    expect(evaluate(t, stats(60, 3)).result).toBe('inconclusive');
  });

  it('fires within a few dozen requests on a clearly bad version', () => {
    const v = evaluate(t, stats(40, 8));
    expect(v.result).toBe('fail');
    expect(v.sentence).toMatch(
      /^new version: error rate 20\.0% over 40 requests, above 2\.00% with 99\.9% confidence \(at least \d+\.\d+%\)$/,
    );
  });

  it('passes a sample at or below the threshold, and waits on one above it until sure', () => {
    expect(evaluate(t, stats(1000, 20)).result).toBe('pass');
    expect(evaluate(t, stats(1000, 30)).sentence).toBe(
      'new version: error rate 3.00% over 1,000 requests, above 2.00% but not yet with 99.9% confidence',
    );
    expect(evaluate(t, stats(10_000, 300)).result).toBe('fail');
  });

  it('does not fire on one error in the first request, nor on two in the first ten', () => {
    // At a true 2% rate these happen by luck 2% and 1.6% of the time: far from 99.9% sure.
    expect(evaluate(DEFAULT_ALARMS, stats(1, 1)).result).toBe('inconclusive');
    expect(evaluate(DEFAULT_ALARMS, stats(10, 2)).result).toBe('inconclusive');
    // Three of the first five is (P = 0.00008 at 2%).
    expect(evaluate(DEFAULT_ALARMS, stats(5, 3)).sentence).toBe(
      'new version: error rate 60.0% over 5 requests, above 2.00% with 99.9% confidence (at least 4.76%)',
    );
  });

  it('uses exact binomial tails (reference: scipy.stats.binom.sf and beta.ppf)', () => {
    const cases: [number, number, number, number][] = [
      [1, 1, 0.02, 0.02],
      [3, 5, 0.02, 7.761920000000002e-5],
      [30, 1000, 0.02, 0.02069651867323949],
      [8, 40, 0.02, 1.111252918016837e-6],
      [25, 1000, 0.02, 0.15451540540056827],
      [300, 10_000, 0.02, 1.617878396726813e-11],
      [5, 100_000, 0.00001, 0.0036596169050561334],
      [2100, 100_000, 0.02, 0.012768717508373975],
    ];
    for (const [k, n, p, expected] of cases) {
      expect(binomialUpperTail(k, n, p) / expected).toBeCloseTo(1, 8);
    }
    expect(binomialUpperTail(0, 10, 0.1)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.1)).toBe(0);
    expect(binomialLowerBound(1, 1, 0.001)).toBeCloseTo(0.001, 9);
    expect(binomialLowerBound(3, 5, 0.001)).toBeCloseTo(0.04755189817545767, 9);
    expect(binomialLowerBound(30, 1000, 0.001)).toBeCloseTo(0.015974628726883884, 9);
    expect(binomialLowerBound(0, 100, 0.001)).toBe(0);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
});
