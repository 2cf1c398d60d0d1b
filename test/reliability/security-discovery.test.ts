import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTesterToken } from '../../src/gateway/tester-token.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { prng, randomCookieId } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report } from './figures.js';

/**
 * Security of client-side routing: for random users, the assignment endpoint answers with
 * the version ordinary routing serves them whatever else the request names (another user's
 * id in baggage or the query, a tester token signed with another secret), and no
 * version-specific entrypoint reaches a version the user is not assigned.
 */
const SEED = envInt('ONEBOX_FUZZ_SEED', Date.now() % 1_000_000_007);
const USERS = envInt('ONEBOX_SECURITY_USERS', 300);
const SECRET = 'tester-secret-0123456789abcdef-0123456789';

describe('security: assignment discovery', () => {
  let onebox: TestOnebox;
  const upstreams: TestUpstream[] = [];
  const dispatcher = new Agent({ connections: 8 });

  beforeAll(async () => {
    for (const label of ['v1', 'v2', 'v3']) upstreams.push(await startUpstream(labelled(label)));
    onebox = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', testerSecret: SECRET } });
    for (const u of upstreams) onebox.plane.publish('web', { url: u.url });
    onebox.plane.retire('web', 3);
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.3 }, routing: 'sticky' });
  });
  afterAll(async () => {
    await dispatcher.close();
    await onebox.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it('a user learns only their own assignment and reaches only their own version', async () => {
    const next = prng(SEED);
    const ids = Array.from({ length: USERS }, () => randomCookieId(next));
    const failures: string[] = [];
    let tries = 0;
    const call = async (path: string, headers: Record<string, string>) => {
      tries++;
      const res = await request(`${onebox.gatewayUrl}${path}`, { dispatcher, headers });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    };
    for (let i = 0; i < ids.length; i++) {
      const me = ids[i]!;
      const other = ids[(i + 1) % ids.length]!;
      const cookie = `onebox-uid=${me}`;
      const served = (await call('/', { cookie })).headers['x-onebox-version'];
      const mine = Number(String(served).split(':')[1]);
      const asked = await call(`/.onebox/assignment?identity=${other}`, {
        cookie,
        baggage: `onebox-uid=${other}`,
        'x-onebox-tester': signTesterToken('not-the-secret-0123456789abcdef-01', {
          component: 'web',
          version: 3 - mine,
          expiresAt: Date.now() + 60_000,
        }),
      });
      const told = (JSON.parse(asked.text) as { components: { web: { version: number } } }).components.web.version;
      if (told !== mine) failures.push(`user ${me} on v${mine} was told v${told}`);
      if (asked.headers['cache-control'] !== 'private, no-cache')
        failures.push(`assignment cacheable: ${String(asked.headers['cache-control'])}`);
      for (const version of [1, 2, 3, 4, 2 ** 31]) {
        const res = await call(`/.onebox/v/web/${version}/`, {
          cookie,
          baggage: `onebox-uid=${other}`,
          'x-onebox-tester': `v1.${Buffer.from(JSON.stringify({ c: 'web', v: version, exp: 9e15 })).toString('base64url')}.AAAA`,
        });
        const reached = res.status === 200 ? (JSON.parse(res.text) as { version: string }).version : undefined;
        if (version === mine && reached !== `v${mine}`)
          failures.push(`user ${me} refused their own v${mine}: ${res.status}`);
        if (version !== mine && res.status < 400) failures.push(`user ${me} on v${mine} reached v${version}`);
      }
    }
    // Retired v3 is never reached, even by a tester token signed with the right secret.
    const granted = await call('/.onebox/v/web/3/', {
      'x-onebox-tester': signTesterToken(SECRET, { component: 'web', version: 3, expiresAt: Date.now() + 60_000 }),
    });
    if (granted.status !== 403) failures.push(`retired v3 answered ${granted.status}`);
    if (upstreams[2]!.received.length) failures.push(`retired v3 received ${upstreams[2]!.received.length} requests`);
    report('security discovery', { tries, failures: failures.length, lost: 0 }, { users: USERS, seed: SEED });
    expect(failures).toEqual([]);
  });
});
