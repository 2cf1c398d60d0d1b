import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneboxControlPlane, type OneboxControlPlaneProps } from '../../../src/aws/index.js';
import { controllerEvent } from '../../../src/aws/control/requests.js';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler, type ControllerAnswer } from '../../../src/aws/handlers/controller.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { startDynamo } from './dynalite.js';

/**
 * What `cdk deploy` configures (OneboxControlPlane's components: config, onInconclusive,
 * hooks), as the release custom resource sends it with every deploy: recorded by the
 * controller, taken by the next release, never by a running one.
 */
const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const tables: Awaited<ReturnType<typeof startDynamo>>[] = [];
let server: Server;
let base = '';
const calls: { path: string; hook: unknown }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', hook: (JSON.parse(body) as { hook: unknown }).hook });
      res.end('smoke test passed');
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

async function world() {
  const dynamo = await startDynamo();
  tables.push(dynamo);
  const kvs = new FakeKvs(ARN);
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 0));
  const handler = createControllerHandler({
    settings: controllerSettings.parse({
      table: dynamo.table,
      kvsArn: ARN,
      components: { web: { functionName: 'shop-web' } },
    }),
    store: new DynamoStateStore(dynamo.client, dynamo.table),
    cloudwatch: new FakeCloudWatch().client,
    kvs: kvs.client,
    lambda: new FakeLambda({ 'shop-web': 1 }).client,
    clock,
  });
  // As the custom resource sends it: the version as a string, the component's settings with it.
  const deploy = (version: number, settings: Record<string, unknown>) =>
    handler({ action: 'deploy', components: [{ component: 'web', version: String(version), ...settings }] });
  return { kvs, clock, handler, deploy };
}

function ok(answer: ControllerAnswer) {
  if (!answer.ok) throw new Error(answer.error.message);
  return answer;
}

async function sentences(handler: (e: unknown) => Promise<ControllerAnswer>): Promise<string[]> {
  const { answer } = ok(await handler({ action: 'history' })) as { answer: unknown };
  const { releases } = answer as { releases: { deployments: { events: { sentence: string }[] }[] }[] };
  return releases.flatMap((r) => r.deployments.flatMap((d) => d.events.map((e) => e.sentence)));
}

describe('release settings declared in the CDK app', () => {
  it("a changed one-box share reaches the KeyValueStore split at the next release, and a running deployment's steps stay", async () => {
    const w = await world();
    ok(await w.deploy(1, { config: 'onebox:20%:10m' }));
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 1 });

    // The share changed in the app and the code too: the release runs the new share.
    const v2 = ok(await w.deploy(2, { config: 'onebox:10%:10m' }));
    expect(v2.deployments.map((d) => d.state.status)).toEqual(['baking']);
    expect(w.kvs.split('web')).toMatchObject({ percent: 10, stable: 1, canary: 2 });

    // Changed again while v2 bakes: v2 keeps its 10%, the history says why.
    w.clock.advance(60_000);
    const during = ok(await w.deploy(2, { config: 'onebox:50%:10m' }));
    expect(during.deployments).toEqual([]);
    expect(w.kvs.split('web')).toMatchObject({ percent: 10, canary: 2 });
    const note =
      'web v2: cdk deploy set deployment config onebox:50%:10m (was onebox:10%:10m); this deployment keeps the settings it started with, the next release takes the new ones';
    expect(await sentences(w.handler)).toContain(note);
    // The same deploy again (a retried custom resource) records nothing twice.
    ok(await w.deploy(2, { config: 'onebox:50%:10m' }));
    expect((await sentences(w.handler)).filter((s) => s === note)).toHaveLength(1);

    ok(await w.handler({ action: 'command', component: 'web', command: 'rollback', by: 'alice' }));
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 1 });
    // A release started by hand (no config of its own) takes what the app declared last.
    ok(await w.handler({ action: 'publish', component: 'web', version: 3 }));
    const v3 = ok(await w.handler({ action: 'release', by: 'alice', components: [{ component: 'web', version: 3 }] }));
    expect(v3.deployments.map((d) => d.state.status)).toEqual(['baking']);
    expect(w.kvs.split('web')).toMatchObject({ percent: 50, stable: 1, canary: 3 });
  });

  it('a settings-only deploy while idle is recorded with a sentence and taken by the next release', async () => {
    const w = await world();
    ok(await w.deploy(1, {}));
    ok(await w.deploy(2, {}));
    ok(await w.handler({ action: 'command', component: 'web', command: 'promote-all', by: 'alice' }));
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 2 });
    const idle = ok(await w.deploy(2, { config: 'onebox:5%:10m', onInconclusive: 'rollback' }));
    expect(idle.deployments).toEqual([]);
    expect(await sentences(w.handler)).toContain(
      'web: cdk deploy set deployment config onebox:5%:10m (was onebox:20%:10m), onInconclusive rollback (was pause); the next release takes them',
    );
    ok(await w.deploy(3, { config: 'onebox:5%:10m', onInconclusive: 'rollback' }));
    expect(w.kvs.split('web')).toMatchObject({ percent: 5, canary: 3 });
  });

  it("runs the app's URL hooks in the release cdk deploy starts, and refuses a command hook by its field", async () => {
    const w = await world();
    ok(await w.deploy(1, {}));
    const refused = await w.deploy(2, { hooks: { beforeAllowTraffic: { command: './smoke.sh', timeoutMs: 1000 } } });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'invalid',
        message:
          'components[0].hooks.beforeAllowTraffic: command hooks ("./smoke.sh") cannot run in the controller Lambda; give a URL hook ({ "url", "timeoutMs" }) on AWS',
      },
    });
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 1 });

    calls.length = 0;
    const hooks = { beforeAllowTraffic: { url: `${base}/smoke`, timeoutMs: 2000 } };
    const started = ok(await w.deploy(2, { hooks }));
    expect(calls).toEqual([{ path: '/smoke', hook: 'beforeAllowTraffic' }]);
    expect(started.deployments[0]).toMatchObject({ hooks, state: { status: 'baking' } });
    expect(started.events.map((e) => e.sentence)).toContain(
      'web v2: beforeAllowTraffic hook passed (HTTP 200: smoke test passed)',
    );
    expect(w.kvs.split('web')).toMatchObject({ percent: 20, canary: 2 });
  });
});

