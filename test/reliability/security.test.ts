import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';
import { prng, randomCookieId } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report } from './figures.js';
import { int, pick } from './fuzz-inputs.js';
import { rawExchange } from './raw-http.js';

/**
 * Security: the admin API refuses every route without the right token; a client cannot pick
 * a version (retired, unknown, or simply not its own) by header, cookie or baggage; the
 * shadow never receives the headers its policy drops.
 */
const SEED = envInt('ONEBOX_FUZZ_SEED', Date.now() % 1_000_000_007);
const USERS = envInt('ONEBOX_SECURITY_USERS', 300);

/** Every admin endpoint behind the token (the dashboard's assets and /healthz are public by design). */
const ADMIN_ROUTES: [string, string][] = [
  ['GET', '/v1/status'],
  ['GET', '/v1/session'],
  ['GET', '/v1/events'],
  ['GET', '/metrics'],
  ['GET', '/v1/metrics'],
  ['GET', '/v1/history'],
  ['GET', '/v1/components/web/versions'],
  ['POST', '/v1/components/web/versions'],
  ['GET', '/v1/components/web/versions/1'],
  ['POST', '/v1/components/web/versions/1/retire'],
  ['DELETE', '/v1/components/web/versions/1'],
  ['GET', '/v1/components/web/alias'],
  ['PUT', '/v1/components/web/alias'],
  ['POST', '/v1/releases'],
  ['GET', '/v1/deployments/abc-web'],
  ...['pause', 'resume', 'promote', 'promote-all', 'rollback', 'stop'].map((c): [string, string] => [
    'POST',
    `/v1/components/web/deployment/${c}`,
  ]),
  ['POST', '/v1/components/web/invoke'],
  ['POST', '/v1/components/web/shadow'],
  ['DELETE', '/v1/components/web/shadow'],
  ['GET', '/v1/components/web/shadow/report'],
  ['GET', '/v1/nothing-here'],
];

/** Authorization headers that must not pass (undefined: none sent). */
const WRONG: (string | undefined)[] = [
  undefined,
  '',
  'Bearer',
  'Bearer ',
  `Bearer ${TEST_TOKEN.slice(0, -1)}`,
  `Bearer ${TEST_TOKEN}x`,
  `Bearer ${TEST_TOKEN.toUpperCase()}`,
  `Basic ${Buffer.from(`admin:${TEST_TOKEN}`).toString('base64')}`,
  TEST_TOKEN,
  `Token ${TEST_TOKEN}`,
  `Bearer  ${TEST_TOKEN.slice(1)}`,
];

const versionOf = (h: string | string[] | undefined): string => String(h);

