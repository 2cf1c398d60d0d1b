import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRequest, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox } from '../helpers/onebox.js';

/** The Host an upstream (a URL version) gets behind a gateway with the given settings. */
async function hostsSeen(
  gateway: { preserveHost?: boolean; publicHost?: string },
  upstream: TestUpstream,
): Promise<{ host: string | undefined; forwardedHost: string | undefined }> {
  const onebox = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', ...gateway } });
  try {
    onebox.plane.publish('web', { url: upstream.url });
    onebox.plane.setAlias('web', { version: 1 });
    await nodeRequest(`${onebox.gatewayUrl}/page`, { headers: { host: 'shop.example.com' } });
    const got = upstream.received.at(-1)!.headers;
    return { host: got.host, forwardedHost: got['x-forwarded-host'] as string | undefined };
  } finally {
    await onebox.close();
  }
}

describe('gateway.preserveHost: the Host a URL version gets', () => {
  let upstream: TestUpstream;
  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => res.end('ok'));
  });
  afterAll(() => upstream.close());

  it('is the upstream’s own by default, the client’s in X-Forwarded-Host', async () => {
    expect(await hostsSeen({}, upstream)).toEqual({
      host: new URL(upstream.url).host,
      forwardedHost: 'shop.example.com',
    });
  });

  it('is the client’s with preserveHost, or the configured public host', async () => {
    expect(await hostsSeen({ preserveHost: true }, upstream)).toEqual({
      host: 'shop.example.com',
      forwardedHost: 'shop.example.com',
    });
    expect(await hostsSeen({ preserveHost: true, publicHost: 'www.example.com' }, upstream)).toEqual({
      host: 'www.example.com',
      forwardedHost: 'shop.example.com',
    });
  });
});
