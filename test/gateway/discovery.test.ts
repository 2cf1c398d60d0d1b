import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { bucketOf } from '../../src/core/index.js';
import { signTesterToken } from '../../src/gateway/tester-token.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { cookieFrom, labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Client-side routing's security: the assignment endpoint tells a caller their own version
 * only, and a version-specific entrypoint reaches a version only for a caller assigned to it
 * (or holding a tester token for it).
 */
interface Assigned {
  version: number | null;
  canary: boolean;
  entrypoint: string | null;
  split: boolean;
  perRequest: boolean;
}
/** An assignment answer, or any other JSON answer of the gateway or of a labelled upstream. */
type Answer = { components: { web: Assigned; api: Assigned; idle: Assigned } } & Record<string, unknown>;

const SECRET = 'tester-secret-0123456789abcdef-0123456789';
const SEED = 'web-seed';

/** A cookie id whose bucket under SEED is below (or not) 5000: on v2 (or v1) at a 50% split. */
function idOn(v2: boolean, start = 0): string {
  for (let i = start; ; i++) {
    const id = `user-${String(i).padStart(20, '0')}`;
    if (bucketOf(SEED, id) < 5000 === v2) return id;
  }
}

describe('assignment discovery and version-specific entrypoints', () => {
  let onebox: TestOnebox;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let v3: TestUpstream;
  let api: TestUpstream;
  const dispatcher = new Agent({ connections: 8 });
  const alice = `onebox-uid=${idOn(true)}`; // on v2
  const bob = `onebox-uid=${idOn(false)}`; // on v1
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${onebox.gatewayUrl}${path}`, { dispatcher, headers });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Answer };
  };

  beforeAll(async () => {
    [v1, v2, v3, api] = await Promise.all([
      startUpstream(labelled('v1')),
      startUpstream(labelled('v2')),
      startUpstream(labelled('v3')),
      startUpstream(labelled('api1')),
    ]);
    onebox = await startTestOnebox({
      components: [
        { name: 'web', route: '/' },
        { name: 'api', route: '/api' },
        { name: 'idle', route: '/idle' },
      ],
      gateway: { listen: '127.0.0.1:0', testerSecret: SECRET },
    });
    for (const u of [v1, v2, v3]) onebox.plane.publish('web', { url: u.url });
    onebox.plane.publish('api', { url: api.url });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'sticky', seed: SEED });
    onebox.plane.setAlias('api', { version: 1 });
  });
  afterAll(async () => {
    await dispatcher.close();
    await onebox.close();
    await Promise.all([v1, v2, v3, api].map((u) => u.close()));
  });

  it('tells each caller the version ordinary routing serves them, privately', async () => {
    let onV2 = 0;
    for (let i = 0; i < 200; i++) {
      const cookie = `onebox-uid=${idOn(i % 2 === 0, i * 1000)}`;
      const answer = await get('/.onebox/assignment', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('private, no-cache');
      expect(String(answer.headers.vary)).toContain('Cookie');
      const { web, api: apiAssignment, idle } = answer.json().components;
      const page = await get('/', { cookie });
      expect(page.headers['x-onebox-version']).toBe(`web:${web.version}`);
      expect(web.canary).toBe(web.version === 2);
      expect(web.split).toBe(true);
      expect(web.entrypoint).toBe(`/.onebox/v/web/${web.version}`);
      expect(apiAssignment).toEqual({
        version: 1,
        canary: false,
        entrypoint: '/.onebox/v/api/1',
        split: false,
        perRequest: false,
      });
      expect(idle).toEqual({ version: null, canary: false, entrypoint: null, split: false, perRequest: false });
      if (web.version === 2) onV2++;
    }
    expect(onV2).toBe(100);
  });

  it('gives a new caller one identity (a cookie) that later requests are routed by', async () => {
    const answer = await get('/.onebox/assignment');
    const cookie = cookieFrom(answer.headers['set-cookie']);
    const { web } = answer.json().components;
    for (let i = 0; i < 5; i++)
      expect((await get('/', { cookie })).headers['x-onebox-version']).toBe(`web:${web.version}`);
    // The answer never names the identity (the cookie is HttpOnly for a reason).
    expect(answer.text).not.toContain(cookie.split('=')[1]!);
  });

  it("never answers with another user's assignment: no parameter, no baggage", async () => {
    const bobId = bob.split('=')[1]!;
    const asAlice = await get(`/.onebox/assignment?identity=${bobId}&uid=${bobId}`, {
      cookie: alice,
      baggage: `onebox-uid=${bobId}`,
    });
    expect(asAlice.json().components.web.version).toBe(2);
    // Without a cookie, a baggage member naming Bob is not Bob: a new identity is issued.
    const anonymous = await get('/.onebox/assignment', { baggage: `onebox-uid=${bobId}` });
    const issued = cookieFrom(anonymous.headers['set-cookie']);
    expect(issued).not.toBe(bob);
  });

  it('serves a version-specific entrypoint to the users assigned to it only', async () => {
    const before = v1.received.length;
    const ok = await get('/.onebox/v/web/2/app.js?x=1', { cookie: alice });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ version: 'v2', path: '/app.js?x=1' });
    expect(ok.headers['x-onebox-version']).toBe('web:2');
    const refused = await get('/.onebox/v/web/1/app.js', { cookie: alice });
    expect(refused.status).toBe(403);
    expect(refused.json()).toEqual({ error: 'not_assigned', component: 'web', version: 1 });
    expect((await get('/.onebox/v/web/2/', { cookie: bob })).status).toBe(403);
    expect((await get('/.onebox/v/web/1/', { cookie: bob })).json()).toEqual({ version: 'v1', path: '/' });
    // Naming Alice in baggage is not being Alice: each such request is a new user, on v2 or not.
    const aliceId = alice.split('=')[1]!;
    let served = 0;
    for (let i = 0; i < 20; i++)
      if ((await get('/.onebox/v/web/2/', { baggage: `onebox-uid=${aliceId}` })).status === 200) served++;
    expect(served).toBeLessThan(20);
    // v3 is published but the alias does not route it: no one reaches it.
    expect((await get('/.onebox/v/web/3/', { cookie: alice })).status).toBe(403);
    expect(v3.received).toHaveLength(0);
    expect(v1.received.length).toBe(before + 1); // Bob's request alone: a refusal reaches no version
  });

  it('keeps an entrypoint inside its component, and refuses malformed ones', async () => {
    expect((await get('/.onebox/v/web/2/api/orders', { cookie: alice })).status).toBe(404);
    expect((await get('/.onebox/v/api/1/api/orders', { cookie: alice })).json()).toEqual({
      version: 'api1',
      path: '/api/orders',
    });
    expect((await get('/.onebox/v/web/02/', { cookie: alice })).status).toBe(400);
    expect((await get('/.onebox/v/web/', { cookie: alice })).status).toBe(400);
    expect((await get('/.onebox/v/nope/1/', { cookie: alice })).status).toBe(404);
    expect((await get('/.onebox/other', { cookie: alice })).status).toBe(404);
    const post = await request(`${onebox.gatewayUrl}/.onebox/assignment`, { dispatcher, method: 'POST' });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
  });

  it('honours a tester token for its component and version alone, while it is valid', async () => {
    const token = (grant: { component?: string; version?: number; expiresAt?: number }, secret = SECRET) =>
      signTesterToken(secret, { component: 'web', version: 2, expiresAt: Date.now() + 60_000, ...grant });
    const tester = (t: string) => get('/.onebox/v/web/2/', { cookie: bob, 'x-onebox-tester': t });
    const granted = await tester(token({}));
    expect(granted.json()).toEqual({ version: 'v2', path: '/' });
    expect(v2.received.at(-1)!.headers['x-onebox-tester']).toBeUndefined();
    expect((await tester(token({ expiresAt: Date.now() - 1 }))).status).toBe(403);
    expect((await tester(token({ version: 3 }))).status).toBe(403);
    expect((await tester(token({ component: 'api' }))).status).toBe(403);
    expect((await tester(token({}, 'another-secret-0123456789abcdef-0123'))).status).toBe(403);
    const good = token({});
    const forged = `${good.slice(0, -2)}${good.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await tester(forged)).status).toBe(403);
    // A token for a version the alias does not route grants nothing.
    const v3Token = token({ version: 3 });
    expect((await get('/.onebox/v/web/3/', { cookie: bob, 'x-onebox-tester': v3Token })).status).toBe(403);
    expect(v3.received).toHaveLength(0);
  });

  it('assigns the stable version under a per-request split', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'request', seed: SEED });
    try {
      const { web } = (await get('/.onebox/assignment', { cookie: alice })).json().components;
      expect(web).toEqual({
        version: 1,
        canary: false,
        entrypoint: '/.onebox/v/web/1',
        split: true,
        perRequest: true,
      });
      for (let i = 0; i < 20; i++) expect((await get('/.onebox/v/web/2/', { cookie: alice })).status).toBe(403);
    } finally {
      onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'sticky', seed: SEED });
    }
  });
});
