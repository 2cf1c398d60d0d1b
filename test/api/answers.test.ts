import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { endpoints, pathOf, shadowPolicyBody, type EndpointName } from '../../src/api/index.js';
import { AdminClient } from '../../src/cli/admin-client.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

/**
 * The admin API's answers against the schemas of src/api that the CLI parses them with:
 * every field the server sends is one the schema knows (a parsed answer equals the raw
 * JSON), so `--json` and the CLI's own reading lose nothing.
 */
describe('the answer schemas', () => {
  let onebox: TestOnebox;
  const ups: TestUpstream[] = [];
  const raw = async (
    name: EndpointName,
    params: Record<string, string | number> = {},
    query = '',
  ): Promise<unknown> => {
    const res = await request(`${onebox.adminUrl}${pathOf(endpoints[name], params)}${query}`, {
      method: endpoints[name].method,
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    return res.body.json();
  };

  beforeAll(async () => {
    for (const v of ['v1', 'v2', 'v3']) ups.push(await startUpstream(labelled(v)));
    onebox = await startTestOnebox({
      components: [{ name: 'web', route: '/', deployment: { config: 'onebox:20%:10m' } }],
    });
    const p = onebox.plane;
    p.publish('web', { url: ups[0]!.url, description: 'first' });
    p.publish('web', { url: ups[1]!.url });
    p.publish('web', { url: ups[2]!.url });
    p.setAlias('web', { version: 1 });
    p.release({ components: [{ component: 'web', version: 2 }] }, 'tester');
    p.startShadow('web', shadowPolicyBody.parse({ version: 3 }));
    for (let i = 0; i < 20; i++) await (await request(`${onebox.gatewayUrl}/x`)).body.text();
    onebox.controller.tick();
    onebox.metrics.forVersion('web', 1).log({
      at: Date.now(),
      component: 'web',
      version: 1,
      requestId: 'r-1',
      method: 'GET',
      path: '/x',
      status: 500,
      kind: 'handler-error',
      message: 'Error: boom',
      stack: ['Error: boom', '    at handler (index.js:1:1)'],
    });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  const cases: [EndpointName, Record<string, string | number>, string][] = [
    ['status', {}, ''],
    ['metrics', {}, ''],
    ['versions', { component: 'web' }, ''],
    ['version', { component: 'web', version: 1 }, ''],
    ['alias', { component: 'web' }, ''],
    ['history', {}, '?limit=5'],
    ['shadowReport', { component: 'web' }, ''],
    ['logs', { component: 'web' }, '?version=1&limit=5'],
  ];

  it.each(cases)('%s: the parsed answer equals what the server sent', async (name, params, query) => {
    const json = await raw(name, params, query);
    const parsed = endpoints[name].answer.safeParse(json);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toEqual(json);
  });

  it("parses a deployment's answer, events included", async () => {
    const id = onebox.plane.status().components[0]!.deployment!.id;
    const json = await raw('deployment', { id });
    expect(endpoints.deployment.answer.parse(json)).toEqual(json);
  });

  it('tells the CLI user when an answer is not what this CLI reads', async () => {
    const fake = await startUpstream((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ components: [{ name: 'web' }], fallbacks: {} }));
    });
    try {
      await expect(new AdminClient(fake.url, TEST_TOKEN).call('status')).rejects.toThrow(
        /answer to GET \/v1\/status is not what this CLI reads \(components\.0\.route: .*\); are the CLI and `onebox serve` the same version\?/,
      );
    } finally {
      await fake.close();
    }
  });
});
