import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads GET /v1/events as the dashboard does: fetch with the Authorization header, SSE text. */
async function openStream(adminUrl: string, signal: AbortSignal) {
  const res = await fetch(`${adminUrl}/v1/events`, { headers: { authorization: `Bearer ${TEST_TOKEN}` }, signal });
  const events: SseEvent[] = [];
  let buffer = '';
  const done = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)![1]!;
          events.push({ event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { res, events, done };
}

describe('GET /v1/events (Server-Sent Events)', () => {
  let onebox: TestOnebox;
  let ups: TestUpstream[];

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox({}, { feedIntervalMs: 50 });
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('streams recent samples and the status at once, then samples, status and deployment events', async () => {
    const abort = new AbortController();
    const stream = await openStream(onebox.adminUrl, abort.signal);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.res.headers.get('cache-control')).toBe('no-store');
    await expect.poll(() => stream.events.length).toBeGreaterThanOrEqual(2);
    expect(stream.events.slice(0, 2).map((e) => e.event)).toEqual(['samples', 'status']);
    expect((stream.events[1]!.data as { components: { name: string }[] }).components[0]!.name).toBe('web');

    for (let i = 0; i < 5; i++) await (await request(`${onebox.gatewayUrl}/`)).body.dump();
    const withTraffic = () =>
      stream.events.find(
        (e) =>
          e.event === 'sample' &&
          (e.data as { versions: { version: number; requests: number }[] }).versions.some(
            (v) => v.version === 1 && v.requests > 0,
          ),
      );
    await expect.poll(withTraffic).toBeDefined();
    const sample = withTraffic()!.data as { at: number; versions: Record<string, unknown>[] };
    expect(sample.versions[0]).toMatchObject({ component: 'web', version: 1, errorRate: 0 });
    expect(sample.versions[0]!.rps).toBeGreaterThan(0);

    const res = await request(`${onebox.adminUrl}/v1/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ components: [{ component: 'web', version: 2, config: 'canary:10%:5m' }] }),
    });
    expect(res.statusCode).toBe(201);
    await res.body.dump();
    await expect
      .poll(() =>
        stream.events.filter((e) => e.event === 'deployment').map((e) => (e.data as { sentence: string }).sentence),
      )
      .toEqual(['web v2: deployment from v1 started: 10% -> 100%', 'web v2: 10% of users on v2 for 5m (step 1 of 2)']);
    expect(onebox.feed.subscribers).toBe(1);
    abort.abort();
    await stream.done;
    // A viewer that leaves costs nothing more.
    await expect.poll(() => onebox.feed.subscribers).toBe(0);
  });

  it('lets the server close with a viewer still connected', async () => {
    const abort = new AbortController();
    const other = await startTestOnebox({}, { feedIntervalMs: 50 });
    const stream = await openStream(other.adminUrl, abort.signal);
    await expect.poll(() => stream.events.length).toBeGreaterThanOrEqual(2);
    await other.close();
    await stream.done;
    abort.abort();
  });
});
