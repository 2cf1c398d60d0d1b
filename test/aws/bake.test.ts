import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createBakeHandlers } from '../../src/aws/handlers/bake.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * The bake as the Provider framework drives it: onEvent once, then isComplete every poll
 * until it answers true or throws (the framework sends FAILED to CloudFormation with the
 * message). CloudWatch is mocked; time is a fake clock, so a 10-minute bake takes no time.
 */
const cloudwatch = mockClient(CloudWatchClient);
afterAll(() => cloudwatch.restore());

const ALARMS = ['onebox-frontend-errors', 'backend-5xx'];
const props = (version: number) => ({
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  Version: String(version),
  AlarmNames: ALARMS,
  BakeSeconds: '600',
  GraceSeconds: '300',
});
const base = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Demo/guid',
  RequestId: 'req-1',
  LogicalResourceId: 'FrontendBake',
  ResourceType: 'Custom::OneboxBake',
};
const update = (from: number, to: number): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Update',
  PhysicalResourceId: 'onebox-bake',
  ResourceProperties: props(to),
  OldResourceProperties: props(from),
});

const alarm = (
  name: string,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  reason = 'Threshold Crossed',
): MetricAlarm => ({
  AlarmName: name,
  StateValue: state,
  StateReason: reason,
});

function setup() {
  const clock = new FakeClock();
  const logs: string[] = [];
  const handlers = createBakeHandlers({
    cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
    clock,
    log: (l) => logs.push(l),
  });
  /** What the framework does: onEvent, then isComplete with onEvent's answer merged in, every poll. */
  async function run(event: CloudFormationCustomResourceEvent, pollMs: number, maxPolls = 100) {
    const started = await handlers.onEvent(event);
    const merged = { ...event, ...started };
    for (let poll = 0; poll < maxPolls; poll++) {
      const answer = await handlers.isComplete(merged);
      if (answer.IsComplete) return { polls: poll + 1, elapsed: clock.now() - Date.UTC(2026, 0, 1), started };
      clock.advance(pollMs);
    }
    throw new Error('never completed');
  }
  return { clock, logs, handlers, run };
}

