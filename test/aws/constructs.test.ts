import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { LiveAlias, OneBoxFrontend, ProdOneBoxApp, ShadowMirror, StickyEdge } from '../../src/aws/index.js';

/**
 * The constructs, synthesized once and shared by the tests in this file (a synth takes
 * seconds): properties that decide behaviour, not logical ids.
 */
const ENV = { account: '123456789012', region: 'us-east-1' };
const fnProps = (): lambda.FunctionProps => ({
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
});

/** The parts of a DistributionConfig these tests read. */
interface Dist {
  DefaultCacheBehavior: {
    FunctionAssociations: unknown[];
    LambdaFunctionAssociations: { EventType: string; IncludeBody?: boolean; LambdaFunctionARN: { Ref: string } }[];
    ViewerProtocolPolicy: string;
    CachePolicyId: unknown;
  };
  CacheBehaviors: { PathPattern: string; CachePolicyId: unknown; TargetOriginId: string }[];
  Origins: { Id: string; DomainName: { 'Fn::Join': [string, unknown[]] }; OriginCustomHeaders?: unknown[] }[];
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

function logicalIdOf(resources: Resources, type: string, pathPart: string, template: Template): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(pathPart));
  expect(ids, `${type} with ${pathPart}`).toHaveLength(1);
  return ids[0]!;
}

