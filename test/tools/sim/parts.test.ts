import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARMS } from '../../../src/core/alarms.js';
import { bucketOf } from '../../../src/core/bucket.js';
import { latencyBucket } from '../../../src/core/latency-buckets.js';
import { parseFault } from '../../../src/tools/sim/fault.js';
import { AlarmPeriods } from '../../../src/tools/sim/gate.js';
import { Population } from '../../../src/tools/sim/population.js';
import { Rng, runSeed } from '../../../src/tools/sim/random.js';
import { Router } from '../../../src/tools/sim/router.js';
import {
  DEFAULT_ROUTES,
  latencyQuantileMs,
  RequestStream,
  versionModels,
  type TrafficSpec,
} from '../../../src/tools/sim/traffic.js';
import { ArmWindow } from '../../../src/tools/sim/window.js';

const traffic = (over: Partial<TrafficSpec> = {}): TrafficSpec => ({
  population: { users: 5_000, zipf: 0.8, sessionRequests: 8, thinkTimeMs: 15_000 },
  requestsPerSecond: 100,
  routes: DEFAULT_ROUTES,
  errorRate: 0.01,
  ...over,
});

describe('random numbers', () => {
  it('are the same for the same seed, and normals have mean 0 and variance 1', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
    let sum = 0;
    let squares = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const z = a.normal();
      sum += z;
      squares += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(squares / n).toBeCloseTo(1, 1);
  });

  it('give every run of a seed its own seed', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => runSeed(1, i)));
    expect(seeds.size).toBe(10_000);
    expect(runSeed(1, 5)).not.toBe(runSeed(2, 5));
  });
});

describe('faults', () => {
  it('parse errors, latency and tail faults, on some routes only', () => {
    expect(parseFault('none')).toEqual({ kind: 'none' });
    expect(parseFault('errors:1%->3%')).toEqual({ kind: 'errors', from: 0.01, to: 0.03, routes: undefined });
    expect(parseFault('latency:x1.5@checkout,search')).toEqual({
      kind: 'latency',
      factor: 1.5,
      tail: false,
      routes: ['checkout', 'search'],
    });
    expect(parseFault('p99:x2')).toEqual({ kind: 'latency', factor: 2, tail: true, routes: undefined });
    expect(() => parseFault('errors:3')).toThrow(/errors:3/);
    expect(() => parseFault('latency:1.5')).toThrow(/not a factor/);
  });

  it('change only the new version, only on the routes named', () => {
    const { stable, fresh } = versionModels(traffic(), parseFault('errors:1%->10%@checkout'));
    const checkout = DEFAULT_ROUTES.findIndex((r) => r.name === 'checkout');
    expect([...stable.errorRate]).toEqual(DEFAULT_ROUTES.map(() => 0.01));
    expect(fresh.errorRate[checkout]).toBe(0.1);
    expect(fresh.errorRate[0]).toBe(0.01);
    expect(() => versionModels(traffic(), parseFault('errors:1%->2%@nowhere'))).toThrow(/"nowhere"/);
  });

  it('p99:x1.5 raises the p99 by half and leaves the median; latency:x1.5 moves both', () => {
    const t = traffic();
    const tail = versionModels(t, parseFault('p99:x1.5'));
    const all = versionModels(t, parseFault('latency:x1.5'));
    const q = (m: typeof tail.stable, p: number) => latencyQuantileMs(m, t.routes, p);
    expect(q(tail.fresh, 0.5) / q(tail.stable, 0.5)).toBeCloseTo(1, 1);
    expect(q(tail.fresh, 0.99) / q(tail.stable, 0.99)).toBeGreaterThan(1.4);
    expect(q(tail.fresh, 0.99) / q(tail.stable, 0.99)).toBeLessThan(1.6);
    expect(q(all.fresh, 0.5) / q(all.stable, 0.5)).toBeCloseTo(1.5, 5);
  });
});

