import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withBrowserSignals } from '../../../src/aws/browser.js';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { LogsInsightsUsers } from '../../../src/aws/control/user-counts.js';
import { beaconHandler } from '../../../src/aws/handlers/beacon.js';
import { createControllerHandler, type ControllerAnswer } from '../../../src/aws/handlers/controller.js';
import { withVersionMetrics } from '../../../src/aws/metrics.js';
import { BEACON_PATH } from '../../../src/core/reserved-paths.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { startDynamo } from './dynalite.js';
import { loadViewerRequest, viewerEvent } from './edge-runtime.js';
import { FakeLogsInsights } from './logs-insights-fake.js';

/**
 * The browser gate on the AWS control plane, through the controller function's handler: a
 * shop whose pages are wrapped with withBrowserSignals and withVersionMetrics, routed by the
 * viewer-request CloudFront Function as built, its pages' beacons taken by the beacon
 * function (handlers/beacon.ts) into the beacon's log group, counted with Logs Insights
 * (mocked) each tick. Every answer is a 200: only the browser can tell the versions apart.
 */
const WEB_FN = 'shop-web';
const BEACON_GROUP = '/aws/lambda/onebox-beacon';
const KVS_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const KVS_ARN = `arn:aws:cloudfront::123456789012:key-value-store/${KVS_ID}`;
const KEY = Buffer.from('k3y-shared-by-the-apps-and-the-edge-0123456789abcdef', 'utf8');
const USERS_PER_MINUTE = 200;
const HTML = '<!doctype html><html><head><title>shop</title></head><body><h1>shop</h1></body></html>';

/** A function URL request, the parts the page reads. */
interface PageRequest {
  readonly rawPath: string;
  readonly headers: Record<string, string | undefined>;
  readonly requestContext: { readonly http: { readonly method: string } };
}

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let world: Awaited<ReturnType<typeof browserWorld>>;

async function browserWorld(browserLogGroup: string | undefined) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 0));
  const cloudwatch = new FakeCloudWatch();
  const logs = new FakeLogsInsights();
  const kvs = new FakeKvs(KVS_ARN);
  const lambda = new FakeLambda({ [WEB_FN]: 1 });
  const store = new DynamoStateStore(dynamo.client, dynamo.table);
  let ids = 0;
  const invoke = createControllerHandler({
    settings: controllerSettings.parse({
      table: dynamo.table,
      kvsArn: KVS_ARN,
      components: { web: { functionName: WEB_FN, ...(browserLogGroup ? { browserLogGroup } : {}) } },
    }),
    store,
    cloudwatch: cloudwatch.client,
    kvs: kvs.client,
    lambda: lambda.client,
    users: new LogsInsightsUsers(logs.client, { sleep: async () => {} }),
    clock,
    newId: () => `r${++ids}`,
  });
  const edge = loadViewerRequest(KVS_ID, (key) => kvs.store.get(key), {
    kvsKey: 'web',
    oneBoxDomain: 'canary.lambda-url.us-east-1.on.aws',
    partitionHeader: 'x-onebox-partition',
    identityHeader: '',
  });
  const beacon = beaconHandler({ key: KEY, write: (line) => logs.ingest(line, BEACON_GROUP), now: () => clock.now() });
  // Each version's page, instrumented as docs/aws.md says: 200 always, 20..49 ms on every version.
  let served = 0;
  const page = (version: number) => {
    let t = 0;
    let calls = 0;
    const render = async (_event: PageRequest, _context: unknown) => ({
      statusCode: 200,
      headers: { 'content-type': 'text/html' },
      body: HTML,
    });
    return withBrowserSignals(
      withVersionMetrics(render, {
        functionName: WEB_FN,
        version: String(version),
        write: (line) => {
          cloudwatch.ingest(line);
          logs.ingest(line);
        },
        now: () => clock.now(),
        elapsed: () => (calls++ % 2 === 0 ? t : (t += 20 + ((served * 7919) % 30))),
      }),
      { component: 'web', key: KEY, version },
    );
  };
  const pages = new Map([1, 2, 3].map((v) => [v, page(v)]));

  /**
   * A minute of traffic: each user one page through the edge, its beacon (a load, and an
   * error when `fails(version, user)`) to the beacon function. What the versions answered.
   */
  async function minute(fails: (version: number, user: number) => boolean) {
    const statuses: number[] = [];
    for (let u = 0; u < USERS_PER_MINUTE; u++) {
      const uid = `user${String(u).padStart(20, '0')}`;
      const request = await edge.handler(viewerEvent(uid, '/', `req${served}`));
      const partition = request.headers['x-onebox-partition']!.value;
      const version = lambda.version(WEB_FN, partition === 'one-box' ? 'canary' : 'stable');
      served++;
      const baggage = request.headers['baggage']?.value ?? '';
      const answer = await pages.get(version)!(
        { rawPath: '/', headers: { baggage }, requestContext: { http: { method: 'GET' } } },
        {},
      );
      statuses.push(answer.statusCode);
      const token = /data-onebox="([^"]+)"/.exec(answer.body ?? '')?.[1];
      if (token) {
        const e = fails(version, u) ? [{ k: 'error' }] : [];
        const out = await beacon({
          rawPath: BEACON_PATH,
          body: JSON.stringify({ t: token, l: true, e }),
          requestContext: { http: { method: 'POST' } },
        });
        expect(out.statusCode).toBe(204);
      }
      clock.advance(60_000 / USERS_PER_MINUTE);
    }
    return statuses;
  }

  const ok = async (event: unknown) => {
    const answer = (await invoke(event)) as ControllerAnswer;
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
    return answer;
  };
  const deployment = async (id: string) =>
    (await store.archived('web')).concat((await store.load()).state.deployments).find((d) => d.record.id === id)!;

  /** Ticks a minute apart until the deployment ends (or `limit` ticks): the answers. */
  async function runDeployment(id: string, fails: (version: number, user: number) => boolean, limit = 20) {
    const answers: ControllerAnswer[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < limit; i++) {
      statuses.push(...(await minute(fails)));
      answers.push(await ok({ action: 'tick' }));
      const s = (await deployment(id)).record.state.status;
      if (s === 'succeeded' || s === 'rolled-back' || s === 'paused') break;
    }
    return { answers, statuses };
  }

  for (const version of [1, 2, 3]) await ok({ action: 'publish', component: 'web', version });
  return { clock, kvs, lambda, logs, store, ok, deployment, runDeployment };
}

