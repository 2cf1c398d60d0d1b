import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { invalid } from '../core/errors.js';
import { parseDeploymentSpec, type DeploymentHooks } from '../core/index.js';
import type { BrowserBeacon } from './browser-beacon.js';
import { bundleLambda, KVS_SDK_PACKAGES } from './bundle.js';
import { checkAwsHooks } from './control/hooks.js';
import { type ConfiguredComponent, type ControllerSettingsInput } from './control/requests.js';
import { CANARY_ALIAS, STABLE_ALIAS } from './control/aliases.js';
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js';
import { acknowledge, acknowledgeInvokeVersions, acknowledgeLogGroupQuery, acknowledgeLogsOnlyRole } from './nag.js';
import { REGIONAL_RUNTIME } from './runtimes.js';

export interface ControlledComponent {
  /** The component's function; each deploy publishes its current version. */
  readonly function: lambda.Function;
  /** Its path at the edge, as `onebox status` shows it (e.g. `/`, `/api`). Default none. */
  readonly route?: string;
  /**
   * Deployment config of its releases (the one-box share is its first step, e.g.
   * `onebox:20%:10m`). Changing it and deploying again takes effect at the component's next
   * release; a deployment already running keeps its steps (the history says so). Default
   * `onebox:20%:10m`.
   */
  readonly config?: string;
  /** Components a release of this one waits for. Default none. */
  readonly after?: readonly string[];
  /** What an undecided step does at its end. Default `pause`. */
  readonly onInconclusive?: 'pause' | 'rollback' | 'proceed';
  /**
   * Hooks of its releases, run by the controller function: URL hooks (POSTed, timeout at
   * most 30 s); a command hook is refused here (there is no shell in the controller Lambda).
   * Default none.
   */
  readonly hooks?: DeploymentHooks;
  /**
   * The BrowserBeacon its pages report to (withBrowserSignals): its releases get the browser
   * gate, the controller counting each version's users with a browser error from the
   * beacon's log lines (Logs Insights, each tick). Default none: no browser gate.
   */
  readonly browser?: Pick<BrowserBeacon, 'function'>;
}

export interface OneboxControlPlaneProps {
  /**
   * The KeyValueStore the edge reads each component's split from (key: the component's
   * name). Default: a new store with an entry per component (everyone on stable).
   */
  readonly keyValueStore?: cloudfront.IKeyValueStore;
  readonly components: Readonly<Record<string, ControlledComponent>>;
  /** How often the controller ticks. Default 1 minute (EventBridge Scheduler's finest; CloudWatch's periods are minutes). */
  readonly tick?: Duration;
  /** CloudWatch namespace of withVersionMetrics. Default `onebox`. */
  readonly namespace?: string;
  /** Start a release on every `cdk deploy` that changes a component's code. Default true. */
  readonly releaseOnDeploy?: boolean;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Lambda's log group of a function (the one its lines are queried in). */
const logGroupOf = (fn: lambda.IFunction): string => `/aws/lambda/${fn.functionName}`;

/** The settings of a component the controller keeps (what `cdk deploy` sends it). */
function configuredOf(c: ControlledComponent): ConfiguredComponent {
  return {
    ...(c.config ? { config: c.config } : {}),
    ...(c.onInconclusive ? { onInconclusive: c.onInconclusive } : {}),
    ...(c.hooks && Object.keys(c.hooks).length ? { hooks: c.hooks } : {}),
  };
}

/**
 * onebox's control plane, serverless: the same controller, gate and release rules as
 * `onebox serve`, with no server of ours.
 * - state: a DynamoDB table (one state item written conditionally each tick; versions and
 *   ended deployments per component), on demand, point-in-time recovery on;
 * - the controller: a Lambda function, ticked by an EventBridge Scheduler schedule (a
 *   tick that finds nothing active costs one read);
 * - per component, `stable` and `canary` aliases: CloudFormation creates them once
 *   (pointing at the version deployed first) and never moves them; the controller does.
 *   So a rollback never drifts from the template, and a deploy never fights the controller;
 * - each deploy publishes the components' versions and starts a release (a custom
 *   resource invoking the controller). The release runs after the deploy has finished:
 *   CloudFormation's one-hour limit does not bound it.
 */
export class OneboxControlPlane extends Construct {
  readonly table: dynamodb.Table;
  readonly keyValueStore: cloudfront.IKeyValueStore;
  readonly controller: lambda.Function;
  readonly schedule: scheduler.Schedule;
  /** Per component, the host names of its `stable` and `canary` aliases' function URLs (each an origin). */
  readonly origins: Record<string, { stable: string; canary: string }> = {};
  /**
   * Signs CloudFront's requests to those function URLs (auth AWS_IAM): give its id to
   * StickyEdge (`originAccessControlId`) and to any origin you build on `origins`.
   */
  readonly originAccessControl: cloudfront.FunctionUrlOriginAccessControl;
  private readonly aliases: { key: string; arn: string; create: Construct }[] = [];

