import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALARMS,
  DEFAULT_BEACON_LIMITS,
  DEFAULT_BROWSER_GATE,
  evaluateBrowserAlarm,
  judgeBrowser,
  parseBeacon,
  stepGate,
  takeBeaconToken,
  type TokenBucket,
} from '../../src/core/index.js';

describe('parseBeacon', () => {
  it('reads a load and error kinds', () => {
    expect(parseBeacon('{"t":"a.b","l":true,"e":[{"k":"error","m":"x"},{"k":"resource"}]}')).toEqual({
      ok: true,
      beacon: { token: 'a.b', load: true, errors: ['error', 'resource'] },
    });
  });
  it.each([
    ['not json', 'not JSON'],
    ['[1]', 'not an object'],
    ['{"l":true}', 'no page token'],
    [`{"t":"${'x'.repeat(600)}","l":true}`, 'no page token'],
    ['{"t":"a","l":"yes"}', 'l is not a boolean'],
    ['{"t":"a","e":{"k":"error"}}', 'e is not a list'],
    ['{"t":"a","e":[{"k":"oops"}]}', 'an error of no known kind'],
    [`{"t":"a","e":[${Array(11).fill('{"k":"app"}').join(',')}]}`, 'more than 10 errors'],
    ['{"t":"a","l":false}', 'reports nothing'],
  ])('drops %s: %s', (text, problem) => {
    expect(parseBeacon(text)).toEqual({ ok: false, problem });
  });
});

describe('the beacon rate limit', () => {
  it('lets a burst through, then the sustained rate', () => {
    let bucket: TokenBucket | undefined;
    let passed = 0;
    for (let i = 0; i < 100; i++) {
      const r = takeBeaconToken(bucket, 1000, DEFAULT_BEACON_LIMITS);
      bucket = r.bucket;
      if (r.ok) passed++;
    }
    expect(passed).toBe(DEFAULT_BEACON_LIMITS.burst);
    // A minute later: 30 more, not more than the burst.
    passed = 0;
    for (let i = 0; i < 100; i++) {
      const r = takeBeaconToken(bucket, 61_000, DEFAULT_BEACON_LIMITS);
      bucket = r.bucket;
      if (r.ok) passed++;
    }
    expect(passed).toBe(DEFAULT_BEACON_LIMITS.burst);
    expect(takeBeaconToken(bucket, 63_000, DEFAULT_BEACON_LIMITS).ok).toBe(true);
  });
});

describe('the browser alarm', () => {
  const s = DEFAULT_BROWSER_GATE;
  it('waits for its minimum of users', () => {
    expect(evaluateBrowserAlarm(s, { users: 5, errorUsers: 0 }, 'v2')).toMatchObject({
      result: 'inconclusive',
      sentence: 'v2 browser: 5 of 20 users needed to judge',
    });
  });
  it('fails a clearly bad version before its minimum, as the 5xx alarm does', () => {
    expect(evaluateBrowserAlarm(s, { users: 12, errorUsers: 9 }, 'v2').result).toBe('fail');
  });
  it('passes a share within the threshold', () => {
    const v = evaluateBrowserAlarm(s, { users: 100, errorUsers: 2 }, 'v2');
    expect(v).toMatchObject({ result: 'pass', evidence: { browserAlarm: true } });
    expect(v.sentence).toBe('v2 browser: 2 users with an error of 100 users (2.00%), within 20.0%');
  });
  it('does not fire on one user with an error among few (a lone client)', () => {
    expect(evaluateBrowserAlarm(s, { users: 20, errorUsers: 1 }, 'v2').result).toBe('pass');
    expect(evaluateBrowserAlarm(s, { users: 3, errorUsers: 1 }, 'v2').result).toBe('inconclusive');
  });
  it('holds a window whose counts are impossible to what is possible', () => {
    expect(evaluateBrowserAlarm(s, { users: 0, errorUsers: 50 }, 'v2').result).toBe('inconclusive');
  });
});

describe('the browser comparison', () => {
  const s = DEFAULT_BROWSER_GATE;
  it('fails a version much worse than stable', () => {
    const v = judgeBrowser({ users: 60, errorUsers: 12 }, { users: 240, errorUsers: 2 }, s, 'v2', undefined);
    expect(v.result).toBe('fail');
    expect(v.sentence).toMatch(/^v2 browser errors in 20.0% of 60 users vs stable 0.83% of 240 users; worse/);
  });
  it('passes a version like stable once it has seen enough users', () => {
    const v = judgeBrowser({ users: 400, errorUsers: 2 }, { users: 1600, errorUsers: 8 }, s, 'v2', undefined);
    expect(v.result).toBe('pass');
    expect(v.evidence?.accepted).toBe(true);
  });
});

describe('the step gate with a browser part', () => {
  const state = { toVersion: 2, weightBp: 1000, evidence: undefined };
  const fresh = { requests: 500, errors: 0, p50Ms: 1, p90Ms: 2, p99Ms: 3 };
  it('fails on the browser alone while every answer is a 200', () => {
    const g = stepGate({
      gates: { alarms: DEFAULT_ALARMS, browser: DEFAULT_BROWSER_GATE },
      state,
      fresh,
      browser: { fresh: { users: 40, errorUsers: 24 }, stable: { users: 360, errorUsers: 0 } },
    });
    expect(g.verdict.result).toBe('fail');
    expect(g.alarms.result).toBe('fail');
    expect(g.judge?.findings.map((f) => [f.check, f.result])).toEqual([['browser-errors', 'fail']]);
  });
  it('without a browser part, no browser check is made', () => {
    const g = stepGate({ gates: { alarms: DEFAULT_ALARMS }, state, fresh });
    expect(g.verdict.sentence).not.toMatch(/browser/);
  });
  it('with browser signals on but none yet, it waits for users', () => {
    const g = stepGate({ gates: { alarms: DEFAULT_ALARMS, browser: DEFAULT_BROWSER_GATE }, state, fresh });
    expect(g.verdict.result).toBe('inconclusive');
    expect(g.verdict.sentence).toMatch(/v2 browser: 0 of 20 users needed to judge/);
  });
});
