import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler, type ControllerAnswer } from '../../../src/aws/handlers/controller.js';
import { withVersionMetrics } from '../../../src/aws/metrics.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { LogsInsightsUsers } from '../../../src/aws/control/user-counts.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { FakeLogsInsights } from './logs-insights-fake.js';
import { startDynamo } from './dynalite.js';
import { loadViewerRequest, viewerEvent } from './edge-runtime.js';

export const WEB_FN = 'shop-web';
export const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const KVS_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';

type LambdaHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;

/**
 * The demo shop on "AWS", offline: the state in DynamoDB's API (dynalite), CloudWatch, the
 * KeyValueStore and Lambda's aliases mocked as AWS answers, the controller function's
 * handler invoked as EventBridge Scheduler and the CLI invoke it, the viewer-request
 * CloudFront Function as built, and the demo's real handlers (built per release) wrapped
 * with withVersionMetrics the way a user wraps theirs, their EMF lines fed to CloudWatch.
 * The web handler calls the API over HTTP (a real server on loopback).
 */
export async function awsWorld() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 0));
  const dynamo = await startDynamo();
  const cloudwatch = new FakeCloudWatch();
  const logs = new FakeLogsInsights();
  const kvs = new FakeKvs(KVS_ARN);
  const lambda = new FakeLambda({ [WEB_FN]: 1 });
  const settings = controllerSettings.parse({
    table: dynamo.table,
    kvsArn: KVS_ARN,
    components: { web: { functionName: WEB_FN } },
  });
  let ids = 0;
  const store = new DynamoStateStore(dynamo.client, dynamo.table);
  const handler = createControllerHandler({
    settings,
    store,
    cloudwatch: cloudwatch.client,
    kvs: kvs.client,
    lambda: lambda.client,
    // Polls without waiting: the fake answers Running once, then Complete.
    users: new LogsInsightsUsers(logs.client, { sleep: async () => {} }),
    clock,
    newId: () => `r${++ids}`,
  });
  const invoke = (event: unknown): Promise<ControllerAnswer> => handler(event);

  // The demo, built per release; the API (its newest build) on a loopback server.
  const dir = mkdtempSync(join(tmpdir(), 'onebox-aws-story-'));
  const demo = (await import(pathToFileURL(join(process.cwd(), 'examples/demo/build.mjs')).href)) as {
    buildDemo(outDir: string): Promise<{ release: string; api: string; web: string }[]>;
  };
  const built = await demo.buildDemo(dir);
  const apiModule = (await import(pathToFileURL(join(built.at(-1)!.api, 'index.mjs')).href)) as {
    handler: LambdaHandler;
  };
  const api: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    void apiModule
      .handler(
        {
          rawPath: url.pathname,
          rawQueryString: url.search.slice(1),
          headers: req.headers,
          requestContext: { http: { method: req.method } },
        },
        {},
      )
      .then((r) => {
        res.writeHead(r.statusCode, { 'content-type': 'application/json' });
        res.end(r.body ?? '');
      });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiOriginBefore = process.env['DEMO_API_ORIGIN'];
  process.env['DEMO_API_ORIGIN'] = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  // Each version's web handler, instrumented as docs/aws.md says; latency from the test's clock.
  let served = 0;
  const web = new Map<number, LambdaHandler>();
  for (const [i, b] of built.entries()) {
    const version = i + 1;
    const mod = (await import(pathToFileURL(join(b.web, 'index.mjs')).href)) as { handler: LambdaHandler };
    let t = 0;
    let calls = 0;
    web.set(
      version,
      withVersionMetrics(mod.handler, {
        functionName: WEB_FN,
        version: String(version),
        write: (line) => {
          cloudwatch.ingest(line);
          logs.ingest(line);
        },
        now: () => clock.now(),
        // 20..49 ms, the same spread for every version: the judge compares like with like.
        elapsed: () => (calls++ % 2 === 0 ? t : (t += 20 + ((served * 7919) % 30))),
      }),
    );
  }

  const edge = loadViewerRequest(KVS_ID, (key) => kvs.store.get(key), {
    kvsKey: 'web',
    oneBoxDomain: 'canary.lambda-url.us-east-1.on.aws',
    partitionHeader: 'x-onebox-partition',
    identityHeader: '',
  });

  /** One user's page view through the edge: the version that served it and its status. */
  async function view(user: number, path: string): Promise<{ version: number; status: number }> {
    const uid = `user${String(user).padStart(20, '0')}`;
    const request = await edge.handler(viewerEvent(uid, path, `req${served}`));
    const partition = request.headers['x-onebox-partition']!.value;
    const version = lambda.version(WEB_FN, partition === 'one-box' ? 'canary' : 'stable');
    served++;
    const answer = await web.get(version)!(
      {
        rawPath: path,
        headers: { baggage: request.headers['baggage']?.value ?? '' },
        requestContext: { http: { method: 'GET' } },
      },
      {},
    );
    return { version, status: answer.statusCode };
  }

  let minutes = 0;
  /** A minute of traffic: `users` users, one page each, spread over the minute. */
  async function minute(users: number): Promise<Map<number, { requests: number; errors: number }>> {
    const byVersion = new Map<number, { requests: number; errors: number }>();
    const step = 60_000 / users;
    minutes++;
    for (let u = 0; u < users; u++) {
      // A third on the home page, the rest across the 12 products (half have no list price).
      const path = u % 3 === 0 ? '/' : `/products/${((u + minutes) % 12) + 1}`;
      const { version, status } = await view(u, path);
      const v = byVersion.get(version) ?? { requests: 0, errors: 0 };
      v.requests++;
      if (status >= 500) v.errors++;
      byVersion.set(version, v);
      clock.advance(step);
    }
    return byVersion;
  }

  return {
    clock,
    dynamo,
    store,
    cloudwatch,
    logs,
    kvs,
    lambda,
    invoke,
    minute,
    view,
    close: async () => {
      if (apiOriginBefore === undefined) delete process.env['DEMO_API_ORIGIN'];
      else process.env['DEMO_API_ORIGIN'] = apiOriginBefore;
      await new Promise<void>((resolve) => api.close(() => resolve()));
      await dynamo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