  constructor(scope: Construct, id: string, props: OneboxControlPlaneProps) {
    super(scope, id);
    const names = Object.keys(props.components);
    if (!names.length) throw invalid('components: give at least one component');
    for (const [name, c] of Object.entries(props.components)) {
      if (!NAME.test(name))
        throw invalid(`components: "${name}" must be lowercase letters, digits and -, starting with a letter`);
      if (c.config !== undefined) parseDeploymentSpec(c.config);
      const hookProblems = checkAwsHooks(c.hooks ?? {}, `components.${name}.hooks`);
      if (hookProblems.length) throw invalid(hookProblems.join('; '));
      for (const a of c.after ?? [])
        if (!props.components[a])
          throw invalid(`components.${name}.after: "${a}" is not a component of this control plane`);
    }
    const tick = props.tick ?? Duration.minutes(1);
    if (tick.toSeconds() < 60 || tick.toSeconds() % 60 !== 0)
      throw invalid(
        `tick must be whole minutes, at least 1 (EventBridge Scheduler's rate), got ${tick.toHumanString()}`,
      );

    this.keyValueStore =
      props.keyValueStore ??
      new cloudfront.KeyValueStore(this, 'Splits', {
        comment: "onebox: each component's split (share on canary, seed)",
        source: cloudfront.ImportSource.fromInline(
          JSON.stringify({
            data: names.map((n) => ({ key: n, value: JSON.stringify({ percent: 0, seed: n, stable: 0, rev: 0 }) })),
          }),
        ),
      });
    this.table = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The release history outlives a stack that is torn down by mistake.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const settings: ControllerSettingsInput = {
      table: this.table.tableName,
      kvsArn: this.keyValueStore.keyValueStoreArn,
      namespace: props.namespace ?? DEFAULT_METRICS_NAMESPACE,
      components: Object.fromEntries(
        Object.entries(props.components).map(([name, c]) => [
          name,
          {
            functionName: c.function.functionName,
            ...(c.route ? { route: c.route } : {}),
            ...(c.config ? { config: c.config } : {}),
            ...(c.after ? { after: [...c.after] } : {}),
            ...(c.onInconclusive ? { onInconclusive: c.onInconclusive } : {}),
            ...(c.browser ? { browserLogGroup: logGroupOf(c.browser.function) } : {}),
          },
        ]),
      ),
    };
    this.controller = new lambda.Function(this, 'Controller', {
      runtime: REGIONAL_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleLambda('handlers/controller.lambda', {}, { bundledSdk: KVS_SDK_PACKAGES })),
      memorySize: 256,
      timeout: Duration.seconds(50),
      // One tick at a time is the usual case; a second one loses its conditional write.
      description: 'onebox: the controller (one unit of work per tick, release or command)',
      environment: { ONEBOX_CONTROLLER: Stack.of(this).toJsonString(settings) },
    });
    this.table.grantReadWriteData(this.controller);
    this.controller.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'cloudfront-keyvaluestore:DescribeKeyValueStore',
          'cloudfront-keyvaluestore:GetKey',
          'cloudfront-keyvaluestore:UpdateKeys',
        ],
        resources: [this.keyValueStore.keyValueStoreArn],
      }),
    );
    this.controller.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:GetMetricData', 'logs:GetQueryResults', 'logs:StopQuery'],
        resources: ['*'],
      }),
    );

    for (const [name, c] of Object.entries(props.components)) {
      const fn = c.function;
      const version = fn.currentVersion;
      const hosts: Partial<Record<'stable' | 'canary', string>> = {};
      for (const aliasName of [STABLE_ALIAS, CANARY_ALIAS] as const) {
        const create = new cr.AwsCustomResource(this, `${name}-${aliasName}`, {
          onCreate: {
            service: 'Lambda',
            action: 'createAlias',
            parameters: { FunctionName: fn.functionName, Name: aliasName, FunctionVersion: version.version },
            physicalResourceId: cr.PhysicalResourceId.of(`${name}-${aliasName}`),
          },
          // No onUpdate: after creation the controller owns where the alias points.
          onDelete: {
            service: 'Lambda',
            action: 'deleteAlias',
            parameters: { FunctionName: fn.functionName, Name: aliasName },
          },
          policy: cr.AwsCustomResourcePolicy.fromStatements([
            new iam.PolicyStatement({
              actions: ['lambda:CreateAlias', 'lambda:DeleteAlias'],
              resources: [fn.functionArn],
            }),
          ]),
          installLatestAwsSdk: false,
        });
        const url = new lambda.CfnUrl(this, `${name}-${aliasName}-url`, {
          targetFunctionArn: fn.functionArn,
          qualifier: aliasName,
          // Signed requests only: CloudFront signs with the origin access control, and only the
          // distributions given to allowDistribution may invoke. Nobody reaches it around the edge.
          authType: 'AWS_IAM',
        });
        url.node.addDependency(create);
        this.aliases.push({ key: `${name}-${aliasName}`, arn: `${fn.functionArn}:${aliasName}`, create });
        hosts[aliasName] = Fn.select(2, Fn.split('/', url.attrFunctionUrl));
        this.controller.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['lambda:GetAlias', 'lambda:UpdateAlias'],
            resources: [`${fn.functionArn}:${aliasName}`],
          }),
        );
      }
      this.origins[name] = { stable: hosts.stable!, canary: hosts.canary! };
      // Exposure: distinct users per version, a Logs Insights query over the function's log lines.
      // The browser gate: the same over its beacon's log group.
      const queried = c.browser ? [fn, c.browser.function] : [fn];
      this.controller.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['logs:StartQuery'],
          resources: queried.map((f) =>
            Stack.of(this).formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${logGroupOf(f)}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        }),
      );
      for (const f of queried)
        acknowledgeLogGroupQuery(
          this.controller,
          f,
          `Logs Insights queries of ${name}'s ${f === fn ? 'own' : "beacon's"} log group (its streams: the log group's ARN form)`,
        );
    }

    this.originAccessControl = new cloudfront.FunctionUrlOriginAccessControl(this, 'OriginAccess', {
      description: "onebox: CloudFront signs its requests to the components' function URLs",
    });

    this.schedule = new scheduler.Schedule(this, 'Tick', {
      schedule: scheduler.ScheduleExpression.rate(tick),
      target: new targets.LambdaInvoke(this.controller, {
        input: scheduler.ScheduleTargetInput.fromObject({ action: 'tick' }),
        retryAttempts: 0, // the next tick is the retry
      }),
      description: 'onebox: the controller tick',
    });

    if (props.releaseOnDeploy ?? true) {
      // Each component's settings travel with its version: a deploy that changes only them
      // still invokes the controller, which records them for the next release.
      const payload = Stack.of(this).toJsonString({
        action: 'deploy',
        by: 'cdk deploy',
        components: Object.entries(props.components).map(([name, c]) => ({
          component: name,
          version: c.function.currentVersion.version,
          ...configuredOf(c),
        })),
      });
      const deploy = new cr.AwsCustomResource(this, 'Release', {
        onCreate: {
          service: 'Lambda',
          action: 'invoke',
          parameters: { FunctionName: this.controller.functionName, Payload: payload },
          physicalResourceId: cr.PhysicalResourceId.of('onebox-release'),
        },
        onUpdate: {
          service: 'Lambda',
          action: 'invoke',
          parameters: { FunctionName: this.controller.functionName, Payload: payload },
          physicalResourceId: cr.PhysicalResourceId.of('onebox-release'),
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.controller.functionArn] }),
        ]),
        installLatestAwsSdk: false,
      });
      for (const child of this.node.children)
        if (child instanceof cr.AwsCustomResource && child !== deploy) deploy.node.addDependency(child);
    }

    acknowledgeLogsOnlyRole(this.controller);
    // The schedule's role (one per stack, made by CDK) may invoke the controller's versions.
    acknowledgeInvokeVersions(Stack.of(this), this.controller, 'The tick schedule invokes only the controller');
    acknowledge(
      this.controller,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:GetMetricData, logs:GetQueryResults and logs:StopQuery support no resource-level permissions',
    );
    acknowledge(this.controller, 'AwsSolutions-IAM5[Action::dynamodb:*]', "the controller's own table only");
  }

  /**
   * Lets `distribution` (and only it) invoke every component's `stable` and `canary` function
   * URLs through the origin access control: `lambda:InvokeFunctionUrl`, and
   * `lambda:InvokeFunction` when invoked via a function URL, both for CloudFront with the
   * distribution's ARN as the source.
   */
  allowDistribution(distribution: cloudfront.IDistribution): void {
    const id = distribution.node.addr.slice(0, 8);
    for (const { key, arn, create } of this.aliases)
      for (const [pid, action, extra] of [
        ['url', 'lambda:InvokeFunctionUrl', { functionUrlAuthType: 'AWS_IAM' }],
        ['invoke', 'lambda:InvokeFunction', { invokedViaFunctionUrl: true }],
      ] as const) {
        const permission = new lambda.CfnPermission(this, `${key}-${pid}-from-${id}`, {
          action,
          functionName: arn,
          principal: 'cloudfront.amazonaws.com',
          sourceArn: distribution.distributionArn,
          ...extra,
        });
        permission.node.addDependency(create);
      }
  }
}
