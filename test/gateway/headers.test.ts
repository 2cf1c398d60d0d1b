import CachePolicy from 'http-cache-semantics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { bucketOf } from '../../src/core/index.js';
import { cookieFrom, nodeRequest, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

const echo = (label: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'public, max-age=300',
    connection: 'keep-alive, x-upstream-private',
    'x-upstream-private': 'hop',
    'keep-alive': 'timeout=5',
  });
  res.end(JSON.stringify({ version: label, headers: req.headers }));
};

/** An id whose bucket for the seed is below (admit) or at/above (reject) the weight. */
function idFor(seed: string, weightBp: number, admit: boolean): string {
  for (let i = 0; ; i++) {
    const id = `user-${i}-abcdefghijklmnopqrstu`;
    if (bucketOf(seed, id) < weightBp === admit) return id;
  }
}

describe('gateway headers, identity and propagation', () => {
  let v1: TestUpstream;
  let v2: TestUpstream;
  let onebox: TestOnebox;

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startUpstream(echo('v1')), startUpstream(echo('v2'))]);
    onebox = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', identityHeader: 'X-User-Id' } });
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  it('issues an HttpOnly, SameSite=Lax, long-lived 128-bit cookie to a new user, once', async () => {
    onebox.plane.setAlias('web', { version: 1 });
    const first = await request(`${onebox.gatewayUrl}/page`);
    await first.body.dump();
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^onebox-uid=[A-Za-z0-9_-]{22}; Path=\/; Max-Age=34560000; HttpOnly; SameSite=Lax$/);
    const again = await request(`${onebox.gatewayUrl}/page`, { headers: { cookie: cookieFrom(setCookie) } });
    await again.body.dump();
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('strips hop-by-hop headers both ways and sets X-Forwarded-*, the debug header and baggage', async () => {
    onebox.plane.setAlias('web', { version: 1 });
    // node:http, not undici: undici refuses to send a Connection header that lists names.
    const res = await nodeRequest(`${onebox.gatewayUrl}/a?b=1`, {
      headers: {
        expect: '100-continue',
        host: 'shop.example',
        connection: 'keep-alive, x-client-private',
        'x-client-private': 'secret',
        'proxy-authorization': 'Basic abc',
        te: 'trailers',
        baggage: 'tenant=acme,onebox-uid=should-be-replaced-by-cookie;p=1',
        cookie: 'onebox-uid=AAAAAAAAAAAAAAAAAAAAAA; theme=dark',
        'x-forwarded-for': '6.6.6.6',
      },
    });
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    expect(seen.expect).toBeUndefined();
    expect(seen['x-client-private']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1'); // the client's claim is not trusted by default
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('shop.example');
    expect(seen.cookie).toBe('onebox-uid=AAAAAAAAAAAAAAAAAAAAAA; theme=dark');
    expect(seen.baggage).toBe('tenant=acme,onebox-uid=AAAAAAAAAAAAAAAAAAAAAA');
    expect(res.headers['x-onebox-version']).toBe('web:1');
    expect(res.headers['x-upstream-private']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    // Not split: nothing to vary on, the response stays cacheable as the upstream said.
    expect(res.headers.vary).toBeUndefined();
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('gives a downstream hop carrying only the baggage the same version as the user', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.3 } });
    const seed = onebox.plane.alias('web')!.seed;
    for (const admit of [true, false]) {
      const id = idFor(seed, 3000, admit);
      const fromBrowser = await request(`${onebox.gatewayUrl}/`, { headers: { cookie: `onebox-uid=${id}` } });
      const { headers } = (await fromBrowser.body.json()) as { headers: Record<string, string> };
      // The upstream (an SSR frontend, say) calls the API through the gateway with the baggage it got.
      const hop = await request(`${onebox.gatewayUrl}/api/thing`, { headers: { baggage: headers.baggage! } });
      await hop.body.dump();
      expect(fromBrowser.headers['x-onebox-version']).toBe(admit ? 'web:2' : 'web:1');
      expect(hop.headers['x-onebox-version']).toBe(fromBrowser.headers['x-onebox-version']);
      expect(hop.headers['set-cookie']).toBeUndefined();
    }
  });

  it('lets the configured identity header take precedence over the cookie', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.3 } });
    const seed = onebox.plane.alias('web')!.seed;
    const cookieId = idFor(seed, 3000, false);
    const headerId = idFor(seed, 3000, true);
    const res = await request(`${onebox.gatewayUrl}/`, {
      headers: { cookie: `onebox-uid=${cookieId}`, 'x-user-id': headerId },
    });
    await res.body.dump();
    expect(res.headers['x-onebox-version']).toBe('web:2');
  });

  it('never lets a client header pick a version', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.3 } });
    const id = idFor(onebox.plane.alias('web')!.seed, 3000, false);
    const res = await request(`${onebox.gatewayUrl}/`, {
      headers: { cookie: `onebox-uid=${id}`, 'x-onebox-version': 'web:2', 'x-amz-function-version': '2' },
    });
    await res.body.dump();
    expect(res.headers['x-onebox-version']).toBe('web:1');
  });

  it('marks Secure only when the request came over https (through a trusted proxy)', async () => {
    const trusted = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', trustProxy: true } });
    try {
      trusted.plane.publish('web', { url: v1.url });
      trusted.plane.setAlias('web', { version: 1 });
      const res = await request(`${trusted.gatewayUrl}/`, {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      });
      const { headers } = (await res.body.json()) as { headers: Record<string, string> };
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
      expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('https');
    } finally {
      await trusted.close();
    }
  });

  it('keeps a shared cache in front from serving one partition’s response to the other', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    const seed = onebox.plane.alias('web')!.seed;
    const onNew = `onebox-uid=${idFor(seed, 5000, true)}`;
    const onOld = `onebox-uid=${idFor(seed, 5000, false)}`;
    const asCached = async (cookie: string) => {
      const req = { url: '/', method: 'GET', headers: { host: 'shop.example', cookie } };
      const res = await request(`${onebox.gatewayUrl}/`, { headers: { cookie } });
      await res.body.dump();
      return {
        req,
        policy: new CachePolicy(
          req,
          { status: res.statusCode, headers: res.headers as Record<string, string> },
          { shared: true },
        ),
      };
    };
    const cachedForNew = await asCached(onNew);
    expect(cachedForNew.policy.storable()).toBe(true);
    // Same user again: the cache may answer.
    expect(cachedForNew.policy.satisfiesWithoutRevalidation(cachedForNew.req)).toBe(true);
    // A user of the other partition must not get it.
    const other = { url: '/', method: 'GET', headers: { host: 'shop.example', cookie: onOld } };
    expect(cachedForNew.policy.satisfiesWithoutRevalidation(other)).toBe(false);

    // A response that hands out a new identity is never stored by a shared cache.
    const fresh = await request(`${onebox.gatewayUrl}/`);
    await fresh.body.dump();
    const freshPolicy = new CachePolicy(
      { url: '/', method: 'GET', headers: { host: 'shop.example' } },
      { status: fresh.statusCode, headers: fresh.headers as Record<string, string> },
      { shared: true },
    );
    expect(freshPolicy.storable()).toBe(false);
  });

  it('records requests, errors, latency and users per version', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    const before1 = onebox.metrics.forVersion('web', 1).snapshot().requests;
    const before2 = onebox.metrics.forVersion('web', 2).snapshot().requests;
    for (let i = 0; i < 200; i++) {
      const res = await request(`${onebox.gatewayUrl}/`, {
        headers: { cookie: `onebox-uid=${`m${i}`.padEnd(22, 'x')}` },
      });
      await res.body.dump();
    }
    const m1 = onebox.metrics.forVersion('web', 1).snapshot();
    const m2 = onebox.metrics.forVersion('web', 2).snapshot();
    expect(m1.requests - before1 + (m2.requests - before2)).toBe(200);
    expect(m2.requests - before2).toBeGreaterThan(60);
    expect(m1.latencyMs.p99).toBeGreaterThan(0);
    expect(m2.users).toBeGreaterThan(60);
  });
});
