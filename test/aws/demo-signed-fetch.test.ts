import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch } from '../../examples/demo/cdk/signed-fetch.js';

// The demo web's server-side calls to the API's function URL (auth AWS_IAM), against a real server.
describe("the serverless demo's signed calls to its API", () => {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end('ok');
  });
  let origin = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'session-token',
  };

  it('signs requests to the API origin with SigV4 for lambda, keeping the caller headers', async () => {
    seen.length = 0;
    const f = signedFetch(() => [origin], env);
    const res = await f(`${origin}/api/products?page=2`, { headers: { baggage: 'onebox.uid=u1' } });
    expect(await res.text()).toBe('ok');
    const h = seen[0]!.headers;
    expect(seen[0]!.url).toBe('/api/products?page=2');
    expect(h['baggage']).toBe('onebox.uid=u1');
    expect(h['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*baggage[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(h['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(h['x-amz-security-token']).toBe('session-token');
  });

  it('leaves calls to any other origin unsigned', async () => {
    seen.length = 0;
    const f = signedFetch(() => ['https://api.example.com'], env);
    await f(`${origin}/x`);
    expect(seen[0]!.headers['authorization']).toBeUndefined();
  });
});
