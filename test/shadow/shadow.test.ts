import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { shadowPolicyBody } from '../../src/api/shadow-policy.js';

/** An API whose answers carry a timestamp and a request id that change every time. */
const api =
  (price: number, priceOnlyFor?: RegExp) =>
  (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const p = priceOnlyFor && !priceOnlyFor.test(path) ? 10 : price;
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': randomUUID() });
      res.end(
        JSON.stringify({
          path: path.split('?')[0],
          price: p,
          at: Date.now() + Math.random(),
          rid: randomUUID(),
          echo: body || null,
        }),
      );
    });
  };

const policy = (over: Record<string, unknown>) => shadowPolicyBody.parse({ version: 2, ...over });

describe('shadow traffic', () => {
  const agent = new Agent({ connections: 32 });
  let onebox: TestOnebox | undefined;
  let ups: TestUpstream[] = [];
  const dirs: string[] = [];

  const start = async (
    live: ReturnType<typeof api>,
    shadow: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
    dir?: string,
  ) => {
    ups = await Promise.all([startUpstream(live), startUpstream(shadow)]);
    onebox = await startTestOnebox({}, dir ? { dir } : {});
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1 });
  };
  const send = async (
    n: number,
    path: (i: number) => string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await request(`${onebox!.gatewayUrl}${path(i)}`, {
          dispatcher: agent,
          method: (init.method ?? 'GET') as 'GET',
          body: init.body,
          headers: { cookie: `onebox-uid=${`s${i}`.padEnd(22, 'k')}`, ...init.headers },
        });
        await res.body.dump();
        statuses.push(res.statusCode);
      }),
    );
    return statuses;
  };
  /** Waits until every copy in flight is back and compared. */
  const settle = async () => {
    const runtime = onebox!.shadows.runtimes.get('web')!;
    await expect.poll(() => runtime.inFlight, { timeout: 10_000, interval: 20 }).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
  };

  afterEach(async () => {
    await onebox?.close();
    onebox = undefined;
    await Promise.all(ups.map((u) => u.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reports a field the shadow changed on one endpoint, with its count, and not the per-response noise', async () => {
    await start(api(10), api(12, /^\/items\//));
    onebox!.plane.startShadow('web', policy({}));
    await send(300, (i) => (i % 3 === 0 ? `/items/${i}` : `/users/${i}`));
    await settle();
    const report = onebox!.plane.shadowReport('web');
    expect(report.counters).toMatchObject({ mirrored: 300, compared: 300, droppedInFlight: 0 });
    expect(report.clean).toBe(false);
    const items = report.endpoints.find((e) => e.endpoint === 'GET /items/:id')!;
    expect(items.compared).toBe(100);
    expect(items.fields.map((f) => f.path)).toEqual(['$.price']);
    expect(items.fields[0]).toMatchObject({ differed: 100, kinds: { 'changed-value': 100 } });
    expect(items.fields[0]!.samples[0]).toMatchObject({ primary: '10', shadow: '12' });
    // The timestamp is no difference at all (the answers' timing explains it); the id is noise.
    expect(items.noiseOnly).toEqual(['$.rid']);
    const users = report.endpoints.find((e) => e.endpoint === 'GET /users/:id')!;
    expect(users.fields).toEqual([]);
  });

  it('without noise cancellation reports the request id too, not the timestamp', async () => {
    await start(api(10), api(10));
    onebox!.plane.startShadow('web', policy({ noise: false }));
    await send(50, (i) => `/users/${i}`);
    await settle();
    const users = onebox!.plane.shadowReport('web').endpoints[0]!;
    expect(users.fields.map((f) => f.path)).toEqual(['$.rid']);
  });

  it('never sends dropped headers to the shadow, and mirrors only safe methods unless allowed', async () => {
    await start(api(10), api(10));
    onebox!.plane.startShadow('web', policy({ noise: false }));
    const headers = { authorization: 'Bearer secret', 'proxy-authorization': 'Basic x', 'x-keep': 'yes' };
    await send(20, (i) => `/a/${i}`, { headers });
    await send(20, (i) => `/a/${i}`, { method: 'POST', body: '{"x":1}', headers });
    await settle();
    const toShadow = ups[1]!.received;
    expect(toShadow).toHaveLength(20);
    for (const r of toShadow) {
      expect(r.method).toBe('GET');
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers.cookie).toBeUndefined();
      expect(r.headers['proxy-authorization']).toBeUndefined();
      expect(r.headers['x-keep']).toBe('yes');
      expect(r.headers.baggage).toMatch(/^onebox-uid=s\d+k+$/);
    }

    onebox!.plane.startShadow('web', policy({ noise: false, methods: ['GET', 'POST'] }));
    expect(onebox!.plane.status().components[0]!.shadow!.warnings).toEqual([
      'mirroring POST: requests with side effects reach the shadow',
    ]);
    await send(10, (i) => `/b/${i}`, { method: 'POST', body: '{"x":1}' });
    await settle();
    const posts = ups[1]!.received.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(10);
    const report = onebox!.plane.shadowReport('web');
    expect(report.endpoints.find((e) => e.endpoint === 'POST /b/:id')!.compared).toBe(10);
  });

  it('mirrors a sticky share of users: the same users every time', async () => {
    await start(api(10), api(10));
    onebox!.plane.startShadow('web', policy({ share: 0.3, noise: false }));
    await send(1000, () => '/x');
    await send(1000, () => '/x');
    await settle();
    const seen = ups[1]!.received.map((r) => String(r.headers.baggage));
    const users = new Set(seen);
    expect(users.size).toBeGreaterThan(250);
    expect(users.size).toBeLessThan(350);
    expect(seen.length).toBe(users.size * 2);
  });

  it('never makes the client wait for a shadow that does not answer; drops at the cap and counts them', async () => {
    await start(api(10), () => {
      /* the shadow never answers */
    });
    onebox!.plane.startShadow('web', policy({ maxInFlight: 16, timeoutMs: 60_000, noise: false }));
    const runtime = onebox!.shadows.runtimes.get('web')!;
    const statuses = await send(2000, (i) => `/x/${i}`);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(runtime.inFlight).toBe(16);
    expect(runtime.report.data.counters).toMatchObject({ mirrored: 2000, droppedInFlight: 1984, compared: 0 });
  });

  it('frees the in-flight slot when the live version answers before reading the body', async () => {
    const early = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      if (req.method === 'POST') {
        res.writeHead(401, { connection: 'close' });
        res.end('no');
        return;
      }
      api(10)(req, res);
    };
    await start(early, api(10));
    onebox!.plane.startShadow('web', policy({ noise: false, methods: ['GET', 'POST'], maxInFlight: 2 }));
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 3; i++) {
      try {
        const res = await request(`${onebox!.gatewayUrl}/p/${i}`, { method: 'POST', body: big });
        await res.body.dump();
      } catch {
        /* the live version may close before the whole body is sent */
      }
    }
    for (let i = 0; i < 5; i++) {
      await send(1, () => `/g/${i}`);
      await settle();
    }
    // Whether the POSTs' copies are compared depends on how far the body got before the close
    // (Node 20 aborts them, Node 24 completes them); either way no slot stays taken.
    const counters = onebox!.plane.shadowReport('web').counters;
    expect(counters.droppedInFlight).toBe(0);
    expect(counters.compared).toBeGreaterThanOrEqual(5);
    expect(onebox!.shadows.runtimes.get('web')!.inFlight).toBe(0);
  });

  it('skips and counts bodies over the cap', async () => {
    await start(api(10), api(10));
    onebox!.plane.startShadow('web', policy({ bodyCapBytes: 64, noise: false }));
    await send(5, (i) => `/long-path-that-makes-the-json-answer-longer-than-sixty-four-bytes/${i}`);
    await settle();
    expect(onebox!.plane.shadowReport('web').counters).toMatchObject({ mirrored: 5, compared: 0, skippedBodyCap: 5 });
  });

  it('keeps the report across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onebox-shadow-'));
    dirs.push(dir);
    await start(api(10), api(11), dir);
    onebox!.plane.startShadow('web', policy({}));
    await send(40, (i) => `/items/${i}`);
    await settle();
    await onebox!.close();
    onebox = await startTestOnebox({}, { dir });
    const report = onebox.plane.shadowReport('web');
    expect(report.counters.compared).toBe(40);
    expect(report.endpoints[0]!.fields[0]).toMatchObject({ path: '$.price', differed: 40 });
    expect(onebox.shadows.runtimes.get('web')).toBeDefined();
  });

  it('refuses a shadow version that serves users, a retired one, or an unknown one', async () => {
    await start(api(10), api(10));
    expect(() => onebox!.plane.startShadow('web', policy({ version: 1 }))).toThrow(/is in the live alias/);
    expect(() => onebox!.plane.startShadow('web', policy({ version: 9 }))).toThrow(/has no version 9/);
    onebox!.plane.retire('web', 2);
    expect(() => onebox!.plane.startShadow('web', policy({}))).toThrow(/retired/);
  });
});