beforeAll(async () => {
  dynamo = await startDynamo();
}, 60_000);
afterAll(async () => {
  await dynamo.close();
});

// A good version's pages fail for 1 user in 50 (extensions, networks), as stable's do.
const background = (_version: number, user: number) => user % 50 === 7;

describe('the browser gate on the AWS control plane', () => {
  beforeAll(async () => {
    world = await browserWorld(BEACON_GROUP);
  });

  it('passes a good version: its users report no more errors than stable’s', { timeout: 60_000 }, async () => {
    const release = await world.ok({ action: 'release', by: 'alice', components: [{ component: 'web', version: 2 }] });
    const id = (release.answer as { release: string; deployments: { id: string; gates: { browser?: unknown } }[] })
      .deployments[0]!;
    // A component with a beacon gets the browser gate by default, as a local one with browser.enabled.
    expect(id.gates.browser).toMatchObject({ maxErrorShare: 0.2, minUsers: 20 });
    await world.runDeployment(id.id, background);
    const d = await world.deployment(id.id);
    expect(d.record.state.status).toBe('succeeded');
    // Its browser alarm passed on its users (at least 20 of them) and the comparison with stable found nothing worse.
    expect(d.record.state.evidence).toMatchObject({ browserAlarm: true, browser: { newRequests: expect.any(Number) } });
    expect(d.record.state.evidence!.browser!.newRequests).toBeGreaterThanOrEqual(20);
    expect(world.kvs.split('web')).toMatchObject({ percent: 0, stable: 2 });
    // The browser part was judged on the beacon's users (the queries went to its log group).
    expect(world.logs.started.some((q) => q.logGroupNames?.[0] === BEACON_GROUP)).toBe(true);
  });

  it('rolls back a browser-only bad version (every answer a 200), the split at 0 in the tick of the verdict', async () => {
    const release = await world.ok({ action: 'release', by: 'alice', components: [{ component: 'web', version: 3 }] });
    const id = (release.answer as { deployments: { id: string }[] }).deployments[0]!.id;
    // v3's pages throw in the browser for 3 users in 5.
    const { answers, statuses } = await world.runDeployment(id, (v, u) => (v === 3 ? u % 5 < 3 : background(v, u)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    const verdict = answers.at(-1)!;
    if (!verdict.ok) throw new Error('unreachable');
    const rolledBack = verdict.events.find((e) => e.type === 'rolled-back');
    expect(rolledBack?.sentence).toMatch(
      /^web v3: rolled back: v3 browser: \d+ users with an error of \d+ users \(.*\), above 20\.0% with 99\.9% confidence.*all traffic on v2$/,
    );
    expect(verdict.traffic).toEqual([
      expect.stringMatching(/^kvs web=\{"percent":0,"seed":"web@3:r2-web","stable":2,/),
    ]);
    expect(world.kvs.split('web')).toMatchObject({ percent: 0, stable: 2 });
    expect(world.lambda.version(WEB_FN, 'stable')).toBe(2);
    expect(answers.length).toBeLessThan(10); // inside its 10-minute one-box
  });
});

describe('the browser gate without browser data', () => {
  it(
    'waits, never passes on the requests alone, when the beacon’s lines cannot be read',
    { timeout: 60_000 },
    async () => {
      const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
      // A fresh table: a new world whose beacon log group does not exist (StartQuery: ResourceNotFound).
      await dynamo.close();
      dynamo = await startDynamo();
      const w = await browserWorld('/aws/lambda/no-such-beacon');
      const release = await w.ok({ action: 'release', by: 'alice', components: [{ component: 'web', version: 2 }] });
      const id = (release.answer as { deployments: { id: string }[] }).deployments[0]!.id;
      // Long enough for the requests' evidence (the good run above passed on it in 19 minutes), and the extension's 30 more.
      const { answers } = await w.runDeployment(id, background, 45);
      for (const a of answers) expect(a.ok).toBe(true); // a query that fails never fails a tick
      const d = await w.deployment(id);
      // The requests' gate had all it needed; the browser alarm waited for users it never saw.
      expect(d.record.state.evidence).toMatchObject({ alarms: true, rank: true, errors: { accepted: true } });
      expect(d.record.state.evidence?.browserAlarm).toBeUndefined();
      expect(d.events.map((e) => e.sentence)).toContainEqual(
        expect.stringContaining('v2 browser: 0 of 20 users needed'),
      );
      expect(d.record.state.status).toBe('paused'); // its one-box ended undecided: a person looks
      expect(w.kvs.split('web')).toMatchObject({ stable: 1 }); // v2 never became stable
      // Each failed read was said in the function's log, naming the component.
      expect(warned).toHaveBeenCalledWith(expect.stringContaining('"onebox":"users-not-counted","component":"web"'));
      warned.mockRestore();
    },
  );
});
