import { describe, expect, it } from 'vitest';
import { combineVerdicts, describeNeed, paced } from '../../src/core/index.js';

describe('describeNeed', () => {
  it('rounds the estimate to two figures and the time to a unit people use', () => {
    expect(describeNeed(paced({ requests: 417 }, 600, 600_000), 'v7')).toBe(
      'needs ~420 more requests on v7, ~7 min at 1.0 req/s',
    );
    expect(describeNeed(paced({ requests: 1234 }, 1200, 60_000), 'v2')).toBe(
      'needs ~1,300 more requests on v2, ~62 s at 20 req/s',
    );
    expect(describeNeed(paced({ requests: 9000 }, 60, 60_000), 'v2')).toBe(
      'needs ~9,000 more requests on v2, ~2.5 h at 1.0 req/s',
    );
    expect(describeNeed({ requests: 1 }, 'v3')).toBe('needs ~1 more request on v3');
  });

  it('gives no time while the window holds too few requests to tell the pace', () => {
    expect(paced({ requests: 50 }, 0, 10_000)).toEqual({ requests: 50 });
    expect(paced({ requests: 50 }, 9, 10_000)).toEqual({ requests: 50 });
    expect(describeNeed(paced({ requests: 50 }, 3, 100), 'v2')).toBe('needs ~50 more requests on v2');
    expect(paced({ requests: 50 }, 10, 10_000)).toEqual({ requests: 50, perSecond: 1, ms: 50_000 });
  });
});

describe('combineVerdicts and needs', () => {
  it('needs what its slowest waiting part needs, and nothing known if any part does not know', () => {
    const wait = (requests?: number) => ({
      result: 'inconclusive' as const,
      sentence: 'w',
      ...(requests === undefined ? {} : { need: { requests } }),
    });
    expect(combineVerdicts([wait(100), wait(420), { result: 'pass', sentence: 'p' }]).need).toEqual({ requests: 420 });
    expect(combineVerdicts([wait(100), wait()]).need).toBeUndefined();
    expect(combineVerdicts([wait(100), { result: 'fail', sentence: 'f' }]).need).toBeUndefined();
  });

  it('keeps every part’s evidence', () => {
    const v = combineVerdicts([
      { result: 'pass', sentence: 'a', evidence: { alarms: true } },
      { result: 'inconclusive', sentence: 'j', evidence: { rank: true } },
    ]);
    expect(v.evidence).toEqual({ alarms: true, rank: true });
  });
});
