import { OpenFeature, ProviderEvents, type Client } from '@openfeature/server-sdk';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusAnswer } from '../../src/api/index.js';
import { isValidHeaderId } from '../../src/core/index.js';
import { aliasAssignments, assignmentOf } from '../../src/openfeature/alias-assignments.js';
import { OneboxProvider } from '../../src/openfeature/index.js';
import { loadSpec } from '../core/spec-vectors.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';
import { distinctIds } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const READ_TOKEN = 'read-only-token-0123456789';

/** A status holding one component `web` with versions 1 and 2 and the given alias. */
function statusWith(alias: { seed: string; weightBp: number; mode?: 'sticky' | 'request' }): StatusAnswer {
  const version = (n: number) => ({ component: 'web', number: n, target: 'http://127.0.0.1:1', createdAt: '' });
  return {
    fallbacks: {},
    components: [
      {
        name: 'web',
        route: '/',
        versions: [version(1), version(2)],
        metrics: [],
        alias: {
          component: 'web',
          name: 'live',
          version: 1,
          additional: { version: 2, weightBp: alias.weightBp },
          mode: alias.mode ?? 'sticky',
          seed: alias.seed,
          updatedAt: '',
        },
      },
    ],
  };
}

describe('the OpenFeature server provider decides as the gateway', () => {
  it('puts every spec/buckets.json vector on the side of the split its bucket says', () => {
    let checked = 0;
    for (const v of loadSpec().buckets) {
      if (!isValidHeaderId(v.identity)) continue; // the gateway accepts no such identity either
      const at = (weightBp: number) =>
        assignmentOf(aliasAssignments(statusWith({ seed: v.seed, weightBp })), 'web', v.identity);
      // Just admitted at weight bucket+1, not at weight bucket: the bucket is exactly the spec's.
      expect(at(v.bucket + 1)).toMatchObject({
        version: 2,
        canary: true,
        reason: v.bucket + 1 >= 10_000 ? 'STATIC' : 'SPLIT',
      });
      if (v.bucket > 0) expect(at(v.bucket)).toMatchObject({ version: 1, canary: false, reason: 'SPLIT' });
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('OneboxProvider against a running onebox', () => {
  let onebox: TestOnebox;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let client: Client;
  let provider: OneboxProvider;
  const dispatcher = new Agent({ connections: 16 });

  beforeAll(async () => {
    [v1, v2] = await Promise.all([
      startUpstream(labelled('v1'), { record: false }),
      startUpstream(labelled('v2'), { record: false }),
    ]);
    onebox = await startTestOnebox(
      {
        components: [
          { name: 'web', route: '/' },
          { name: 'idle', route: '/idle' },
        ],
        admin: {
          listen: '127.0.0.1:0',
          token: TEST_TOKEN,
          tokens: [{ name: 'flags', token: READ_TOKEN, readOnly: true }],
        },
      },
      { feedIntervalMs: 60_000 },
    );
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.3 }, routing: 'sticky' });
    provider = new OneboxProvider({ adminUrl: onebox.adminUrl, token: READ_TOKEN, reconnectMs: 50 });
    await OpenFeature.setProviderAndWait('onebox-test', provider);
    client = OpenFeature.getClient('onebox-test');
  });
  afterAll(async () => {
    await OpenFeature.close();
    await dispatcher.close();
    await onebox.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  it('gives 10,000 identities the version the gateway serves them', async () => {
    const ids = distinctIds(10_000, 20);
    const mismatches: string[] = [];
    let onV2 = 0;
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let id = queue.pop(); id; id = queue.pop()) {
          const res = await request(`${onebox.gatewayUrl}/`, { dispatcher, headers: { cookie: `onebox-uid=${id}` } });
          await res.body.dump();
          const served = String(res.headers['x-onebox-version']).split(':')[1];
          const flag = await client.getStringDetails('web', '0', { targetingKey: id });
          if (flag.variant !== served || flag.value !== served)
            mismatches.push(`${id}: gateway v${served}, provider ${flag.variant}`);
          if (served === '2') onV2++;
        }
      }),
    );
    console.log(`[openfeature] 10000 identities: ${mismatches.length} differ from the gateway, ${onV2} on v2 at 30%`);
    expect(mismatches).toEqual([]);
    expect(onV2).toBeGreaterThan(2700);
    expect(onV2).toBeLessThan(3300);
  }, 120_000);

  it('answers every flag type with the version, and the spec reasons', async () => {
    const state = aliasAssignments(onebox.plane.status());
    const onV2 = distinctIds(200, 7).find(
      (id) => (assignmentOf(state, 'web', id) as { version?: number }).version === 2,
    )!;
    const ctx = { targetingKey: onV2 };
    expect(await client.getBooleanDetails('web', false, ctx)).toMatchObject({
      value: true,
      variant: '2',
      reason: 'SPLIT',
    });
    expect(await client.getNumberValue('web', 0, ctx)).toBe(2);
    expect(await client.getObjectValue('web', {}, ctx)).toEqual({ component: 'web', version: 2, canary: true });
    const details = await client.getStringDetails('web', 'x', ctx);
    expect(details.flagMetadata).toEqual({ version: 2, canary: true });
  });

  it('never throws: each problem is the default value with its error code', async () => {
    const cases = [
      [await client.getStringDetails('nope', 'dflt', { targetingKey: 'u1' }), 'FLAG_NOT_FOUND'],
      [await client.getStringDetails('web', 'dflt', {}), 'TARGETING_KEY_MISSING'],
      [await client.getStringDetails('web', 'dflt', { targetingKey: 'has space' }), 'INVALID_CONTEXT'],
      [await client.getStringDetails('idle', 'dflt', { targetingKey: 'u1' }), 'GENERAL'],
    ] as const;
    for (const [details, code] of cases) {
      expect(details).toMatchObject({ value: 'dflt', reason: 'ERROR', errorCode: code });
      expect(details.errorMessage).toBeTruthy();
    }
    const mismatch = await client.getBooleanDetails('web', 'no' as unknown as boolean, { targetingKey: 'u1' });
    expect(mismatch).toMatchObject({ value: 'no', errorCode: 'TYPE_MISMATCH' });
  });

  it('follows the event stream: a changed alias changes the flag and is announced', async () => {
    const changed = new Promise<string[]>((done) =>
      client.addHandler(ProviderEvents.ConfigurationChanged, (e) => done(e?.flagsChanged ?? [])),
    );
    onebox.plane.setAlias('web', { version: 2 });
    onebox.feed.sample(); // the status the stream sends each sample, now
    expect(await changed).toEqual(['web']);
    expect(await client.getStringDetails('web', '0', { targetingKey: 'anyone' })).toMatchObject({
      value: '2',
      reason: 'STATIC',
    });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'request' });
    onebox.feed.sample();
    await expect
      .poll(async () => (await client.getStringDetails('web', '0', { targetingKey: 'a' })).reason)
      .toBe('DEFAULT');
    expect(await client.getStringValue('web', '0', { targetingKey: 'a' })).toBe('1');
  });

  it('reads with a read-only token, which may change nothing', async () => {
    const res = await request(`${onebox.adminUrl}/v1/components/web/alias`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2 }),
    });
    expect(res.statusCode).toBe(403);
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(onebox.plane.status().components.find((c) => c.name === 'web')!.alias!.version).toBe(1);
  });
});

describe('OneboxProvider without an admin API', () => {
  it('reports a provider error and serves defaults, never throwing', async () => {
    const provider = new OneboxProvider({ adminUrl: 'http://127.0.0.1:9', token: 'x'.repeat(16) });
    await expect(OpenFeature.setProviderAndWait('down', provider)).rejects.toBeDefined();
    const details = await OpenFeature.getClient('down').getStringDetails('web', 'dflt', { targetingKey: 'u' });
    expect(details).toMatchObject({ value: 'dflt', reason: 'ERROR' });
    expect(details.errorCode).toBeDefined();
    await OpenFeature.clearProviders();
  });
});
