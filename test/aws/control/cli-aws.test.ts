import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler } from '../../../src/aws/handlers/controller.js';
import { registerDeploymentCommands } from '../../../src/cli/commands/deployments.js';
import { registerShadowCommands } from '../../../src/cli/commands/shadow.js';
import { registerStatusCommand } from '../../../src/cli/commands/status.js';
import { formatShadowReport, formatVersions } from '../../../src/cli/format.js';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';
import { statusAnswer } from '../../../src/api/answers.js';
import { DynamoShadowReports } from '../../../src/aws/control/shadow-reports.js';
import { addReportDelta } from '../../../src/aws/handlers/shadow-report-store.js';
import { ShadowReport } from '../../../src/core/shadow/index.js';
import { registerVersionCommands } from '../../../src/cli/commands/versions.js';
import { registerAliasCommand } from '../../../src/cli/commands/alias.js';
import { registerLogsCommand } from '../../../src/cli/commands/logs.js';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException as CwlNotFound,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { FakeClock } from '../../helpers/fake-clock.js';
import { LogsInsightsUsers } from '../../../src/aws/control/user-counts.js';
import { withVersionMetrics } from '../../../src/aws/metrics.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
import { FakeLogsInsights } from './logs-insights-fake.js';
import { startDynamo } from './dynalite.js';

/**
 * `onebox pause | resume | promote | rollback | history --aws <controller>`: the CLI's own
 * commands, invoking the controller function through the AWS SDK's Lambda client (mocked:
 * its Invoke runs the real controller handler on dynalite), printing what they print locally.
 */
const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const CONTROLLER = 'OneboxDemoServerless-OneboxController999E774B-abc';
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let invoke: { restore: () => void };
const invoked: unknown[] = [];
let clock: FakeClock;
const cloudwatch = new FakeCloudWatch();
const logs = new FakeLogsInsights();

/** Three minutes of the api's traffic during v2's one-box: 10 users a minute, 2 of them on v2, whose first call each minute answers 500. */
async function traffic(): Promise<void> {
  for (let m = 0; m < 3; m++) {
    for (let u = 0; u < 10; u++) {
      const version = u < 2 ? 2 : 1;
      let t = 0;
      const handler = withVersionMetrics(async () => ({ statusCode: u === 0 ? 500 : 200 }), {
        functionName: 'shop-api',
        version: String(version),
        now: () => clock.now(),
        elapsed: () => (t += 10 * version), // read twice an invocation: 10 ms on v1, 20 ms on v2
        write: (line) => {
          cloudwatch.ingest(line);
          logs.ingest(line);
        },
      });
      await handler({ headers: { baggage: `onebox-uid=user-${u}` } }, {});
      clock.advance(6_000);
    }
  }
}

beforeAll(async () => {
  process.env['AWS_REGION'] = 'us-east-1';
  process.env['AWS_ACCESS_KEY_ID'] = 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  dynamo = await startDynamo();
  clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 0));
  const handler = createControllerHandler({
    settings: controllerSettings.parse({
      table: dynamo.table,
      kvsArn: ARN,
      components: { api: { functionName: 'shop-api', route: '/api' } },
    }),
    store: new DynamoStateStore(dynamo.client, dynamo.table),
    cloudwatch: cloudwatch.client,
    users: new LogsInsightsUsers(logs.client, { sleep: async () => {} }),
    kvs: new FakeKvs(ARN).client,
    lambda: new FakeLambda({ 'shop-api': 1 }).client,
    clock,
  });
  // Every other LambdaClient (the CLI's own): after the fake aliases' client, which is mocked apart.
  const mock = mockClient(LambdaClient);
  invoke = mock;
  // Lambda's Invoke as AWS answers it: the payload bytes, the version that ran.
  mock.on(InvokeCommand).callsFake(async (input: { FunctionName: string; Payload: string | Uint8Array }) => {
    if (input.FunctionName !== CONTROLLER) throw new Error(`Function not found: ${input.FunctionName}`);
    const event = JSON.parse(typeof input.Payload === 'string' ? input.Payload : Buffer.from(input.Payload).toString());
    invoked.push(event);
    const answer = await handler(event);
    return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: new TextEncoder().encode(JSON.stringify(answer)) };
  });
  await handler({ action: 'deploy', components: [{ component: 'api', version: 1 }] });
  await handler({ action: 'deploy', components: [{ component: 'api', version: 2 }] });
  await traffic();
});
afterAll(async () => {
  invoke.restore();
  await dynamo.close();
});

