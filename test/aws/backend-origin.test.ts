import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFrontKeyValueStoreClient, GetKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendOrigin, keyValueStoreSplits, routedFetch } from '../../src/aws/backend-origin.js';
import { writeBaggageIdentity } from '../../src/core/baggage.js';
import { loadViewerRequest, viewerEvent } from './control/edge-runtime.js';

/**
 * A frontend's server-side calls to the backend land on the backend version the edge puts
 * the same user's browser calls on: the bundled viewer-request function decides the
 * browser's `/api/` calls, backendOrigin the server's, from the same split.
 */
const KVS_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const KVS_ARN = `arn:aws:cloudfront::123456789012:key-value-store/${KVS_ID}`;
const API_STABLE = 'https://api-stable.lambda-url.us-east-1.on.aws';
const API_CANARY = 'https://api-canary.lambda-url.us-east-1.on.aws';
const SPLIT = JSON.stringify({ percent: 20, seed: 'api@3:r2-api', stable: 2, canary: 3, rev: 9 });
const uidOf = (u: number) => `user${String(u).padStart(20, '0')}`;

describe('backendOrigin', () => {
  it("puts every user's server-side calls where the edge puts their browser's", async () => {
    const store = new Map([
      ['web', JSON.stringify({ percent: 0, seed: 'web@2:r1-web', stable: 2, rev: 9 })],
      ['api', SPLIT],
    ]);
    const edge = loadViewerRequest(KVS_ID, (k) => store.get(k), {
      kvsKey: 'web',
      oneBoxDomain: 'web-canary.lambda-url.us-east-1.on.aws',
      partitionHeader: 'x-onebox-partition',
      identityHeader: '',
      routes: [{ prefix: '/api/', kvsKey: 'api', canaryDomain: new URL(API_CANARY).host }],
    });
    const route = backendOrigin({
      stableUrl: API_STABLE,
      canaryUrl: API_CANARY,
      kvsKey: 'api',
      readSplit: async (key) => store.get(key)!,
    });
    let onCanary = 0;
    const USERS = 500;
    for (let u = 0; u < USERS; u++) {
      edge.origins.length = 0;
      const page = await edge.handler(viewerEvent(uidOf(u), '/products/3', `p${u}`));
      edge.origins.length = 0;
      await edge.handler(viewerEvent(uidOf(u), '/api/products', `a${u}`));
      const browser = edge.origins.length ? `https://${edge.origins[0]}` : API_STABLE;
      // The server has no cookie: only the baggage the edge wrote into the page's request.
      const server = await route(page.headers['baggage']!.value);
      expect(server).toBe(browser);
      if (server === API_CANARY) onCanary++;
    }
    expect(onCanary / USERS).toBeGreaterThan(0.15);
    expect(onCanary / USERS).toBeLessThan(0.25);
    expect(route.fallbacks()).toBe(0);
  });

  it('reads the split once per ttl, so a step reaches server-side calls within it', async () => {
    let now = 0;
    let reads = 0;
    let percent = 0;
    const route = backendOrigin({
      stableUrl: API_STABLE,
      canaryUrl: API_CANARY,
      kvsKey: 'api',
      readSplit: async () => {
        reads++;
        return JSON.stringify({ percent, seed: 's' });
      },
      ttlMs: 5_000,
      now: () => now,
    });
    const baggage = writeBaggageIdentity(undefined, uidOf(1));
    expect(await route(baggage)).toBe(API_STABLE);
    percent = 100;
    now = 4_999;
    expect(await route(baggage)).toBe(API_STABLE);
    expect(reads).toBe(1);
    now = 5_000;
    expect(await route(baggage)).toBe(API_CANARY);
    expect(reads).toBe(2);
  });

  it('sends a call to stable, counted and logged, when it cannot decide', async () => {
    const lines: string[] = [];
    let now = 0;
    let answer: () => Promise<string> = () => Promise.reject(new Error('AccessDeniedException'));
    const route = backendOrigin({
      stableUrl: API_STABLE,
      canaryUrl: API_CANARY,
      kvsKey: 'api',
      readSplit: () => answer(),
      now: () => now,
      log: (line) => lines.push(line),
    });
    const everyone = JSON.stringify({ percent: 100, seed: 's' });
    expect(await route(undefined)).toBe(API_STABLE);
    expect(await route('tenant=acme')).toBe(API_STABLE);
    expect(await route(writeBaggageIdentity(undefined, 'u1'))).toBe(API_STABLE);
    now = 10_000;
    answer = async () => '{"percent": 101}';
    expect(await route(writeBaggageIdentity(undefined, 'u1'))).toBe(API_STABLE);
    expect(route.fallbacks()).toBe(4);
    expect(lines).toEqual([
      'onebox: backend call to stable: no onebox-uid in the baggage',
      'onebox: backend call to stable: no onebox-uid in the baggage',
      'onebox: backend call to stable: KeyValueStore key api is not readable (AccessDeniedException)',
      'onebox: backend call to stable: KeyValueStore key api is percent must be a number from 0 to 100',
    ]);
    // The store answers again: the next read after the ttl decides.
    now = 20_000;
    answer = async () => everyone;
    expect(await route(writeBaggageIdentity(undefined, 'u1'))).toBe(API_CANARY);
  });
});