/**
 * The release custom resource's invoke payload as synthesized, with CloudFormation's
 * references filled in (`version` for the function's current version).
 */
function releasePayload(template: Template, version: number): unknown {
  const [release] = Object.entries(template.findResources('Custom::AWS'))
    .filter(([id]) => id.startsWith('CRelease'))
    .map(([, r]) => r);
  const parts = (release as { Properties: { Update: { 'Fn::Join': [string, unknown[]] } } }).Properties.Update[
    'Fn::Join'
  ][1];
  const call = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : String(version))).join('')) as {
    parameters: { Payload: string };
  };
  return JSON.parse(call.parameters.Payload);
}

describe(
  "OneboxControlPlane carries each component's settings in the release custom resource",
  { timeout: 120_000 },
  () => {
    const synth = (components: (fn: lambda.Function) => OneboxControlPlaneProps['components']) => {
      const s = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
      const fn = new lambda.Function(s, 'Web', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
      });
      new OneboxControlPlane(s, 'C', { components: components(fn) });
      return Template.fromStack(s);
    };

    it('config, onInconclusive and hooks, so a deploy that changes only them still reaches the controller', () => {
      const hooks = { afterAllowTraffic: { url: 'https://smoke.example.com/check', timeoutMs: 5000 } };
      const t = synth((fn) => ({ web: { function: fn, config: 'onebox:10%:10m', onInconclusive: 'rollback', hooks } }));
      expect(releasePayload(t, 7)).toEqual({
        action: 'deploy',
        by: 'cdk deploy',
        components: [{ component: 'web', version: '7', config: 'onebox:10%:10m', onInconclusive: 'rollback', hooks }],
      });
      expect(controllerEvent.parse(releasePayload(t, 7))).toMatchObject({ components: [{ version: 7, hooks }] });
      expect(
        releasePayload(
          synth((fn) => ({ web: { function: fn } })),
          7,
        ),
      ).toEqual({
        action: 'deploy',
        by: 'cdk deploy',
        components: [{ component: 'web', version: '7' }],
      });
    });

    it('refuses a command hook at synth, naming the prop', () => {
      expect(() =>
        synth((fn) => ({
          web: { function: fn, hooks: { beforeAllowTraffic: { command: './smoke.sh', timeoutMs: 1000 } } },
        })),
      ).toThrow(
        'components.web.hooks.beforeAllowTraffic: command hooks ("./smoke.sh") cannot run in the controller Lambda',
      );
    });

    it("the synthesized deploy, invoked as the custom resource invokes it, runs the app's URL hook", async () => {
      const w = await world();
      const hooks = { beforeAllowTraffic: { url: `${base}/from-cdk`, timeoutMs: 2000 } };
      const t = synth((fn) => ({ web: { function: fn, hooks } }));
      calls.length = 0;
      ok(await w.handler(releasePayload(t, 1)));
      expect(calls).toEqual([]); // the first version goes live: nothing to release
      const started = ok(await w.handler(releasePayload(t, 2)));
      expect(calls).toEqual([{ path: '/from-cdk', hook: 'beforeAllowTraffic' }]);
      expect(started.deployments[0]).toMatchObject({ hooks, state: { status: 'baking' } });
    });
  },
);