describe('the population and its requests', () => {
  it('draws session users by Zipf: the busiest user far ahead of the median one', () => {
    const pop = new Population(traffic().population, 1);
    const rng = new Rng(1);
    const counts = new Int32Array(pop.size);
    for (let i = 0; i < 500_000; i++) counts[pop.sessionUser(rng)]!++;
    // Rank 1 against rank 100: (100/1)^0.8 = 39.8 times as many sessions.
    expect(counts[0]! / counts[99]!).toBeGreaterThan(33);
    expect(counts[0]! / counts[99]!).toBeLessThan(47);
    expect(new Set(pop.ids).size).toBe(pop.size);
    expect(pop.ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('sends the requested rate from the start, in time order, in sessions', () => {
    const t = traffic();
    const pop = new Population(t.population, 2);
    const stream = new RequestStream(pop, t);
    const rng = new Rng(3);
    stream.start(rng, 0);
    let last = 0;
    let n = 0;
    let firstMinute = 0;
    const users = new Set<number>();
    for (stream.next(rng); stream.time < 600_000; stream.next(rng)) {
      expect(stream.time).toBeGreaterThanOrEqual(last);
      last = stream.time;
      n++;
      if (stream.time < 60_000) firstMinute++;
      users.add(stream.user);
    }
    expect(n / 600).toBeGreaterThan(95);
    expect(n / 600).toBeLessThan(105);
    // Steady from the first minute on (no warm-up ramp).
    expect(firstMinute / 60).toBeGreaterThan(90);
    // Sessions and skew: far fewer distinct users than requests.
    expect(users.size).toBeLessThan(n / 5);
  });
});

describe('the router', () => {
  const pop = new Population(traffic().population, 4);
  const alias = (weightBp: number) => ({ version: 1, additional: { version: 2, weightBp } });

  it('sticky: the bucket decides, as in the gateway (chooseVersion), for every request of a user', () => {
    const router = new Router(pop.ids, 'sticky', [2000]);
    router.reset('web@x', new Rng(1), 1, 2);
    router.apply(alias(2000));
    for (let u = 0; u < 500; u++) {
      const expected = bucketOf('web@x', pop.ids[u]!) < 2000;
      expect(router.toNew(u)).toBe(expected);
      expect(router.toNew(u)).toBe(expected);
    }
    router.apply({ version: 1 });
    expect(router.toNew(0)).toBe(false);
  });

  it('request: a fresh draw each time, the weight a share of requests', () => {
    const router = new Router(pop.ids, 'request', [2000]);
    router.reset('web@x', new Rng(1), 1, 2);
    router.apply(alias(2000));
    let onNew = 0;
    for (let i = 0; i < 20_000; i++) if (router.toNew(7)) onNew++;
    expect(onNew / 20_000).toBeCloseTo(0.2, 1);
  });
});

describe('fixed alarm periods', () => {
  it('judge each period once when it ends and keep that state until the next one ends', () => {
    const periods = new AlarmPeriods(DEFAULT_ALARMS, 60_000, new ArmWindow());
    expect(periods.state.result).toBe('inconclusive');
    periods.window.requests = 600;
    periods.window.errors = 30; // 5%
    periods.window.latency[latencyBucket(40_000)] = 600;
    periods.roll(55_000);
    expect(periods.state.result).toBe('inconclusive');
    periods.roll(60_000);
    expect(periods.state).toMatchObject({ result: 'fail' });
    expect(periods.window.requests).toBe(0);
    periods.window.requests = 600;
    periods.window.errors = 3;
    periods.roll(120_000);
    expect(periods.state.result).toBe('pass');
  });

  it('read percentiles from the latency buckets, within a bucket (5%)', () => {
    const w = new ArmWindow();
    for (let ms = 1; ms <= 100; ms++) {
      w.latency[latencyBucket(ms * 1000)]!++;
      w.requests++;
    }
    const s = w.stats();
    expect(s.p50Ms).toBeGreaterThan(50 * 0.95);
    expect(s.p50Ms).toBeLessThan(50 * 1.05);
    expect(s.p99Ms).toBeGreaterThan(99 * 0.95);
    expect(s.p99Ms).toBeLessThan(99 * 1.05);
  });
});
