import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShadowComparer } from '../../src/aws/index.js';
import { SHADOW_LOG_FIELDS } from '../../src/aws/handlers/realtime-log.js';
import { demoApp } from '../../examples/demo/cdk/app.js';

/**
 * The shadow on AWS as the demo synthesizes it: CloudFront real-time logs of the API's behavior
 * into a Kinesis stream, a comparer Lambda on the stream, and nothing on the viewer's path.
 */
describe('ShadowComparer in the demo stack', () => {
  let template: Template;
  let stack: Stack;

  beforeAll(() => {
    ({ stack } = demoApp());
    template = Template.fromStack(stack);
  }, 120_000);

  it('logs the API behavior to a Kinesis stream, and no function runs for the viewer on that behavior', () => {
    template.hasResourceProperties('AWS::CloudFront::RealtimeLogConfig', {
      Fields: [...SHADOW_LOG_FIELDS],
      SamplingRate: 100,
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    const dist = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!.Properties as {
      DistributionConfig: {
        CacheBehaviors: {
          PathPattern: string;
          RealtimeLogConfigArn?: unknown;
          LambdaFunctionAssociations?: unknown[];
          FunctionAssociations?: unknown[];
        }[];
      };
    };
    const api = dist.DistributionConfig.CacheBehaviors.find((b) => b.PathPattern === '/api/*')!;
    expect(api.RealtimeLogConfigArn).toBeDefined();
    expect(api.LambdaFunctionAssociations ?? []).toEqual([]);
  });

  it('feeds the comparer from the stream, dropping a failed batch instead of retrying it', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'LATEST',
      BatchSize: 100,
      MaximumRetryAttempts: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { ONEBOX_SHADOW_LIVE_URL: Match.anyValue(), ONEBOX_SHADOW_URL: Match.anyValue() },
      },
    });
  });

  it("carries the local engine's policy, with a share of users below 1 by default", () => {
    const demo = stack.node.findAll().find((c): c is ShadowComparer => c instanceof ShadowComparer)!;
    expect(demo.policy).toMatchObject({
      share: 0.1,
      methods: ['GET', 'HEAD', 'OPTIONS'],
      noise: true,
      timeoutMs: 5000,
    });
    const s = new Stack(new App(), 'D', { env: { account: '123456789012', region: 'eu-west-1' } });
    const bare = new ShadowComparer(s, 'C', {
      liveUrl: 'https://live.example.com',
      shadowUrl: 'https://next.example.com',
    });
    expect(bare.policy).toMatchObject({
      version: 2,
      share: 0.1,
      maxInFlight: 64,
      dropHeaders: ['authorization', 'cookie', 'proxy-authorization'],
    });
  });

  it('refuses methods with bodies, a bad share and a bad sampling rate, all at once', () => {
    const s = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(
      () =>
        new ShadowComparer(s, 'C', {
          liveUrl: 'https://live.example.com',
          shadowUrl: 'ftp://shadow',
          share: 2,
          methods: ['GET', 'POST'],
          samplingRate: 0,
          timeout: Duration.minutes(11),
        }),
    ).toThrow(
      'ShadowComparer C: share must be above 0 and at most 1, got 2; timeout must be a whole number of milliseconds ' +
        'from 1 to 600000, got 660000; methods must be body-less (a log record carries no body), got ["POST"]; ' +
        'samplingRate must be a whole percent from 1 to 100, got 0; shadowUrl must be an http(s) URL, got "ftp://shadow"',
    );
    expect(Annotations.fromStack(s).findError('*', Match.anyValue())).toEqual([]);
  });

  it("stores the report in the control plane's table, reading and writing its own component's items only", () => {
    const s = new Stack(new App(), 'T', { env: { account: '123456789012', region: 'eu-west-1' } });
    const table = new dynamodb.Table(s, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });
    new ShadowComparer(s, 'C', {
      liveUrl: 'https://live.example.com',
      shadowUrl: 'https://next.example.com',
      component: 'api',
      reportTable: table,
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ONEBOX_SHADOW_TABLE: { Ref: Match.stringLikeRegexp('^State') } }) },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: { Action: unknown; Condition?: unknown }[] } }).PolicyDocument
          .Statement,
    );
    const dynamo = statements.filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['C#api'] } },
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^State/), 'Arn'] },
      }),
    ]);
    // The demo's app has no control plane: its comparer logs the report.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ONEBOX_SHADOW_URL: Match.anyValue(), ONEBOX_SHADOW_TABLE: Match.absent() }),
      },
    });
  });
});
