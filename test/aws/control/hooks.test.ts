import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler } from '../../../src/aws/handlers/controller.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { startDynamo } from './dynalite.js';

/** A release's hooks as the controller function runs them, against a real local HTTP server. */
const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const tables: Awaited<ReturnType<typeof startDynamo>>[] = [];
let server: Server;
let base = '';
const calls: { path: string; body: Record<string, unknown> }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      if (req.url === '/slow') return; // never answers
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end(req.url === '/fail' ? 'smoke test: checkout broken' : 'smoke test passed');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  for (const t of tables) await t.close();
});

/** A control plane of its own (its own table) with `component` live on version 1 and version 2 published. */
async function world(component: string) {
  const dynamo = await startDynamo();
  tables.push(dynamo);
  const kvs = new FakeKvs(ARN);
  const fn = `shop-${component}`;
  const handler = createControllerHandler({
    settings: controllerSettings.parse({
      table: dynamo.table,
      kvsArn: ARN,
      components: { [component]: { functionName: fn } },
    }),
    store: new DynamoStateStore(dynamo.client, dynamo.table),
    cloudwatch: new FakeCloudWatch().client,
    kvs: kvs.client,
    lambda: new FakeLambda({ [fn]: 1 }).client,
    clock: new FakeClock(Date.UTC(2026, 0, 1, 9, 0)),
  });
  await handler({ action: 'deploy', components: [{ component, version: 1 }] });
  await handler({ action: 'publish', component, version: 2 });
  const release = (hooks: unknown) =>
    handler({ action: 'release', by: 'test', components: [{ component, version: 2, hooks }] });
  return { kvs, release, handler };
}

describe('hooks on the AWS control plane', () => {
  it('POSTs beforeAllowTraffic to its URL inside the release and moves traffic once it passes', async () => {
    const w = await world('hooked');
    calls.length = 0;
    const answer = await w.release({ beforeAllowTraffic: { url: `${base}/ok`, timeoutMs: 2000 } });
    if (!answer.ok) throw new Error(answer.error.message);
    expect(calls).toEqual([
      {
        path: '/ok',
        body: expect.objectContaining({
          hook: 'beforeAllowTraffic',
          component: 'hooked',
          fromVersion: 1,
          toVersion: 2,
        }),
      },
    ]);
    expect(answer.deployments[0]!.state.status).toBe('baking');
    expect(answer.events.map((e) => e.sentence)).toContain(
      'hooked v2: beforeAllowTraffic hook passed (HTTP 200: smoke test passed)',
    );
    expect(w.kvs.split('hooked')).toMatchObject({ percent: 20, canary: 2 });
  });

  it('rolls back when the hook fails or does not answer in time, with no traffic on the new version', async () => {
    for (const [name, path, timeoutMs, why] of [
      ['failing', '/fail', 2000, 'HTTP 500: smoke test: checkout broken'],
      ['silent', '/slow', 300, `no answer from ${base}/slow within 300 ms`],
    ] as const) {
      const w = await world(name);
      const answer = await w.release({ beforeAllowTraffic: { url: `${base}${path}`, timeoutMs } });
      if (!answer.ok) throw new Error(answer.error.message);
      expect(answer.deployments[0]!.state.status).toBe('rolled-back');
      expect(answer.events.map((e) => e.sentence)).toContain(
        `${name} v2: rolled back: beforeAllowTraffic hook failed: ${why}; all traffic on v1`,
      );
      expect(w.kvs.split(name)).toMatchObject({ percent: 0, stable: 1 });
    }
  });

  it('runs afterAllowTraffic once everyone is on the new version, and rolls back when it fails', async () => {
    const w = await world('after');
    calls.length = 0;
    const started = await w.release({ afterAllowTraffic: { url: `${base}/fail`, timeoutMs: 2000 } });
    expect(started).toMatchObject({ ok: true });
    expect(calls).toEqual([]);
    const promoted = await w.handler({ action: 'command', component: 'after', command: 'promote', by: 'test' });
    if (!promoted.ok) throw new Error(promoted.error.message);
    expect(calls.map((c) => [c.path, c.body['hook']])).toEqual([['/fail', 'afterAllowTraffic']]);
    expect(promoted.events.map((e) => e.sentence)).toContain(
      'after v2: rolled back: afterAllowTraffic hook failed: HTTP 500: smoke test: checkout broken; all traffic on v1',
    );
    expect(w.kvs.split('after')).toMatchObject({ percent: 0, stable: 1 });
  });

  it('refuses command hooks and timeouts past the invocation at release time, every problem at once, writing nothing', async () => {
    const w = await world('refused');
    calls.length = 0;
    const answer = await w.release({
      beforeAllowTraffic: { command: './smoke.sh', timeoutMs: 1000 },
      afterAllowTraffic: { url: `${base}/ok`, timeoutMs: 60_000 },
    });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error.message).toBe(
      'components[0].hooks.beforeAllowTraffic: command hooks ("./smoke.sh") cannot run in the controller Lambda; give a URL hook ({ "url", "timeoutMs" }) on AWS; ' +
        'components[0].hooks.afterAllowTraffic.timeoutMs must be 1 to 30000 on AWS (the controller function waits for its hooks within one 50 s invocation), got 60000',
    );
    expect(calls).toEqual([]);
    expect(await w.release({})).toMatchObject({
      ok: true,
      deployments: [expect.objectContaining({ state: expect.objectContaining({ status: 'baking' }) })],
    });
  });
});
