import { describe, expect, it } from 'vitest';
import { LiveFeed, sseEvent } from '../../src/engine/live-feed.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(keep?: number) {
  const clock = new FakeClock();
  const metrics = new MetricsRecorder();
  let statusCalls = 0;
  const feed = new LiveFeed({ metrics, clock, keep, status: () => ({ n: ++statusCalls }) });
  return { clock, metrics, feed, statusCalls: () => statusCalls };
}

describe('LiveFeed', () => {
  it('measures each version over the window since the previous sample', () => {
    const { clock, metrics, feed } = setup();
    const v1 = metrics.forVersion('web', 1);
    const v2 = metrics.forVersion('web', 2);
    for (let i = 0; i < 20; i++) v1.record(200, 1000, 'response', undefined); // 1 ms
    for (let i = 0; i < 9; i++) v2.record(200, 2000, 'response', undefined);
    v2.record(503, 50_000, 'response', undefined); // 50 ms
    clock.advance(2000);
    expect(feed.sample()).toEqual({
      at: clock.now(),
      versions: [
        { component: 'web', version: 1, requests: 20, rps: 10, errorRate: 0, p99Ms: 1 },
        { component: 'web', version: 2, requests: 10, rps: 5, errorRate: 0.1, p99Ms: 50 },
      ],
    });
    // The next window starts afresh: no traffic, no rate, no latency.
    v1.record(200, 4000, 'response', undefined);
    clock.advance(1000);
    const next = feed.sample();
    expect(next.versions[0]).toMatchObject({ component: 'web', version: 1, requests: 1, rps: 1, errorRate: 0 });
    // The latency histogram keeps 2 significant digits (1% resolution).
    expect(next.versions[0]!.p99Ms).toBeCloseTo(4, 1);
    expect(next.versions[1]).toEqual({ component: 'web', version: 2, requests: 0, rps: 0, errorRate: 0, p99Ms: 0 });
  });

  it('gives a new viewer the recent samples and the status, then every sample, with the status computed only for viewers', () => {
    const { clock, feed, statusCalls } = setup(2);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      feed.sample();
    }
    expect(statusCalls()).toBe(0);
    const got: string[] = [];
    const unsubscribe = feed.subscribe((t) => got.push(t));
    expect(feed.subscribers).toBe(1);
    expect(got[0]).toContain('event: samples\n');
    const samples = JSON.parse(/event: samples\ndata: (.*)\n/.exec(got[0]!)![1]!) as { at: number }[];
    expect(samples.map((s) => s.at)).toEqual([clock.now() - 1000, clock.now()]);
    expect(got[0]).toContain(sseEvent('status', { n: 1 }));
    clock.advance(1000);
    feed.sample();
    expect(got[1]).toBe(sseEvent('sample', { at: clock.now(), versions: [] }) + sseEvent('status', { n: 2 }));
    unsubscribe();
    feed.sample();
    expect(got).toHaveLength(2);
    expect(statusCalls()).toBe(2);
  });

  it('passes deployment events on at once and sends the status once after a burst', async () => {
    const { feed, statusCalls } = setup();
    const got: string[] = [];
    feed.subscribe((t) => got.push(t));
    const event = {
      at: 1,
      type: 'step',
      sentence: 'web v2: 10% of users on v2',
      status: 'in-progress' as const,
      weightBp: 1000,
    };
    feed.deploymentEvent({ ...event, deploymentId: 'd1' });
    feed.deploymentEvent({ ...event, type: 'started', deploymentId: 'd1' });
    expect(got.slice(1)).toEqual([
      sseEvent('deployment', { ...event, deploymentId: 'd1' }),
      sseEvent('deployment', { ...event, type: 'started', deploymentId: 'd1' }),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(got[3]).toBe(sseEvent('status', { n: 2 }));
    expect(statusCalls()).toBe(2);
  });

  it('lets go of a forgotten version, and measures one seen again from zero', () => {
    const { clock, metrics, feed } = setup();
    metrics.forVersion('web', 1).record(200, 1000, 'response', undefined);
    for (let i = 0; i < 10; i++) metrics.forVersion('web', 2).record(200, 1000, 'response', undefined);
    clock.advance(1000);
    feed.sample();
    metrics.forget('web', 2);
    clock.advance(1000);
    expect(feed.sample().versions.map((v) => v.version)).toEqual([1]);
    // Had the old mark (10 requests) been kept, this window would count 3 - 10.
    for (let i = 0; i < 3; i++) metrics.forVersion('web', 2).record(200, 1000, 'response', undefined);
    clock.advance(1000);
    expect(feed.sample().versions.find((v) => v.version === 2)).toMatchObject({ requests: 3, rps: 3 });
  });
});
