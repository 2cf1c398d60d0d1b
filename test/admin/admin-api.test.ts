import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

describe('admin API', () => {
  let onebox: TestOnebox;
  let up: TestUpstream;
  const call = async (method: string, path: string, body?: unknown, token = TEST_TOKEN) => {
    const res = await request(`${onebox.adminUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    up = await startUpstream(labelled('x'));
    onebox = await startTestOnebox();
  });
  afterAll(async () => {
    await onebox.close();
    await up.close();
  });

  it('answers health without a token and everything else only with one', async () => {
    expect((await request(`${onebox.adminUrl}/healthz`)).statusCode).toBe(200);
    const res = await call('GET', '/v1/status', undefined, 'not-the-token');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong bearer token' } });
  });

  it('publishes with 201, numbers versions and never reuses a number after a delete', async () => {
    const first = await call('POST', '/v1/components/web/versions', { url: up.url, description: 'one' });
    expect(first.status).toBe(201);
    expect(first.body.version).toMatchObject({ number: 1, description: 'one' });
    await call('POST', '/v1/components/web/versions', { url: up.url });
    expect((await call('DELETE', '/v1/components/web/versions/2')).status).toBe(200);
    const third = await call('POST', '/v1/components/web/versions', { url: `${up.url}/base` });
    expect(third.body.version).toMatchObject({ number: 3, target: `${up.url}/base` });
    expect((await call('GET', '/v1/components/web/versions/2')).status).toBe(404);
  });

  it('routes to a target with a base path', async () => {
    await call('PUT', '/v1/components/web/alias', { version: 3 });
    const res = await request(`${onebox.gatewayUrl}/hello?q=1`);
    expect(await res.body.json()).toEqual({ version: 'x', path: '/base/hello?q=1' });
  });

  it('keeps the seed while the additional version stays, and changes it for a new one', async () => {
    await call('PUT', '/v1/components/web/alias', { version: 1, weights: { '3': 0.1 } });
    const a = (await call('GET', '/v1/components/web/alias')).body.alias as { seed: string };
    await call('PUT', '/v1/components/web/alias', { version: 1, weights: { '3': 0.5 } });
    const b = (await call('GET', '/v1/components/web/alias')).body.alias as { seed: string };
    expect(b.seed).toBe(a.seed);
    await call('POST', '/v1/components/web/versions', { url: up.url });
    await call('PUT', '/v1/components/web/alias', { version: 1, weights: { '4': 0.5 } });
    const c = (await call('GET', '/v1/components/web/alias')).body.alias as { seed: string };
    expect(c.seed).not.toBe(a.seed);
  });

  it('gives defined errors for bad requests', async () => {
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
    expect((await call('PATCH', '/v1/components/web/alias', {})).status).toBe(405);
    expect((await call('POST', '/v1/components/web/versions', '{not json')).body).toMatchObject({
      error: { code: 'invalid_json' },
    });
    const extra = await call('PUT', '/v1/components/web/alias', { version: 1, weights: { '3': 0.1, '4': 0.1 } });
    expect(extra.status).toBe(400);
    expect(String((extra.body.error as { message: string }).message)).toMatch(/at most one additional version/);
    const same = await call('PUT', '/v1/components/web/alias', { version: 1, weights: { '1': 0.1 } });
    expect(same.status).toBe(400);
    const unknownField = await call('POST', '/v1/components/web/versions', { url: up.url, colour: 'red' });
    expect(unknownField.status).toBe(400);
    const huge = await call(
      'POST',
      '/v1/components/web/versions',
      JSON.stringify({ url: up.url, d: 'x'.repeat(2 << 20) }),
    );
    expect(huge.status).toBe(413);
  });

  it('keeps answering after oversized bodies, also those a route never reads', async () => {
    // Found by the bad-input fuzzer: a 413 destroyed the request mid-body and the next
    // request on the keep-alive connection hung until the client's timeout.
    const big = JSON.stringify({ d: 'x'.repeat(3 << 20) });
    const statuses: number[] = [];
    for (const path of ['/v1/components/web/versions/9/retire', ...Array(4).fill('/v1/components/web/versions')]) {
      const res = await request(`${onebox.adminUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: big,
        headersTimeout: 3_000,
      });
      await res.body.dump();
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([404, 413, 413, 413, 413]);
    expect((await call('GET', '/v1/status')).status).toBe(200);
  });
});
