import { describe, expect, it } from 'vitest';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';
import { prng } from '../helpers/random.js';

type Outcome = 'response' | 'upstream-error' | 'upstream-timeout';
interface Hit {
  status: number;
  us: number;
  outcome: Outcome;
  user: string | undefined;
}

function randomHits(seed: number, n: number): Hit[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    const r = rand();
    return {
      status: r < 0.05 ? 500 : r < 0.08 ? 502 : 200,
      us: Math.round(200 + rand() * rand() * 400_000),
      outcome: r < 0.05 ? 'response' : r < 0.07 ? 'upstream-error' : r < 0.08 ? 'upstream-timeout' : 'response',
      user: rand() < 0.1 ? undefined : `user-${Math.floor(rand() * 300)}`,
    } as Hit;
  });
}

describe('gateway worker metrics, added up in the primary', () => {
  it('carries upgrades and log entries to the primary, where the listener hears each once', () => {
    const heard: string[] = [];
    const primary = new MetricsRecorder({ onLog: (e) => heard.push(e.requestId) });
    primary.forVersion('web', 1);
    const worker = new WorkerMetrics();
    const v1 = worker.forVersion('web', 1);
    v1.record(101, 1000, 'response', 'u');
    v1.countUpgrade(true);
    v1.record(500, 1000, 'response', 'u');
    v1.log({
      at: 1,
      component: 'web',
      version: 1,
      requestId: 'r1',
      method: 'GET',
      path: '/',
      status: 500,
      kind: 'handler-error',
      message: 'Error: boom',
    });
    primary.absorb(worker.drain()!);
    expect(worker.drain()).toBeUndefined();
    expect(primary.forVersion('web', 1).snapshot()).toMatchObject({ requests: 2, upgrades: 1, upgradeFailures: 0 });
    expect(primary.logs('web', 1, 10).map((e) => e.requestId)).toEqual(['r1']);
    expect(heard).toEqual(['r1']);
  });

  it('three workers reporting in rounds give the primary what one process recording everything would have', () => {
    const direct = new MetricsRecorder();
    const merged = new MetricsRecorder();
    for (const r of [direct, merged]) {
      r.forVersion('web', 1);
      r.forVersion('web', 2);
    }
    const directTracker = direct.trackExposure('web', 'd1', 2);
    const mergedTracker = merged.trackExposure('web', 'd1', 2);
    const workers = [new WorkerMetrics(), new WorkerMetrics(), new WorkerMetrics()];
    const hits = randomHits(7, 6500);
    const report = (): void => {
      for (const w of workers) {
        const delta = w.drain();
        if (delta) merged.absorb(delta);
      }
    };
    hits.forEach((h, i) => {
      const version = i % 5 === 0 ? 2 : 1;
      direct.forVersion('web', version).record(h.status, h.us, h.outcome, h.user);
      workers[i % 3]!.forVersion('web', version).record(h.status, h.us, h.outcome, h.user);
      if (i % 1000 === 999) report();
      if (i % 700 === 0) {
        direct.countFallback('no-route');
        workers[1]!.countFallback('no-route');
      }
    });
    report();

    // The largest latency goes through the histogram's buckets: equal within its 2 significant digits.
    const [got, want] = [merged.snapshot().versions, direct.snapshot().versions];
    const withoutMax = (vs: typeof got) => vs.map((v) => ({ ...v, latencyMs: { ...v.latencyMs, max: 0 } }));
    expect(withoutMax(got)).toEqual(withoutMax(want));
    got.forEach((v, i) => expect(Math.abs(v.latencyMs.max / want[i]!.latencyMs.max - 1)).toBeLessThan(0.01));
    expect(merged.snapshot().fallbacks).toEqual(direct.snapshot().fallbacks);
    for (const v of [1, 2])
      expect(merged.forVersion('web', v).since(undefined)).toEqual(direct.forVersion('web', v).since(undefined));
    expect([mergedTracker.onNew.count, mergedTracker.active.count]).toEqual([
      directTracker.onNew.count,
      directTracker.active.count,
    ]);
    expect(mergedTracker.onNew.count).toBeGreaterThan(0);
  });

  it('a drained worker has nothing more to report until it records again', () => {
    const w = new WorkerMetrics();
    expect(w.drain()).toBeUndefined();
    w.forVersion('api', 3).record(200, 1500, 'response', 'u1');
    w.forVersion('api', 3).record(200, 1500, 'response', 'u1');
    const delta = w.drain()!;
    expect(delta.versions).toHaveLength(1);
    expect(delta.versions[0]).toMatchObject({ component: 'api', version: 3, requests: 2, users: ['u1'] });
    expect(w.drain()).toBeUndefined();
  });

  it('lets go of versions no longer routed, once they are drained', () => {
    const w = new WorkerMetrics();
    const old = w.forVersion('api', 1);
    old.record(200, 100, 'response', undefined);
    w.keepOnly(() => false);
    expect(w.forVersion('api', 1)).toBe(old); // not yet reported: kept
    w.drain();
    w.keepOnly((_c, v) => v !== 1);
    expect(w.forVersion('api', 1)).not.toBe(old);
  });

  it('a report for a version the primary already forgot (retired meanwhile) is dropped, not revived', () => {
    const primary = new MetricsRecorder();
    primary.forVersion('api', 1);
    const w = new WorkerMetrics();
    w.forVersion('api', 1).record(200, 100, 'response', 'u');
    w.forVersion('api', 2).record(200, 100, 'response', 'u');
    primary.absorb(w.drain()!);
    expect(primary.snapshot().versions.map((v) => [v.version, v.requests])).toEqual([[1, 1]]);
  });
});