describe('bake custom resource', () => {
  beforeEach(() => {
    cloudwatch.reset();
    process.env['AWS_ACCESS_KEY_ID'] = 'test';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  });

  it('succeeds once the bake time is over when every alarm stays quiet', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [alarm(ALARMS[0]!, 'OK'), alarm(ALARMS[1]!, 'INSUFFICIENT_DATA')] });
    const { run } = setup();
    const result = await run(update(6, 7), 30_000);
    expect(result.elapsed).toBe(600_000);
    expect(result.polls).toBe(21);
    const input = cloudwatch.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input;
    expect(input.AlarmNames).toEqual(ALARMS);
    expect(input.AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
  });

  it('fails the deployment as soon as an alarm fires mid-bake, naming the alarm', async () => {
    const { clock, run } = setup();
    const bakeStart = clock.now();
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => ({
      MetricAlarms: [
        alarm(
          ALARMS[0]!,
          clock.now() - bakeStart >= 240_000 ? 'ALARM' : 'OK',
          'Threshold Crossed: 1 datapoint [0.31] > 0.02',
        ),
        alarm(ALARMS[1]!, 'OK'),
      ],
    }));
    await expect(run(update(6, 7), 30_000)).rejects.toThrow(
      'bake of version 7 failed: alarm "onebox-frontend-errors" is in ALARM: Threshold Crossed: 1 datapoint [0.31] > 0.02',
    );
    expect(clock.now() - bakeStart).toBe(240_000);
  });

  it('watches composite alarms too, and fails when a watched alarm does not exist', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ CompositeAlarms: [{ AlarmName: ALARMS[0], StateValue: 'OK' }] });
    const { run } = setup();
    await expect(run(update(6, 7), 30_000)).rejects.toThrow('alarm "backend-5xx" does not exist');
  });

  it('keeps trying while alarms cannot be read, and fails when that lasts past the grace after the bake (timeout)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(new Error('ThrottlingException: Rate exceeded'));
    const { clock, run } = setup();
    const bakeStart = clock.now();
    await expect(run(update(6, 7), 60_000)).rejects.toThrow(
      'bake of version 7 failed: alarms could not be read for 300s after the bake (Error: ThrottlingException: Rate exceeded)',
    );
    expect(clock.now() - bakeStart).toBe(900_000);
  });

  it('recovers from a failed read during the bake', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({ MetricAlarms: ALARMS.map((n) => alarm(n, 'OK')) });
    const { run } = setup();
    expect((await run(update(6, 7), 30_000)).elapsed).toBe(600_000);
  });

  it('does not bake on the first deployment', async () => {
    const { run } = setup();
    const result = await run({ ...base, RequestType: 'Create', ResourceProperties: props(1) }, 30_000);
    expect(result.polls).toBe(1);
    expect(result.started.PhysicalResourceId).toBe('onebox-bake');
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('never bakes (nor fails) on the way back: a rollback moves to an older version', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: ALARMS.map((n) => alarm(n, 'ALARM')) });
    const { run, logs } = setup();
    const result = await run(update(7, 6), 30_000);
    expect(result.polls).toBe(1);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(logs.join('\n')).toContain('version 6 after 7: rollback or no new version, no bake');
  });

  it("answers CloudFormation's Delete at once, without reading alarms, whatever the properties", async () => {
    const { handlers } = setup();
    const event: CloudFormationCustomResourceEvent = {
      ...base,
      RequestType: 'Delete',
      PhysicalResourceId: 'onebox-bake',
      ResourceProperties: { ServiceToken: base.ServiceToken, Version: 'garbage' },
    };
    expect(await handlers.onEvent(event)).toEqual({ PhysicalResourceId: 'onebox-bake' });
    expect(await handlers.isComplete(event)).toEqual({ IsComplete: true });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('rejects bad properties with the field and the value', async () => {
    const { handlers } = setup();
    const bad = (p: Record<string, unknown>) =>
      handlers.onEvent({
        ...base,
        RequestType: 'Create',
        ResourceProperties: { ...props(3), ...p },
      } as CloudFormationCustomResourceEvent);
    await expect(bad({ Version: '$LATEST' })).rejects.toThrow(
      'Version must be a published function version number, got "$LATEST"',
    );
    await expect(bad({ BakeSeconds: '-5' })).rejects.toThrow('BakeSeconds must be a number of seconds, got "-5"');
    await expect(bad({ AlarmNames: [''] })).rejects.toThrow('AlarmNames must be a list of alarm names, got [""]');
  });

  it('fails a bake whose one-box served too few requests to judge: quiet alarms without traffic are not health', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm(ALARMS[0]!, 'OK'), alarm(ALARMS[1]!, 'OK')] });
    // GetMetricData as AWS answers it: one value per minute with data, none for empty minutes.
    let requests = [3, 4, 0, 2];
    cloudwatch.on(GetMetricDataCommand).callsFake(() => ({
      MetricDataResults: [
        {
          Id: 'requests',
          Label: 'Requests',
          StatusCode: 'Complete',
          Timestamps: requests.map((_, i) => new Date(Date.UTC(2026, 0, 1, 0, i))),
          Values: requests,
        },
      ],
    }));
    const evidence = { Namespace: 'onebox', FunctionName: 'shop-onebox', MinRequests: '100' };
    const withEvidence = (from: number, to: number): CloudFormationCustomResourceEvent => {
      const e = update(from, to) as CloudFormationCustomResourceEvent & { ResourceProperties: Record<string, unknown> };
      return { ...e, ResourceProperties: { ...e.ResourceProperties, Evidence: evidence } };
    };
    await expect(setup().run(withEvidence(6, 7), 30_000)).rejects.toThrow(
      "bake of version 7 failed: the one-box served 9 requests during its 600s bake (withVersionMetrics' Requests), fewer than the 100 needed to judge it",
    );
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries![0]!.MetricStat).toMatchObject({
      Metric: {
        Namespace: 'onebox',
        MetricName: 'Requests',
        Dimensions: [
          { Name: 'FunctionName', Value: 'shop-onebox' },
          { Name: 'Version', Value: '7' },
        ],
      },
      Stat: 'Sum',
    });
    requests = [40, 30, 50];
    await expect(setup().run(withEvidence(6, 7), 30_000)).resolves.toMatchObject({ elapsed: 600_000 });
  });
});
