import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

describe('GET /metrics (Prometheus text format)', () => {
  let onebox: TestOnebox;
  let ups: TestUpstream[];
  beforeAll(async () => {
    ups = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.25 } });
    for (let i = 0; i < 40; i++) {
      const res = await request(`${onebox.gatewayUrl}/`, {
        headers: { cookie: `onebox-uid=${`p${i}`.padEnd(22, 'm')}` },
      });
      await res.body.dump();
    }
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('needs the token', async () => {
    expect((await request(`${onebox.adminUrl}/metrics`)).statusCode).toBe(401);
  });

  it('exports per-version counters, quantiles, users and alias weights', async () => {
    const res = await request(`${onebox.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.body.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (!line) throw new Error(`no ${series} in\n${text}`);
      return Number(line.slice(series.length + 1));
    };
    const v1 = value('onebox_requests_total{component="web",version="1"}');
    const v2 = value('onebox_requests_total{component="web",version="2"}');
    expect(v1 + v2).toBe(40);
    expect(
      value('onebox_users{component="web",version="1"}') + value('onebox_users{component="web",version="2"}'),
    ).toBe(40);
    expect(value('onebox_alias_weight{component="web",version="2"}')).toBe(0.25);
    expect(value('onebox_alias_weight{component="web",version="1"}')).toBe(0.75);
    expect(value('onebox_request_duration_seconds{component="web",version="1",quantile="0.99"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE onebox_requests_total counter');
  });

  it("exports the process's memory, heap and handles, shared by every onebox in the process", async () => {
    // A second onebox in the same process: the process metrics are registered once, not per onebox.
    const other = await startTestOnebox();
    try {
      for (const o of [onebox, other]) {
        const res = await request(`${o.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
        expect(res.statusCode).toBe(200);
        const text = await res.body.text();
        const value = (series: string): number => {
          const line = text.split('\n').find((l) => l.startsWith(`${series} `));
          if (!line) throw new Error(`no ${series} in\n${text}`);
          return Number(line.slice(series.length + 1));
        };
        const rss = process.memoryUsage().rss;
        expect(value('process_resident_memory_bytes')).toBeGreaterThan(rss / 2);
        expect(value('process_resident_memory_bytes')).toBeLessThan(rss * 2);
        expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
        expect(value('nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(value('nodejs_heap_size_total_bytes'));
        // Both oneboxes' listening sockets at least.
        expect(value('nodejs_active_handles_total')).toBeGreaterThanOrEqual(4);
        expect(value('nodejs_active_resources_total')).toBeGreaterThanOrEqual(4);
        expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
      }
    } finally {
      await other.close();
    }
  });
});
