import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALARMS,
  DEFAULT_JUDGE,
  LATENCY_BUCKETS,
  latencyBucket,
  nextInRelease,
  stepGate,
  validateRelease,
  type AliasRouting,
  type Version,
} from '../../src/core/index.js';

const version = (component: string, number: number, retired = false): Version => ({
  component,
  number,
  target: 'http://127.0.0.1:9',
  createdAt: '',
  retiredAt: retired ? 'x' : undefined,
});
const live = (v: number): AliasRouting => ({ version: v, mode: 'sticky', seed: 's' });

describe('validateRelease', () => {
  const state = {
    alias: (c: string) => (c === 'new' ? undefined : live(1)),
    version: (c: string, n: number) => (n <= 3 ? version(c, n, n === 3) : undefined),
  };

  it('passes a good release', () => {
    expect(validateRelease([{ component: 'api', version: 2, after: [] }], state)).toEqual([]);
  });

  it('collects every problem with its code', () => {
    const issues = validateRelease(
      [
        { component: 'api', version: 2, after: ['web'] },
        { component: 'web', version: 3, after: ['api'] },
        { component: 'new', version: 2, after: [] },
        { component: 'db', version: 1, after: ['cache'] },
        { component: 'img', version: 7, after: [] },
      ],
      state,
    );
    expect(issues).toEqual([
      { code: 'invalid', message: 'db is to go after cache, which is not in this release' },
      { code: 'invalid', message: 'release order has a cycle: api -> web -> api' },
      { code: 'conflict', message: 'web version 3 is retired and can never serve traffic again' },
      {
        code: 'conflict',
        message: 'new has no live version yet; point its alias at a first version with `onebox alias`',
      },
      { code: 'conflict', message: 'db v1 is already live' },
      { code: 'not_found', message: 'component "img" has no version 7' },
    ]);
  });

  it('refuses an empty release and a component twice', () => {
    expect(validateRelease([], state)).toEqual([
      { code: 'invalid', message: 'a release needs at least one component' },
    ]);
    const twice = validateRelease(
      [
        { component: 'api', version: 2, after: [] },
        { component: 'api', version: 2, after: [] },
      ],
      state,
    );
    expect(twice[0]).toEqual({ code: 'invalid', message: 'api appears twice in the release' });
  });
});

describe('nextInRelease', () => {
  const m = (
    component: string,
    status: 'created' | 'succeeded' | 'rolled-back' | 'in-progress',
    after: string[] = [],
  ) => ({
    component,
    toVersion: 2,
    status,
    after,
  });

  it('starts what has no one before it, waits for the rest', () => {
    expect(nextInRelease([m('api', 'created'), m('web', 'created', ['api'])])).toEqual([
      { kind: 'start', component: 'api' },
    ]);
    expect(nextInRelease([m('api', 'in-progress'), m('web', 'created', ['api'])])).toEqual([]);
  });

  it('starts a successor once every predecessor succeeded, skips it once one failed', () => {
    expect(nextInRelease([m('api', 'succeeded'), m('web', 'created', ['api'])])).toEqual([
      { kind: 'start', component: 'web' },
    ]);
    expect(nextInRelease([m('api', 'rolled-back'), m('db', 'succeeded'), m('web', 'created', ['api', 'db'])])).toEqual([
      { kind: 'skip', component: 'web', reason: 'api v2 rolled-back' },
    ]);
  });
});

describe('stepGate', () => {
  const arm = (requests: number, errors: number, ms = 5) => {
    const latency = new Float64Array(LATENCY_BUCKETS);
    latency[latencyBucket(ms * 1000)] = requests;
    return { requests, errors, latency, p50Ms: ms, p90Ms: ms, p99Ms: ms };
  };
  const gates = { alarms: DEFAULT_ALARMS, judge: DEFAULT_JUDGE };

  it('reads the alarms alone when one version serves everyone', () => {
    const g = stepGate({ gates, state: { toVersion: 2, weightBp: 10_000 }, fresh: arm(500, 0) });
    expect(g.judge).toBeUndefined();
    expect(g.verdict).toEqual(g.alarms);
  });

  it('combines alarms and judge while both serve, and fails on either', () => {
    const fresh = arm(400, 40);
    const g = stepGate({
      gates,
      state: { toVersion: 2, weightBp: 2000 },
      fresh,
      arms: { fresh, stable: arm(1600, 16) },
    });
    expect(g.judge?.findings.map((f) => f.check)).toEqual(['errors', 'latency-tail', 'latency-rank']);
    expect(g.verdict.result).toBe('fail');
    expect(g.verdict.sentence).toMatch(/^v2: error rate 10\.0% over 400 requests/);
  });

  it('asks for both arms when the judge applies', () => {
    expect(() => stepGate({ gates, state: { toVersion: 2, weightBp: 2000 }, fresh: arm(10, 0) })).toThrow(/both arms/);
  });

  it('times what a waiting part needs at the window pace', () => {
    const fresh = arm(60, 0);
    const g = stepGate({
      gates,
      state: { toVersion: 2, weightBp: 2000 },
      fresh,
      arms: { fresh, stable: arm(240, 0) },
      windowMs: 60_000,
    });
    expect(g.verdict.result).toBe('inconclusive');
    expect(g.verdict.need).toMatchObject({ perSecond: 1 });
  });
});