describe('ProdOneBoxApp (the seed architecture)', () => {
  let template: Template;
  let resources: Resources;
  let assemblyDir: string;
  const id = (type: string, part: string) => logicalIdOf(resources, type, part, template);
  const dependsOn = (logicalId: string) => resources[logicalId]!.DependsOn ?? [];

  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { env: ENV });
    new ProdOneBoxApp(stack, 'App', {
      backend: fnProps(),
      frontend: fnProps(),
      shadow: { shadowUrl: 'https://shadow.example.com', share: 0.25 },
    });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Resources;
    assemblyDir = app.synth().directory;
  });

  it('backend: a live alias shifted by CodeDeploy (linear 10%/min) with auto-rollback on alarms', () => {
    const alias = id('AWS::Lambda::Alias', 'BackendLive');
    expect(resources[alias]!.Properties!['Name']).toBe('live');
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { Name: 'live', FunctionName: { Ref: id('AWS::Lambda::Function', 'AppBackend') } },
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.objectLike({}) },
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      AlarmConfiguration: {
        Enabled: true,
        Alarms: Match.arrayWith([{ Name: { Ref: id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionErrorRate') } }]),
      },
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']),
      },
    });
  });

  it("alarms watch the new version's own metrics: FunctionName, Resource fn:live and ExecutedVersion", () => {
    const alarm = resources[id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionErrorRate')]!.Properties!;
    const version = id('AWS::Lambda::Version', 'AppBackendCurrentVersion');
    const fn = id('AWS::Lambda::Function', 'AppBackend');
    const metrics = alarm['Metrics'] as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] } };
    }[];
    expect(metrics.find((m) => m.Expression)!.Expression).toBe(
      'IF(requests >= 20 OR errors >= 3, errors / requests, 0)',
    );
    expect(alarm['Threshold']).toBe(0.02);
    expect(alarm['TreatMissingData']).toBe('notBreaching');
    for (const name of ['Errors', 'Invocations']) {
      const stat = metrics.find((m) => m.MetricStat?.Metric.MetricName === name)!.MetricStat!;
      expect(stat.Metric.Namespace).toBe('AWS/Lambda');
      expect(stat.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'FunctionName', Value: { Ref: fn } },
          { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fn }, ':live']] } },
          { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [version, 'Version'] } },
        ]),
      );
    }
    // The handler-reported 5xx rate, per version (EMF from withVersionMetrics).
    const handler = resources[id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionHandlerErrorRate')]!.Properties!;
    const emf = (
      handler['Metrics'] as { MetricStat?: { Metric: { Namespace: string; Dimensions: unknown[] } } }[]
    ).find((m) => m.MetricStat)!;
    expect(emf.MetricStat!.Metric.Namespace).toBe('onebox');
    expect(emf.MetricStat!.Metric.Dimensions).toContainEqual({
      Name: 'Version',
      Value: { 'Fn::GetAtt': [version, 'Version'] },
    });
  });

  it('moves the alias only after its alarms watch the new version', () => {
    const alias = id('AWS::Lambda::Alias', 'BackendLive');
    expect(dependsOn(alias)).toEqual(
      expect.arrayContaining([
        id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionErrorRate'),
        id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionHandlerErrorRate'),
      ]),
    );
  });

  it('orders a release: backend fully shifted -> one-box -> bake -> regular', () => {
    const backendAlias = id('AWS::Lambda::Alias', 'BackendLive');
    const oneBoxFn = id('AWS::Lambda::Function', 'FrontendOneBoxFunction');
    const oneBoxAlias = id('AWS::Lambda::Alias', 'FrontendOneBoxAlias');
    const bake = id('Custom::OneboxBake', 'FrontendBake');
    const regularFn = id('AWS::Lambda::Function', 'FrontendRegularFunction');
    const regularAlias = id('AWS::Lambda::Alias', 'FrontendRegularAlias');
    const regularVersion = id('AWS::Lambda::Version', 'FrontendRegularFunctionCurrentVersion');
    expect(dependsOn(oneBoxFn)).toContain(backendAlias);
    expect(dependsOn(oneBoxAlias)).toContain(backendAlias);
    expect(dependsOn(bake)).toEqual(expect.arrayContaining([oneBoxAlias, oneBoxFn]));
    for (const regular of [regularFn, regularAlias, regularVersion]) expect(dependsOn(regular)).toContain(bake);
    expect(dependsOn(backendAlias)).not.toContain(bake);
  });

  it("bake: a Provider custom resource on the one-box version, watching its alarms and the backend's", () => {
    const bake = resources[id('Custom::OneboxBake', 'FrontendBake')]!.Properties!;
    expect(bake['Version']).toEqual({
      'Fn::GetAtt': [id('AWS::Lambda::Version', 'FrontendOneBoxFunctionCurrentVersion'), 'Version'],
    });
    expect(bake['BakeSeconds']).toBe(600);
    expect(bake['GraceSeconds']).toBe(300);
    expect(bake['AlarmNames']).toEqual([
      { Ref: id('AWS::CloudWatch::Alarm', 'FrontendOneBoxAlarmsErrorRate') },
      { Ref: id('AWS::CloudWatch::Alarm', 'FrontendOneBoxAlarmsHandlerErrorRate') },
      { Ref: id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionErrorRate') },
      { Ref: id('AWS::CloudWatch::Alarm', 'BackendLiveNewVersionHandlerErrorRate') },
    ]);
    // onEvent and isComplete handlers, polled by the framework's state machine.
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs24.x' });
    const check = id('AWS::Lambda::Function', 'FrontendBakeCheck');
    expect(resources[check]!.Properties!['Handler']).toBe('index.isComplete');
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const isCompleteFramework = id('AWS::Lambda::Function', 'BakeProviderframeworkisComplete');
    const env = (resources[isCompleteFramework]!.Properties!['Environment'] as { Variables: Record<string, unknown> })
      .Variables;
    expect(env['USER_IS_COMPLETE_FUNCTION_ARN']).toEqual({ 'Fn::GetAtt': [check, 'Arn'] });
    // The check may read exactly the watched alarms.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'cloudwatch:DescribeAlarms',
            Resource: Match.arrayWith([
              { 'Fn::GetAtt': [id('AWS::CloudWatch::Alarm', 'FrontendOneBoxAlarmsErrorRate'), 'Arn'] },
            ]),
          }),
        ]),
      },
    });
  });

  it('edge: viewer-request and viewer-response CloudFront Functions, origin-response and shadow Lambda@Edge', () => {
    const dist = resources[id('AWS::CloudFront::Distribution', 'EdgeDistribution')]!.Properties![
      'DistributionConfig'
    ] as Dist;
    const behavior = dist['DefaultCacheBehavior'];
    const viewerRequest = id('AWS::CloudFront::Function', 'EdgeViewerRequest');
    const viewerResponse = id('AWS::CloudFront::Function', 'EdgeViewerResponse');
    expect(behavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [viewerRequest, 'FunctionARN'] } },
      { EventType: 'viewer-response', FunctionARN: { 'Fn::GetAtt': [viewerResponse, 'FunctionARN'] } },
    ]);
    const edge = behavior.LambdaFunctionAssociations as {
      EventType: string;
      IncludeBody?: boolean;
      LambdaFunctionARN: { Ref: string };
    }[];
    expect(edge.map((e) => e.EventType)).toEqual(['origin-response', 'origin-request']);
    expect(edge[0]!.LambdaFunctionARN.Ref).toContain('EdgeOriginResponse');
    expect(edge[1]!.LambdaFunctionARN.Ref).toContain('ShadowEdgeFunction');
    expect(edge[1]!.IncludeBody).toBe(false); // GET, HEAD and OPTIONS only
    expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    // The regular partition is the default origin; the one-box is chosen by the function.
    const origin = dist['Origins'][0]!;
    expect(origin.DomainName['Fn::Join'][1][0]).toEqual({
      Ref: id('AWS::ApiGatewayV2::Api', 'FrontendRegularHttpApi'),
    });
    // The viewer-request function reads the split from the KeyValueStore, and knows the one-box.
    const fn = resources[viewerRequest]!.Properties!;
    expect((fn['FunctionConfig'] as Record<string, unknown>)['Runtime']).toBe('cloudfront-js-2.0');
    expect((fn['FunctionConfig'] as Record<string, unknown>)['KeyValueStoreAssociations']).toEqual([
      { KeyValueStoreARN: { 'Fn::GetAtt': [id('AWS::CloudFront::KeyValueStore', 'EdgeSplit'), 'Arn'] } },
    ]);
    const code = (fn['FunctionCode'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    expect(code).toContainEqual({ 'Fn::GetAtt': [id('AWS::CloudFront::KeyValueStore', 'EdgeSplit'), 'Id'] });
    expect(code).toContainEqual({ Ref: id('AWS::ApiGatewayV2::Api', 'FrontendOneBoxHttpApi') });
    expect(String(code[0])).toMatch(/^import cf from 'cloudfront';\n/);
    // Lambda@Edge roles are assumable by edgelambda.
    const role = id('AWS::IAM::Role', 'EdgeOriginResponseFnServiceRole');
    expect(JSON.stringify(resources[role]!.Properties!['AssumeRolePolicyDocument'])).toContain(
      'edgelambda.amazonaws.com',
    );
  });

  it('KeyValueStore starts at 20% with the default seed', () => {
    const kvs = resources[id('AWS::CloudFront::KeyValueStore', 'EdgeSplit')]!.Properties!;
    expect(kvs['ImportSource']).toMatchObject({ SourceType: 'S3' });
    // The imported file is an asset of the cloud assembly.
    const imports = readdirSync(assemblyDir)
      .filter((f) => f.startsWith('asset.') && f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(assemblyDir, f), 'utf8')) as { data?: { key: string; value: string }[] })
      .filter((j) => j.data);
    expect(imports).toEqual([{ data: [{ key: 'onebox', value: '{"percent":20,"seed":"onebox"}' }] }]);
  });

  it('cache key includes the partition header and no cookie; /api goes to the backend uncached', () => {
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: {
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['x-onebox-partition'] },
          CookiesConfig: { CookieBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'all' },
        }),
      },
    });
    const dist = resources[id('AWS::CloudFront::Distribution', 'EdgeDistribution')]!.Properties![
      'DistributionConfig'
    ] as Dist;
    expect(dist['DefaultCacheBehavior'].CachePolicyId).toEqual({
      Ref: id('AWS::CloudFront::CachePolicy', 'EdgeCachePolicy'),
    });
    const api = dist['CacheBehaviors'].find((b) => b.PathPattern === '/api/*')!;
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    const backendOrigin = dist['Origins'].find((o) => o.Id === api.TargetOriginId)!;
    expect(backendOrigin.DomainName['Fn::Join'][1][0]).toEqual({ Ref: id('AWS::ApiGatewayV2::Api', 'BackendHttpApi') });
  });

  it('shadow: every frontend origin names the worker, which drops late copies instead of retrying', () => {
    const dist = resources[id('AWS::CloudFront::Distribution', 'EdgeDistribution')]!.Properties![
      'DistributionConfig'
    ] as Dist;
    const worker = id('AWS::Lambda::Function', 'ShadowWorker');
    expect(dist['Origins'][0]!.OriginCustomHeaders).toEqual([
      { HeaderName: 'x-onebox-shadow-target', HeaderValue: { 'Fn::GetAtt': [worker, 'Arn'] } },
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: worker },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    expect(
      (resources[worker]!.Properties!['Environment'] as { Variables: Record<string, string> }).Variables,
    ).toMatchObject({
      ONEBOX_SHADOW_URL: 'https://shadow.example.com',
      ONEBOX_SHADOW_TIMEOUT_MS: '5000',
    });
  });
});

