import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneboxWebProvider } from '../../src/openfeature/web.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { distinctIds } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** A browser's fetch, as far as the gateway can tell: the user's cookie on every request. */
const browserFetch =
  (cookie: string): typeof fetch =>
  (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } });

describe('OneboxWebProvider: the browser asks the gateway', () => {
  let onebox: TestOnebox;
  let v1: TestUpstream;
  let v2: TestUpstream;
  const dispatcher = new Agent({ connections: 4 });

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'sticky' });
  });
  afterAll(async () => {
    await OpenFeature.close();
    await dispatcher.close();
    await onebox.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  it("gives each user the gateway's version, and an entrypoint that serves it", async () => {
    let onV2 = 0;
    for (const [i, id] of distinctIds(60, 3).entries()) {
      const cookie = `onebox-uid=${id}`;
      const domain = `user-${i}`;
      await OpenFeature.setProviderAndWait(
        domain,
        new OneboxWebProvider({ gatewayUrl: onebox.gatewayUrl, fetch: browserFetch(cookie) }),
      );
      const client = OpenFeature.getClient(domain);
      const page = await request(`${onebox.gatewayUrl}/`, { dispatcher, headers: { cookie } });
      await page.body.dump();
      const served = String(page.headers['x-onebox-version']).split(':')[1];
      const details = client.getStringDetails('web', '0');
      expect(details).toMatchObject({ value: served, variant: served, reason: 'SPLIT' });
      expect(client.getBooleanValue('web', false)).toBe(served === '2');
      const { entrypoint } = client.getObjectValue('web', {}) as { entrypoint: string };
      const pinned = await request(`${onebox.gatewayUrl}${entrypoint}/app.js`, { dispatcher, headers: { cookie } });
      expect(await pinned.body.json()).toEqual({ version: `v${served}`, path: '/app.js' });
      if (served === '2') onV2++;
    }
    expect(onV2).toBeGreaterThan(15);
    expect(onV2).toBeLessThan(45);
  }, 60_000);

  it('serves defaults with error codes, and asks again on a context change', async () => {
    const cookie = `onebox-uid=${distinctIds(1, 99)[0]!}`;
    await OpenFeature.setProviderAndWait(
      'one',
      new OneboxWebProvider({ gatewayUrl: onebox.gatewayUrl, fetch: browserFetch(cookie) }),
    );
    const client = OpenFeature.getClient('one');
    expect(client.getStringDetails('nope', 'dflt')).toMatchObject({
      value: 'dflt',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 1 } });
    const provider = OpenFeature.getProvider('one') as OneboxWebProvider;
    const changed = new Promise<string[]>((done) =>
      client.addHandler(ProviderEvents.ConfigurationChanged, (e) => done(e?.flagsChanged ?? [])),
    );
    await provider.refresh();
    expect(await changed).toEqual(['web']);
    onebox.plane.setAlias('web', { version: 2 });
    await OpenFeature.setContext('one', { targetingKey: 'after-login' });
    expect(client.getStringDetails('web', '0')).toMatchObject({ value: '2', reason: 'STATIC' });
  });

  it('reports an unreachable gateway and serves defaults', async () => {
    await expect(
      OpenFeature.setProviderAndWait('down', new OneboxWebProvider({ gatewayUrl: 'http://127.0.0.1:9' })),
    ).rejects.toBeDefined();
    expect(OpenFeature.getClient('down').getStringDetails('web', 'dflt')).toMatchObject({
      value: 'dflt',
      reason: 'ERROR',
    });
  });
});