describe('a deployment that requires a clean shadow report', () => {
  it('is refused without a report, with too few comparisons, or with differences, and allowed when clean', async () => {
    const agent = new Agent({ connections: 16 });
    const ups = await Promise.all([startUpstream(api(10)), startUpstream(api(12)), startUpstream(api(10))]);
    const onebox = await startTestOnebox({
      components: [
        { name: 'web', route: '/', deployment: { requireCleanShadow: { minCompared: 30 }, judge: { enabled: false } } },
      ],
    });
    try {
      for (const u of ups) onebox.plane.publish('web', { url: u.url });
      onebox.plane.setAlias('web', { version: 1 });
      const traffic = async (n: number) => {
        for (let i = 0; i < n; i++)
          await (await request(`${onebox.gatewayUrl}/items/${i}`, { dispatcher: agent })).body.dump();
        await expect.poll(() => onebox.shadows.runtimes.get('web')?.inFlight ?? 0).toBe(0);
        await new Promise((r) => setTimeout(r, 20));
      };
      const deploy = (v: number) => () =>
        onebox.plane.release({ components: [{ component: 'web', version: v }] }, 'test');
      expect(deploy(2)).toThrow(/requires a clean shadow report before a deployment, and v2 has none/);
      onebox.plane.startShadow('web', policy({ version: 2 }));
      await traffic(10);
      expect(deploy(2)).toThrow(/shadow compared 10 requests; 30 are required/);
      await traffic(30);
      expect(deploy(2)).toThrow(
        /v2's shadow report is not clean: GET \/items\/:id differs at \$\.price in 40 of 40 requests/,
      );
      onebox.plane.startShadow('web', policy({ version: 3 }));
      await traffic(40);
      onebox.plane.stopShadow('web');
      expect(deploy(3)()[0]!.state.status).toBe('in-progress');
    } finally {
      await onebox.close();
      await Promise.all(ups.map((u) => u.close()));
      await agent.close();
    }
  });
});
