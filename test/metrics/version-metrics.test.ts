import { describe, expect, it } from 'vitest';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { VersionMetrics } from '../../src/metrics/version-metrics.js';

const ms = (n: number): number => n * 1000; // latencies are recorded in microseconds

describe('VersionMetrics', () => {
  it('an empty snapshot is all zeros', () => {
    expect(new VersionMetrics('api', 3).snapshot()).toEqual({
      component: 'api',
      version: 3,
      requests: 0,
      errors5xx: 0,
      upstreamErrors: 0,
      upstreamTimeouts: 0,
      upgrades: 0,
      upgradeFailures: 0,
      latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
      users: 0,
      usersExact: true,
    });
  });

  it('counts requests, 5xx, upstream errors and timeouts separately', () => {
    const m = new VersionMetrics('api', 1);
    m.record(200, ms(1), 'response', 'a');
    m.record(404, ms(1), 'response', 'a');
    m.record(499, ms(1), 'response', 'b');
    m.record(500, ms(1), 'response', 'b');
    m.record(503, ms(1), 'response', undefined);
    m.record(502, ms(1), 'upstream-error', 'c');
    m.record(504, ms(1), 'upstream-timeout', 'c');
    m.record(200, ms(1), 'upstream-error', undefined); // failed mid-body after a 200
    const s = m.snapshot();
    expect(s).toMatchObject({
      requests: 8,
      errors5xx: 4,
      upstreamErrors: 2,
      upstreamTimeouts: 1,
      users: 3,
      usersExact: true,
    });
  });

  it('percentiles of 1..1000 ms uniform are within 1% and ordered', () => {
    const m = new VersionMetrics('web', 2);
    for (let i = 1000; i >= 1; i--) m.record(200, ms(i), 'response', undefined);
    const { latencyMs: l } = m.snapshot();
    expect(l.p50).toBeGreaterThanOrEqual(500);
    expect(l.p50).toBeLessThanOrEqual(505);
    expect(l.p90).toBeGreaterThanOrEqual(900);
    expect(l.p90).toBeLessThanOrEqual(909);
    expect(l.p99).toBeGreaterThanOrEqual(990);
    expect(l.p99).toBeLessThanOrEqual(1000);
    expect(l.p999).toBeGreaterThanOrEqual(999 * 0.99);
    expect(l.p999).toBeLessThanOrEqual(1000);
    expect(l.max).toBe(1000);
    expect(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max).toBe(true);
  });

  it('a long tail shows in p99 and p99.9 but not p50', () => {
    const m = new VersionMetrics('api', 1);
    // 10,000 requests: 98.8% at 10 ms, 1% at 2 s, 0.2% at 30 s.
    for (let i = 0; i < 9_880; i++) m.record(200, ms(10), 'response', undefined);
    for (let i = 0; i < 100; i++) m.record(200, ms(2000), 'response', undefined);
    for (let i = 0; i < 20; i++) m.record(200, ms(30_000), 'response', undefined);
    const { latencyMs: l } = m.snapshot();
    expect(Math.abs(l.p50 - 10) / 10).toBeLessThanOrEqual(0.01);
    expect(Math.abs(l.p90 - 10) / 10).toBeLessThanOrEqual(0.01);
    expect(Math.abs(l.p99 - 2000) / 2000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(l.p999 - 30_000) / 30_000).toBeLessThanOrEqual(0.01);
    expect(l.max).toBe(30_000);
  });

  it('keeps sub-millisecond precision and clamps to 1 µs .. 10 minutes', () => {
    const m = new VersionMetrics('api', 1);
    m.record(200, 250, 'response', undefined);
    expect(m.snapshot().latencyMs.max).toBe(0.25);
    const z = new VersionMetrics('api', 1);
    z.record(200, 0, 'response', undefined);
    z.record(200, -5, 'response', undefined);
    expect(z.snapshot().latencyMs).toEqual({ p50: 0.001, p90: 0.001, p99: 0.001, p999: 0.001, max: 0.001 });
    const big = new VersionMetrics('api', 1);
    big.record(504, 3_600_000_000, 'upstream-timeout', undefined); // an hour
    expect(big.snapshot().latencyMs.max).toBe(600_000);
  });

  // Product bug (see the report): percentiles are bucket upper bounds, so with few samples
  // they come out above the largest latency actually recorded.
  it('no percentile exceeds the maximum', () => {
    for (const us of [1001, 1234, 25_000, 123_456, 3_600_000_000]) {
      const m = new VersionMetrics('api', 1);
      m.record(200, us, 'response', undefined);
      m.record(200, us, 'response', undefined);
      const l = m.snapshot().latencyMs;
      expect({ us, p50: l.p50 <= l.max, p99: l.p99 <= l.max, p999: l.p999 <= l.max }).toEqual({
        us,
        p50: true,
        p99: true,
        p999: true,
      });
    }
  });

  it('counts distinct users, exact while small', () => {
    const m = new VersionMetrics('api', 1);
    for (let i = 0; i < 300; i++) m.record(200, ms(1), 'response', `u${i % 120}`);
    expect(m.snapshot()).toMatchObject({ requests: 300, users: 120, usersExact: true });
  });
});