describe('construct props are checked eagerly, quoting the bad value', () => {
  const stack = () => new Stack(new App(), 'S', { env: ENV });

  it('LiveAlias maps onebox specs to CodeDeploy configs and refuses what CodeDeploy cannot run', () => {
    const s = stack();
    const fn = new lambda.Function(s, 'Fn', fnProps());
    new LiveAlias(s, 'Custom', { function: fn, deploymentConfig: 'canary:5%:10m' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 5, CanaryInterval: 10 } },
    });
    const bad = (spec: string) => () => new LiveAlias(s, `A${Math.random()}`, { function: fn, deploymentConfig: spec });
    expect(bad('onebox:20%:10m')).toThrow(
      'deploymentConfig "onebox:20%:10m": a one-box is a separate partition of users: use OneBoxFrontend',
    );
    expect(bad('linear:2.5%:1m')).toThrow('CodeDeploy takes a whole percentage from 1 to 99, got 2.5%');
    expect(bad('canary:10%:90s')).toThrow('CodeDeploy takes whole minutes of 1 or more, got 90s');
    expect(bad('LambdaAllAtOnce+bake:10m')).toThrow('CodeDeploy has no final bake for Lambda');
    expect(bad('steps:1%@5m,100%')).toThrow('not steps');
    expect(bad('fast')).toThrow('deployment config "fast" is not one onebox knows');
    expect(() => new LiveAlias(s, 'Bad', { function: fn, aliasName: '12' })).toThrow('aliasName "12"');
    expect(() => new LiveAlias(s, 'Bad2', { function: fn, newVersionAlarms: { maxErrorRate: 2 } })).toThrow(
      'newVersionAlarms.maxErrorRate must be above 0 and below 1, got 2',
    );
  });

  it('LiveAlias uses predefined configs for preset names and without alarms does not roll back on alarms', () => {
    const s = stack();
    const fn = new lambda.Function(s, 'Fn', fnProps());
    new LiveAlias(s, 'Live', {
      function: fn,
      newVersionAlarms: false,
      deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent30Minutes',
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent30Minutes',
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
    });
  });

  it('OneBoxFrontend refuses a bake CloudFormation would not wait for', () => {
    const s = stack();
    expect(() => new OneBoxFrontend(s, 'F', { function: fnProps(), bake: Duration.minutes(58) })).toThrow(
      'bake 58 minutes + alarmReadGrace 5 minutes + two polls is 1 hour 4 minutes: CloudFormation waits at most 1 hour',
    );
  });

  it('StickyEdge checks header names, domains and the initial split', () => {
    const s = stack();
    const edge = (props: Record<string, unknown>) => () =>
      new StickyEdge(s, `E${Math.random()}`, {
        regularDomainName: 'r.example.com',
        oneBoxDomainName: 'o.example.com',
        ...props,
      });
    expect(edge({ oneBoxPercent: 120 })).toThrow('percent must be a number from 0 to 100');
    expect(edge({ partitionHeader: 'X-Partition' })).toThrow(
      'partitionHeader must be a lowercase header name, got "X-Partition"',
    );
    expect(edge({ regularDomainName: 'https://r.example.com/' })).toThrow(
      'regularDomainName must be a host name (no scheme, no path), got "https://r.example.com/"',
    );
    expect(edge({ pinKeyKvsKey: 'pin key' })).toThrow(
      'pinKeyKvsKey must be 1 to 512 letters, digits, _ . or -, got "pin key"',
    );
  });

  it('ShadowMirror needs us-east-1 and safe settings', () => {
    const eu = new Stack(new App(), 'Eu', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => new ShadowMirror(eu, 'M', { shadowUrl: 'https://s.example.com' })).toThrow(
      "ShadowMirror's stack must be in us-east-1 (Lambda@Edge functions live there), got region eu-west-1",
    );
    const s = stack();
    expect(() => new ShadowMirror(s, 'M1', { shadowUrl: 'https://s.example.com', share: 0 })).toThrow(
      'share must be above 0',
    );
    expect(() => new ShadowMirror(s, 'M2', { shadowUrl: 'https://s.example.com', methods: ['get'] })).toThrow(
      'methods must be uppercase method names, got ["get"]',
    );
    expect(() => new ShadowMirror(s, 'M3', { shadowUrl: 'https://s.example.com', bodyCapBytes: 1024 * 1024 })).toThrow(
      'bodyCapBytes must be a whole number from 0 to 184320, got 1048576',
    );
  });

  it('ShadowMirror lists every problem of its props in one error', () => {
    const eu = new Stack(new App(), 'Eu2', { env: { account: '123456789012', region: 'eu-west-1' } });
    const props = { shadowUrl: 'ftp://s', share: 2, methods: ['get'], timeout: Duration.minutes(11) };
    expect(() => new ShadowMirror(eu, 'M', props)).toThrow(
      "ShadowMirror M: ShadowMirror's stack must be in us-east-1 (Lambda@Edge functions live there), got region eu-west-1; " +
        'share must be above 0 and at most 1, got 2; methods must be uppercase method names, got ["get"]; ' +
        'timeout must be a whole number of milliseconds from 1 to 600000, got 660000; shadowUrl must be an http(s) URL, got "ftp://s"',
    );
  });
});
