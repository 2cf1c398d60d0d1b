import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoStateStore } from '../../../src/aws/control/dynamo-store.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { createControllerHandler } from '../../../src/aws/handlers/controller.js';
import { registerDeploymentCommands } from '../../../src/cli/commands/deployments.js';
import { registerShadowCommands } from '../../../src/cli/commands/shadow.js';
import { registerStatusCommand } from '../../../src/cli/commands/status.js';
import { formatShadowReport } from '../../../src/cli/format.js';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';
import { DynamoShadowReports } from '../../../src/aws/control/shadow-reports.js';
import { addReportDelta } from '../../../src/aws/handlers/shadow-report-store.js';
import { ShadowReport } from '../../../src/core/shadow/index.js';
import { registerVersionCommands } from '../../../src/cli/commands/versions.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeCloudWatch, FakeKvs, FakeLambda } from './aws-fakes.js';
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
    cloudwatch: new FakeCloudWatch().client,
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
    const json = JSON.parse(await cli('status', '--json')) as {
      components: { name: string; route: string; alias: { version: number } }[];
    };
    expect(json.components).toEqual([
      expect.objectContaining({ name: 'api', route: '/api', alias: expect.objectContaining({ version: 1 }) }),
    ]);
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

  it('says what is not on the AWS control plane yet', async () => {
    const program = new Command().exitOverride();
    registerDeploymentCommands(program);
    await expect(
      program.parseAsync(['node', 'onebox', 'deploy', 'api', '2', '--alarm', 'error-rate=5%', '--aws', CONTROLLER]),
    ).rejects.toThrow('--alarm is not on the AWS control plane yet');
    const versions = new Command().exitOverride();
    registerVersionCommands(versions);
    await expect(versions.parseAsync(['node', 'onebox', 'versions', 'api', '--aws', CONTROLLER])).rejects.toThrow(
      '`versions` is not on the AWS control plane yet',
    );
  });
});