describe('MetricsRecorder', () => {
  it('keeps one VersionMetrics per component and version', () => {
    const r = new MetricsRecorder();
    const a1 = r.forVersion('api', 1);
    expect(r.forVersion('api', 1)).toBe(a1);
    expect(r.forVersion('api', 2)).not.toBe(a1);
    expect(r.forVersion('web', 1)).not.toBe(a1);
    a1.record(200, ms(5), 'response', 'x');
    r.forVersion('web', 1).record(500, ms(5), 'response', 'y');
    const snap = r.snapshot();
    expect(snap.versions.map((v) => [v.component, v.version, v.requests, v.errors5xx])).toEqual([
      ['api', 1, 1, 0],
      ['api', 2, 0, 0],
      ['web', 1, 1, 1],
    ]);
  });

  it('keeps the newest 100 log entries per version, oldest first, and tells its listener of each', () => {
    const heard: number[] = [];
    const r = new MetricsRecorder({ onLog: (e) => heard.push(e.at) });
    const entry = (at: number, version: number) => ({
      at,
      component: 'api',
      version,
      requestId: `r${at}`,
      method: 'GET',
      path: '/',
      status: 500,
      kind: 'handler-error',
      message: 'Error: boom',
    });
    for (let i = 1; i <= 250; i++) r.forVersion('api', 1).log(entry(i * 2, 1));
    r.forVersion('api', 2).log(entry(301, 2));
    expect(heard).toHaveLength(251);
    const v1 = r.logs('api', 1, 1000);
    expect(v1.map((e) => e.at)).toEqual(Array.from({ length: 100 }, (_, i) => 302 + i * 2));
    // Both versions, merged in time order, the last `limit`.
    expect(r.logs('api', undefined, 3).map((e) => [e.version, e.at])).toEqual([
      [1, 496],
      [1, 498],
      [1, 500],
    ]);
    expect(
      r
        .logs('api', undefined, 200)
        .filter((e) => e.version === 2)
        .map((e) => e.at),
    ).toEqual([301]);
    expect(r.logs('web', undefined, 10)).toEqual([]);
    expect(r.logs('api', 9, 10)).toEqual([]);
  });

  it('counts upgrades and upgrade failures apart from the answers they got', () => {
    const m = new VersionMetrics('api', 1);
    m.record(101, ms(1), 'response', 'a');
    m.countUpgrade(true);
    m.record(502, ms(1), 'upstream-error', 'b');
    m.countUpgrade(false);
    expect(m.snapshot()).toMatchObject({ requests: 2, errors5xx: 1, upgrades: 1, upgradeFailures: 1 });
  });

  it('counts fallbacks by reason', () => {
    const r = new MetricsRecorder();
    r.countFallback('unknown-route');
    r.countFallback('bad-identity-header');
    r.countFallback('unknown-route');
    expect(r.snapshot().fallbacks).toEqual({ 'unknown-route': 2, 'bad-identity-header': 1 });
  });
});
