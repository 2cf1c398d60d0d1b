import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { BrowserBeacon, OneboxControlPlane, StickyEdge } from '../../../src/aws/index.js';

const fnProps = (): lambda.FunctionProps => ({
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
});

describe('OneboxControlPlane props, checked when the construct is made', () => {
  const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });

  it('says which field is wrong, with the value and why', () => {
    const s = stack();
    const web = new lambda.Function(s, 'Web', fnProps());
    const make = (props: Partial<ConstructorParameters<typeof OneboxControlPlane>[2]>) => () =>
      new OneboxControlPlane(s, `C${Math.random()}`, { components: { web: { function: web } }, ...props });
    expect(make({ components: {} })).toThrow('components: give at least one component');
    expect(make({ components: { Web: { function: web } } })).toThrow('components: "Web" must be lowercase letters');
    expect(make({ components: { web: { function: web, after: ['api'] } } })).toThrow(
      'components.web.after: "api" is not a component of this control plane',
    );
    expect(make({ components: { web: { function: web, config: 'fast' } } })).toThrow(
      'deployment config "fast" is not one onebox knows',
    );
    expect(make({ tick: Duration.seconds(30) })).toThrow(
      "tick must be whole minutes, at least 1 (EventBridge Scheduler's rate), got 30 seconds",
    );
  });
});

describe('OneboxControlPlane function URLs', () => {
  it('take signed requests only, invoked by the distribution it is given and nobody else', () => {
    const s = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const control = new OneboxControlPlane(s, 'C', {
      components: { web: { function: new lambda.Function(s, 'Web', fnProps()) } },
      releaseOnDeploy: false,
    });
    const edge = new StickyEdge(s, 'E', {
      regularDomainName: control.origins.web!.stable,
      oneBoxDomainName: control.origins.web!.canary,
      keyValueStore: control.keyValueStore,
      kvsKey: 'web',
      originAccessControlId: control.originAccessControl.originAccessControlId,
    });
    control.allowDistribution(edge.distribution);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Lambda::Url', 2);
    expect(Object.keys(t.findResources('AWS::Lambda::Url', { Properties: { AuthType: 'NONE' } }))).toEqual([]);
    t.allResourcesProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    // Every origin signs: the default one and the hashed assets' origin group (regular, one-box).
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: { Origins: Array(3).fill(Match.objectLike({ OriginAccessControlId: Match.anyValue() })) },
    });
    const permissions = Object.values(
      t.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'cloudfront.amazonaws.com' } }),
    );
    expect(permissions.map((p) => (p as { Properties: { Action: string } }).Properties.Action).sort()).toEqual([
      'lambda:InvokeFunction',
      'lambda:InvokeFunction',
      'lambda:InvokeFunctionUrl',
      'lambda:InvokeFunctionUrl',
    ]);
    expect(Object.keys(t.findResources('AWS::Lambda::Permission', { Properties: { Principal: '*' } }))).toEqual([]);
    // The viewer-request function signs the canary origin it switches to.
    const code = JSON.stringify(t.findResources('AWS::CloudFront::Function'));
    expect(code).toContain('\\"signLambdaOrigins\\":true');

    // Exposure: Logs Insights queries of the component's own log group only; results by query id.
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(
      /"Action":"logs:StartQuery","Effect":"Allow","Resource":\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":logs:us-east-1:123456789012:log-group:\/aws\/lambda\/",\{"Ref":"Web[0-9A-F]+"\},":\*"\]\]\}/,
    );
    expect(policies).toContain('"Action":["cloudwatch:GetMetricData","logs:GetQueryResults","logs:StopQuery"]');
  });
});

describe('OneboxControlPlane with a BrowserBeacon', () => {
  it("gives the controller the beacon's log group for the component's browser gate, and lets it query that group only", () => {
    const s = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const beacon = new BrowserBeacon(s, 'Beacon', { pinKey: 'k3y' });
    new OneboxControlPlane(s, 'C', {
      components: {
        web: { function: new lambda.Function(s, 'Web', fnProps()), browser: beacon },
        api: { function: new lambda.Function(s, 'Api', fnProps()) },
      },
      releaseOnDeploy: false,
    });
    const t = Template.fromStack(s);
    const beaconId = Object.keys(t.findResources('AWS::Lambda::Function')).find((id) =>
      id.startsWith('BeaconFunction'),
    )!;
    const controller = Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('controller') } }),
    )[0] as { Properties: { Environment: { Variables: { ONEBOX_CONTROLLER: unknown } } } };
    // The settings are a JSON text joined around the functions' names: the web's has the beacon's group, the api's none.
    const settings = JSON.stringify(controller.Properties.Environment.Variables.ONEBOX_CONTROLLER);
    expect(settings).toContain(`browserLogGroup\\":\\"/aws/lambda/",{"Ref":"${beaconId}"}`);
    expect(settings.match(/browserLogGroup/g)).toHaveLength(1);
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`":logs:us-east-1:123456789012:log-group:/aws/lambda/",{"Ref":"${beaconId}"},":*"`);
  });
});

describe("StickyEdge's region trap", () => {
  it("is a clear error that says what to do, not CDK's late one", () => {
    const s = new Stack(new App(), 'NoRegion');
    expect(
      () => new StickyEdge(s, 'Edge', { regularDomainName: 'a.example.com', oneBoxDomainName: 'b.example.com' }),
    ).toThrow(
      "StickyEdge needs its stack's region set: its origin-response Lambda@Edge function is made in us-east-1. Give the stack env: { region: 'us-east-1' }",
    );
  });
});