describe('routedFetch', () => {
  const servers: Server[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    for (const name of ['stable', 'canary']) {
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ name, method: req.method, url: req.url, body, baggage: req.headers['baggage'] }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it("sends each call to its user's backend origin, path, query, method and body kept", async () => {
    const [stable, canary] = urls as [string, string];
    const route = backendOrigin({
      stableUrl: stable,
      canaryUrl: canary,
      kvsKey: 'api',
      readSplit: async () => SPLIT,
    });
    const routed = routedFetch(fetch, route, stable);
    const seen = { stable: 0, canary: 0 };
    for (let u = 0; u < 60; u++) {
      const baggage = writeBaggageIdentity('tenant=acme', uidOf(u));
      const expected = (await route(baggage)) === canary ? 'canary' : 'stable';
      const get = await (await routed(`${stable}/api/products?page=2`, { headers: { baggage } })).json();
      expect(get).toMatchObject({ name: expected, method: 'GET', url: '/api/products?page=2', baggage });
      const post = await (
        await routed(new Request(`${stable}/api/orders`, { method: 'POST', body: '{"id":1}', headers: { baggage } }))
      ).json();
      expect(post).toMatchObject({ name: expected, method: 'POST', url: '/api/orders', body: '{"id":1}' });
      seen[expected]++;
    }
    expect(seen.canary).toBeGreaterThan(0);
    expect(seen.stable).toBeGreaterThan(seen.canary);
    expect(() => routedFetch(fetch, route, undefined as unknown as string)).toThrow(
      "routedFetch: the backend's stable URL must be a URL, got undefined",
    );
    // A call to anywhere else goes out as it is.
    const other = await (await routed(`${canary}/health`)).json();
    expect(other).toMatchObject({ name: 'canary', url: '/health' });
  });
});

describe('keyValueStoreSplits', () => {
  it("reads a key with the store's GetKey", async () => {
    const kvs = mockClient(CloudFrontKeyValueStoreClient);
    // GetKey's answer as AWS documents it.
    kvs.on(GetKeyCommand, { KvsARN: KVS_ARN, Key: 'api' }).resolves({ Key: 'api', Value: SPLIT, ItemCount: 2, TotalSizeInBytes: 120 });
    kvs.on(GetKeyCommand, { KvsARN: KVS_ARN, Key: 'nope' }).rejects(Object.assign(new Error('Resource not found'), { name: 'ResourceNotFoundException' }));
    const read = keyValueStoreSplits(new CloudFrontKeyValueStoreClient({ region: 'us-east-1' }), KVS_ARN);
    expect(await read('api')).toBe(SPLIT);
    await expect(read('nope')).rejects.toThrow('Resource not found');
    expect(kvs.commandCalls(GetKeyCommand)).toHaveLength(2);
    kvs.restore();
  });
});