async function cli(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerDeploymentCommands(program);
  registerStatusCommand(program);
  registerShadowCommands(program);
  registerVersionCommands(program);
  registerAliasCommand(program);
  registerLogsCommand(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    await program.parseAsync(['node', 'onebox', ...args, '--aws', CONTROLLER]);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

describe('the CLI against the AWS control plane', () => {
  it("prints the comparer's stored shadow report as the local report, and --json in the admin API shape", async () => {
    await expect(cli('shadow', 'report', 'api')).rejects.toThrow('api has no shadow report');
    // Two batches of the comparer, as its Lambda stores them; the local engine's report of the same comparisons.
    const policy = shadowPolicyBody.parse({ version: 2 });
    const local = new ShadowReport('api', policy);
    const reports = new DynamoShadowReports(dynamo.client, dynamo.table);
    const ok = (price: number) => ({
      status: 200,
      headers: {},
      body: JSON.stringify({ price, id: 'x' }),
      latencyUs: 900,
    });
    for (const prices of [
      [10, 12],
      [10, 10, 12],
    ]) {
      const batch = new ShadowReport('api', policy);
      for (const p of prices) {
        batch.add('GET /api/items/:id', ok(10), ok(p), ok(10));
        local.add('GET /api/items/:id', ok(10), ok(p), ok(10));
      }
      expect(await addReportDelta(reports, policy, batch.drain())).toBe(true);
    }
    const text = await cli('shadow', 'report', 'api');
    expect(text).toBe(formatShadowReport(local.summary()));
    expect(text).toMatch(/\$\.price/);
    expect(invoked.at(-1)).toEqual({ action: 'shadowReport', component: 'api' });
    expect(JSON.parse(await cli('shadow', 'report', 'api', '--version', '2', '--json'))).toEqual({
      report: JSON.parse(JSON.stringify(local.summary())),
    });
    expect(invoked.at(-1)).toEqual({ action: 'shadowReport', component: 'api', version: 2 });
    await expect(cli('shadow', 'report', 'api', '--version', '3')).rejects.toThrow('api has no shadow report for v3');
    await expect(cli('shadow', 'report', 'web')).rejects.toThrow('unknown component "web"');
  });

  it('pauses, resumes and rolls back with the same words as locally', async () => {
    expect(await cli('pause', 'api')).toBe('api: paused, v2 at 20%');
    expect(invoked.at(-1)).toMatchObject({
      action: 'command',
      component: 'api',
      command: 'pause',
      by: expect.stringMatching(/@cli$/),
    });
    expect(await cli('resume', 'api')).toBe('api: baking, v2 at 20%');
    expect(await cli('rollback', 'api')).toMatch(/^api: rolled-back \(.*\), v2 at 0%$/);
    await expect(cli('pause', 'api')).rejects.toThrow('api has no active deployment to pause');
  });

  it('prints the history, and --json in the admin API shape', async () => {
    const text = await cli('history');
    expect(text).toMatch(/api v2: deployment from v1 started/);
    expect(text).toMatch(/rolled back by .*@cli/);
    const json = JSON.parse(await cli('history', '--json')) as {
      releases: { by: string; deployments: { events: unknown[] }[] }[];
    };
    expect(json.releases).toHaveLength(1);
    expect(json.releases[0]!.by).toBe('cdk deploy');
    expect(json.releases[0]!.deployments[0]!.events.length).toBeGreaterThan(3);
  });

  it('shows the status: the live alias, the deployment and its gate', async () => {
    const text = await cli('status');
    expect(text).toMatch(/api/);
    expect(text).toMatch(/rolled-back/);
    // Each version's traffic over the deployment's window (the rolled-back one: its three minutes).
    expect(text).toMatch(/^ {2}VERSION +REQUESTS +5XX +UPSTREAM ERR +TIMEOUTS +P50 MS +P99 MS +USERS$/m);
    expect(text).toMatch(/^ {2}v1 +24 +0 +0 +0 +\d+\.\d\d +\d+\.\d\d +8$/m);
    expect(text).toMatch(/^ {2}v2 +6 +3 +0 +0 +\d+\.\d\d +\d+\.\d\d +2$/m);
    const json = JSON.parse(await cli('status', '--json')) as {
      components: { name: string; route: string; alias: { version: number }; metrics: unknown[] }[];
    };
    expect(json.components).toEqual([
      expect.objectContaining({ name: 'api', route: '/api', alias: expect.objectContaining({ version: 1 }) }),
    ]);
    expect(json.components[0]!.metrics).toEqual([
      expect.objectContaining({ component: 'api', version: 1, requests: 24, errors5xx: 0, users: 8, usersExact: true }),
      expect.objectContaining({ component: 'api', version: 2, requests: 6, errors5xx: 3, users: 2, usersExact: true }),
    ]);
    // Percentiles from the latency buckets (about 28% wide): within a bucket of the handlers' 10 and 20 ms.
    const latency = (json.components[0]!.metrics as { latencyMs: { p50: number; p99: number; max: number } }[]).map(
      (m) => m.latencyMs,
    );
    for (const [i, ms] of [10, 20].entries())
      for (const q of ['p50', 'p99', 'max'] as const) {
        expect(latency[i]![q]).toBeGreaterThan(ms / 1.3);
        expect(latency[i]![q]).toBeLessThan(ms * 1.3);
      }
    // The answer parses with the local status answer's schema (the CLI's --json is the admin API's).
    expect(statusAnswer.safeParse(JSON.parse(await cli('status', '--json'))).success).toBe(true);
  });

  it('deploys a version, with its config, as locally', async () => {
    expect(await cli('deploy', 'api', '2', '--config', 'canary:10%:5m')).toMatch(
      /^api: deployment [\w-]+ v1 -> v2 in-progress; follow with `onebox status --watch`$/,
    );
    expect(invoked.at(-1)).toMatchObject({
      action: 'release',
      components: [{ component: 'api', version: 2, config: 'canary:10%:5m' }],
    });
  });

  it('deploys with --alarm overrides, and releases with a recipe, resolved by the controller as locally', async () => {
    await cli('rollback', 'api');
    const out = JSON.parse(
      await cli('deploy', 'api', '2', '--alarm', 'error-rate=5%', '--alarm', 'p99=800ms', '--json'),
    ) as {
      deployments: { gates: { alarms: Record<string, number> } }[];
    };
    expect(invoked.at(-1)).toMatchObject({
      action: 'release',
      components: [{ component: 'api', version: 2, alarms: { maxErrorRate: 0.05, maxP99Ms: 800 } }],
    });
    expect(out.deployments[0]!.gates.alarms).toMatchObject({ maxErrorRate: 0.05, maxP99Ms: 800, minRequests: 100 });
    await cli('stop', 'api');
    await expect(cli('release', '--set', 'api=2', '--recipe', 'prod-one-box')).rejects.toThrow(
      'the prod-one-box recipe needs the frontend in the release: the component routed at "/"',
    );
    expect(invoked.at(-1)).toMatchObject({ action: 'release', recipe: 'prod-one-box' });
  });

  it('lists the versions and shows the live alias the controller keeps, in the local words and --json', async () => {
    const json = JSON.parse(await cli('versions', 'api', '--json')) as Parameters<typeof formatVersions> extends [
      infer V,
      infer A,
    ]
      ? { versions: V; alias: A }
      : never;
    expect(await cli('versions', 'api')).toBe(formatVersions(json.versions, json.alias));
    expect(json).toMatchObject({
      versions: [
        { component: 'api', number: 1, target: 'shop-api:1' },
        { component: 'api', number: 2, target: 'shop-api:2' },
      ],
      alias: { component: 'api', version: 1 },
    });
    expect(await cli('alias', 'api')).toMatch(/^api: /);
    expect(JSON.parse(await cli('alias', 'api', '--json'))).toMatchObject({ alias: { version: 1 } });
    expect(invoked.at(-1)).toEqual({ action: 'alias', component: 'api' });
    await expect(cli('versions', 'web')).rejects.toThrow('unknown component "web"');
  });

  it('says why publish and moving the alias by hand do not work against the controller', async () => {
    await expect(cli('publish', 'api', '--url', 'https://example.com')).rejects.toThrow(
      '`publish --aws`: on AWS a version is the Lambda version `cdk deploy` publishes',
    );
    await expect(cli('alias', 'api', '--version', '2')).rejects.toThrow(
      '`alias --version --aws`: on AWS the controller owns the live alias',
    );
    await expect(cli('retire', 'api', '1')).rejects.toThrow('`retire --aws`: not on the AWS control plane yet');
  });
});

describe("onebox logs --aws: a version's CloudWatch Logs", () => {
  // CloudWatch Logs' FilterLogEvents as AWS answers it: streams by prefix, events from startTime, pages by nextToken.
  const streams: Record<string, { timestamp: number; message: string }[]> = {};
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const asked: { logGroupName?: string; logStreamNamePrefix?: string }[] = [];
  beforeAll(() => {
    logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).callsFake(async (input: FilterLogEventsCommandInput) => {
      asked.push({ logGroupName: input.logGroupName, logStreamNamePrefix: input.logStreamNamePrefix });
      if (input.logGroupName !== '/aws/lambda/shop-api')
        throw new CwlNotFound({ message: 'The specified log group does not exist.', $metadata: {} });
      const all = Object.entries(streams)
        .filter(([name]) => name.startsWith(input.logStreamNamePrefix ?? ''))
        .flatMap(([name, events]) =>
          events.map((e) => ({
            ...e,
            logStreamName: name,
            eventId: `${name}/${e.timestamp}`,
            ingestionTime: e.timestamp,
          })),
        )
        .filter((e) => e.timestamp >= (input.startTime ?? 0))
        .sort((a, b) => a.timestamp - b.timestamp);
      const from = Number(input.nextToken ?? 0);
      const page = all.slice(from, from + 2); // small pages: the CLI must follow nextToken
      return {
        events: page,
        ...(from + 2 < all.length ? { nextToken: String(from + 2) } : {}),
        searchedLogStreams: [],
      };
    });
  });
  afterAll(() => logs.restore());

  it('reads only the streams of the version asked for, today and yesterday, and prints them oldest first', async () => {
    const now = Date.now();
    const day = (t: number) => new Date(t).toISOString().slice(0, 10).replaceAll('-', '/');
    const yesterday = now - 86_400_000;
    streams[`${day(yesterday)}/[2]aaa`] = [{ timestamp: yesterday, message: 'START RequestId: 1 Version: 2\n' }];
    streams[`${day(now)}/[2]bbb`] = [
      { timestamp: now - 3000, message: 'ERROR checkout failed' },
      { timestamp: now - 2000, message: 'END RequestId: 2' },
      { timestamp: now - 1000, message: 'REPORT RequestId: 2 Duration: 3 ms' },
    ];
    streams[`${day(now)}/[1]ccc`] = [{ timestamp: now - 500, message: 'v1 line' }];
    asked.length = 0;
    const text = await cli('logs', 'api:2');
    expect(text.split('\n').map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'api:2 START RequestId: 1 Version: 2',
      'api:2 ERROR checkout failed',
      'api:2 END RequestId: 2',
      'api:2 REPORT RequestId: 2 Duration: 3 ms',
    ]);
    expect(asked.map((a) => a.logStreamNamePrefix)).toEqual([
      `${day(now)}/[2]`,
      `${day(now)}/[2]`, // its second page
      `${day(yesterday)}/[2]`,
    ]);
    expect(asked.every((a) => a.logGroupName === '/aws/lambda/shop-api')).toBe(true);
    const json = JSON.parse(await cli('logs', 'api', '--limit', '2', '--json')) as {
      logs: { version: number; message: string }[];
    };
    expect(json.logs.map((l) => [l.version, l.message])).toEqual([
      [2, 'REPORT RequestId: 2 Duration: 3 ms'],
      [1, 'v1 line'],
    ]);
    await expect(cli('logs', 'api:9')).rejects.toThrow('component "api" has no version 9');
  });
});
