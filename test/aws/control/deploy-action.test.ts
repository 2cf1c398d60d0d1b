import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler } from '../../../src/aws/handlers/controller.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { startDynamo } from './dynalite.js';

/**
 * What `cdk deploy` sends the controller (the release custom resource), and invocations that
 * fail part-way. The tests share one table and run in order, as one control plane's life.
 */
const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(() => dynamo.close());

function world() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 0));
  const cloudwatch = new FakeCloudWatch();
  const kvs = new FakeKvs(ARN);
  const lambda = new FakeLambda({ 'shop-api': 1, 'shop-web': 1 });
  const store = new DynamoStateStore(dynamo.client, dynamo.table);
  const handler = createControllerHandler({
    settings: controllerSettings.parse({
      table: dynamo.table,
      kvsArn: ARN,
      components: { api: { functionName: 'shop-api' }, web: { functionName: 'shop-web', after: ['api'] } },
    }),
    store,
    cloudwatch: cloudwatch.client,
    kvs: kvs.client,
    lambda: lambda.client,
    clock,
  });
  return { clock, cloudwatch, kvs, lambda, store, handler };
}

describe('the controller function, as cdk deploy and the schedule invoke it', () => {
  it("publishes the first deploy's versions live, then releases what changed, backend before frontend", async () => {
    const w = world();
    // Versions come from CloudFormation as strings.
    expect(
      await w.handler({
        action: 'deploy',
        components: [
          { component: 'api', version: '1' },
          { component: 'web', version: '1' },
        ],
      }),
    ).toMatchObject({
      ok: true,
      outcome: 'unchanged',
    });
    expect(w.kvs.split('api')).toMatchObject({ percent: 0, stable: 1 });
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 1 });
    // An idle tick stops after one read.
    expect(await w.handler({ action: 'tick' })).toMatchObject({ ok: true, outcome: 'unchanged', traffic: [] });

    const deploy2 = {
      action: 'deploy',
      components: [
        { component: 'api', version: 2 },
        { component: 'web', version: 2 },
      ],
    };
    const started = await w.handler(deploy2);
    if (!started.ok) throw new Error(started.error.message);
    expect(started.deployments.map((d) => [d.state.component, d.state.status, d.after])).toEqual([
      ['api', 'baking', []],
      ['web', 'created', ['api']],
    ]);
    expect(w.kvs.split('api')).toMatchObject({ percent: 20, canary: 2 });
    expect(w.kvs.split('web')).toMatchObject({ percent: 0 });
    // The same deploy again (a retried custom resource) starts nothing new.
    expect(await w.handler(deploy2)).toMatchObject({ ok: true, deployments: [] });
  });

  it('a tick that dies before its commit (CloudWatch failed) writes nothing; the next one carries on', async () => {
    const w = world();
    const before = await w.store.load();
    w.clock.advance(120_000);
    w.cloudwatch.gate = () => Promise.reject(new Error('Rate exceeded'));
    await expect(w.handler({ action: 'tick' })).rejects.toThrow('Rate exceeded');
    expect((await w.store.load()).rev).toBe(before.rev);
    w.cloudwatch.gate = undefined;
    expect(await w.handler({ action: 'tick' })).toMatchObject({ ok: true });
  });

  it('answers a bad request with the field and why, and a command on nothing with not_found', async () => {
    const w = world();
    expect(await w.handler({ action: 'release', by: 'alice', components: [] })).toEqual({
      ok: false,
      error: { code: 'invalid', message: 'components: Too small: expected array to have >=1 items' },
    });
    expect(await w.handler({ action: 'launch' })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await w.handler({ action: 'command', component: 'web', command: 'pause', by: 'alice' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' }, // web waits for api: nothing to pause yet
    });
    const paused = await w.handler({ action: 'command', component: 'api', command: 'pause', by: 'alice' });
    expect(paused).toMatchObject({ ok: true, outcome: 'committed', deployments: [{ state: { status: 'paused' } }] });
    expect(await w.handler({ action: 'command', component: 'nope', command: 'pause', by: 'alice' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
