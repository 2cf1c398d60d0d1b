import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { bucketOf } from '../../../src/core/index.js';
import { signTesterToken } from '../../../src/gateway/tester-token.js';
import { startTestOnebox, type TestOnebox } from '../../helpers/onebox.js';
import { labelled, startUpstream, type TestUpstream } from '../../helpers/upstream.js';

const SECRET = 'tester-secret-0123456789abcdef-0123456789';
const SEED = 'web-seed';

/** A cookie id on v2 (or v1) at a 50% split under SEED. */
function idOn(v2: boolean, start: number): string {
  for (let i = start; ; i++) {
    const id = `user-${String(i).padStart(20, '0')}`;
    if (bucketOf(SEED, id) < 5000 === v2) return id;
  }
}

/**
 * Assignment discovery and version entrypoints in gateway workers: every worker answers a
 * user's assignment from the primary's routing snapshot and its own decision, the same as
 * the page that worker serves them, and a tester token minted with the config's secret is
 * honoured by every worker. After the alias moves, every worker's answers follow it.
 */
describe('assignment discovery in gateway workers', () => {
  let onebox: TestOnebox;
  let ups: TestUpstream[];

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox(
      { gateway: { workers: 2, testerSecret: SECRET }, components: [{ name: 'web', route: '/' }] },
      { workerReportMs: 20, handlerOutput: 'ignore' },
    );
    for (const u of ups) onebox.plane.publish('web', { url: u.url });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'sticky', seed: SEED });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  /** Each request on a new connection, so the cluster deals them to every worker. */
  const get = async (path: string, headers: Record<string, string>) => {
    const agent = new Agent({ pipelining: 0 });
    try {
      const res = await request(`${onebox.gatewayUrl}${path}`, {
        dispatcher: agent,
        headers: { connection: 'close', ...headers },
      });
      const text = await res.body.text();
      return { status: res.statusCode, version: res.headers['x-onebox-version'], text };
    } finally {
      await agent.close();
    }
  };
  const assigned = async (cookie: string) =>
    (JSON.parse((await get('/.onebox/assignment', { cookie })).text) as { components: { web: { version: number } } })
      .components.web.version;

  it("answers each user's assignment the same in every worker, as the page they are served", async () => {
    for (let i = 0; i < 24; i++) {
      const v2 = i % 2 === 0;
      const cookie = `onebox-uid=${idOn(v2, i * 1000)}`;
      const answers = await Promise.all([assigned(cookie), assigned(cookie), assigned(cookie)]);
      expect(answers).toEqual(Array(3).fill(v2 ? 2 : 1));
      expect((await get('/', { cookie })).version).toBe(`web:${v2 ? 2 : 1}`);
      const entry = await get(`/.onebox/v/web/${v2 ? 1 : 2}/`, { cookie });
      expect(entry.status).toBe(403);
    }
  });

  it('honours a tester token in every worker, and follows the alias when it moves', async () => {
    const bob = `onebox-uid=${idOn(false, 500_000)}`;
    const token = signTesterToken(SECRET, { component: 'web', version: 2, expiresAt: Date.now() + 60_000 });
    const tries = await Promise.all(
      Array.from({ length: 6 }, () => get('/.onebox/v/web/2/', { cookie: bob, 'x-onebox-tester': token })),
    );
    expect(tries.map((t) => [t.status, t.version])).toEqual(Array(6).fill([200, 'web:2']));
    onebox.plane.setAlias('web', { version: 2 });
    await expect.poll(async () => (await Promise.all([assigned(bob), assigned(bob), assigned(bob)])).join()).toBe('2,2,2');
    // v1 is off the alias: its entrypoint now serves no one, in any worker.
    const refused = await Promise.all(Array.from({ length: 6 }, () => get('/.onebox/v/web/1/', { cookie: bob })));
    expect(refused.map((t) => t.status)).toEqual(Array(6).fill(403));
  });
});