describe(`security (seed ${SEED})`, () => {
  let onebox: TestOnebox;
  const ups: TestUpstream[] = [];

  beforeAll(async () => {
    // v1 live, v2 retired, v3 the one-box at 30%, v4 the shadow (never in the alias), v99 unknown.
    for (const label of ['v1', 'v2', 'v3', 'v4']) ups.push(await startUpstream(labelled(label)));
    onebox = await startTestOnebox();
    for (const u of ups.slice(0, 3)) onebox.plane.publish('web', { url: u.url, description: 'security' });
    onebox.plane.setAlias('web', { version: 2 });
    onebox.plane.setAlias('web', { version: 1, weights: { '3': 0.3 } });
    onebox.plane.retire('web', 2);
    onebox.plane.publish('web', { url: ups[3]!.url, description: 'shadow' });
  });

  afterAll(async () => {
    await onebox?.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('admin: every route answers 401 without the right token, and changes nothing', async () => {
    const before = JSON.stringify({ versions: onebox.plane.versions('web'), alias: onebox.plane.alias('web') });
    let tries = 0;
    const failures: string[] = [];
    for (const [method, path] of ADMIN_ROUTES) {
      for (const authorization of WRONG) {
        tries++;
        const res = await request(`${onebox.adminUrl}${path}`, {
          method: method as 'GET',
          headers: {
            ...(authorization === undefined ? {} : { authorization }),
            'content-type': 'application/json',
          },
          body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify({ version: 3, url: ups[0]!.url }),
        });
        const text = await res.body.text();
        if (res.statusCode !== 401 || res.headers['www-authenticate'] !== 'Bearer' || text.includes(TEST_TOKEN))
          failures.push(
            `${method} ${path} with ${JSON.stringify(authorization)} -> ${res.statusCode} ${text.slice(0, 100)}`,
          );
      }
    }
    const after = JSON.stringify({ versions: onebox.plane.versions('web'), alias: onebox.plane.alias('web') });
    report('security admin-auth', { tries, failures: failures.length, lost: 0 }, { routes: ADMIN_ROUTES.length });
    expect(failures).toEqual([]);
    expect(after).toBe(before);
    // The right token does get in (the 401s are not a broken server).
    const ok = await request(`${onebox.adminUrl}/v1/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    await ok.body.dump();
    expect(ok.statusCode).toBe(200);
  });

  it('gateway: a client naming a retired, unknown or other version by header, cookie or baggage is routed by the alias only', async () => {
    const r = prng(SEED);
    const forgeries = (id: string): Record<string, string>[] => {
      const v = String(pick(r, [2, 3, 4, 1, 99]));
      return [
        { cookie: `onebox-uid=${id}`, 'x-onebox-version': `web:${v}` },
        { cookie: `onebox-uid=${id}`, 'x-onebox-version': v, 'x-amz-function-version': v, 'x-version': v },
        { cookie: `onebox-uid=${id}; onebox-version=${v}; onebox-pin=web:${v}` },
        { cookie: `onebox-uid=${id}`, baggage: `onebox-version=${v},onebox-component=web` },
        { baggage: `onebox-uid=${id},onebox-version=${v}` },
        { baggage: `onebox-version=${v};web=${v},onebox-uid=${id}` },
        { cookie: `onebox-uid=${id}`, 'x-onebox-weight': '10000', 'x-onebox-target': `web:${v}` },
      ];
    };
    let tries = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    for (let u = 0; u < USERS; u++) {
      const id = randomCookieId(r);
      const base = await request(`${onebox.gatewayUrl}/p${u}`, { headers: { cookie: `onebox-uid=${id}` } });
      await base.body.dump();
      const expected = versionOf(base.headers['x-onebox-version']);
      seen.add(expected);
      for (const headers of forgeries(id)) {
        tries++;
        const path = pick(r, [`/p${u}`, `/p${u}?onebox-version=2`, `/p${u}?version=${int(r, 2, 4)}`]);
        const res = await request(`${onebox.gatewayUrl}${path}`, { headers });
        await res.body.dump();
        const got = versionOf(res.headers['x-onebox-version']);
        if (res.statusCode !== 200 || got !== expected)
          failures.push(`user ${id} (${expected}) with ${JSON.stringify(headers)} ${path} -> ${res.statusCode} ${got}`);
      }
    }
    report(
      'security version-pick',
      { tries, failures: failures.length, lost: 0 },
      { seed: SEED, users: USERS, versions: [...seen].sort().join(',') },
    );
    expect(failures.slice(0, 5)).toEqual([]);
    // The alias decides: both live versions serve someone, the retired and unknown ones nobody.
    expect([...seen].sort()).toEqual(['web:1', 'web:3']);
    expect(ups[1]!.received).toEqual([]);
  });

  it('shadow: never receives dropped headers, whatever their case, number or method', async () => {
    const r = prng(SEED + 1);
    const port = Number(new URL(onebox.gatewayUrl).port);
    const secretsOf = (h: Record<string, string | string[] | undefined>): string[] =>
      Object.entries(h)
        .filter(
          ([k, v]) =>
            ['cookie', 'authorization', 'proxy-authorization', 'x-secret'].includes(k) || String(v).includes('SECRET'),
        )
        .map(([k]) => k);
    const shadow = ups[3]!;
    let tries = 0;
    const failures: string[] = [];
    for (const dropHeaders of [undefined, ['Cookie', 'AUTHORIZATION', 'proxy-authorization', 'X-Secret']]) {
      const start = await request(`${onebox.adminUrl}/v1/components/web/shadow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: 4, noise: false, ...(dropHeaders ? { dropHeaders } : {}) }),
      });
      expect(start.statusCode, await start.body.text()).toBe(200);
      const received = shadow.received.length;
      const sent = USERS;
      for (let i = 0; i < sent; i++) {
        tries++;
        const name = (h: string): string => [...h].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
        const lines = [
          `${pick(r, ['GET', 'HEAD', 'OPTIONS', 'GET'])} /s${i} HTTP/1.1`,
          'Host: 127.0.0.1',
          `${name('cookie')}: onebox-uid=${randomCookieId(r)}; session=SECRET${i}`,
          ...(r() < 0.5 ? [`${name('cookie')}: other=SECRET${i}`] : []),
          `${name('authorization')}: Bearer SECRET${i}`,
          ...(r() < 0.5 ? [`${name('authorization')}: Basic SECRET${i}`] : []),
          `${name('proxy-authorization')}: Basic SECRET${i}`,
          ...(dropHeaders ? [`${name('x-secret')}: SECRET${i}`] : []),
          'x-keep: yes',
          'Connection: close',
        ];
        const a = await rawExchange(port, `${lines.join('\r\n')}\r\n\r\n`, 3_000);
        if (a.status !== 200) failures.push(`request ${i} -> ${a.firstLine}`);
      }
      await expect.poll(() => shadow.received.length - received, { timeout: 10_000 }).toBe(sent);
      for (const got of shadow.received.slice(received)) {
        const leaked = secretsOf(got.headers);
        if (leaked.length || got.headers['x-keep'] !== 'yes') failures.push(`${got.url} leaked ${leaked.join(',')}`);
      }
      const stop = await request(`${onebox.adminUrl}/v1/components/web/shadow`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      await stop.body.dump();
    }
    report(
      'security shadow-headers',
      { tries, failures: failures.length, lost: tries - shadow.received.length },
      { seed: SEED },
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect(shadow.received).toHaveLength(tries);
  });
});
