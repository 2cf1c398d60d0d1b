import { CustomResource, Duration } from 'aws-cdk-lib';
import * as stepfunctions from 'aws-cdk-lib/aws-stepfunctions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { invalid } from '../core/errors.js';
import { bundleLambda } from './bundle.js';
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js';
import { AliasHttpApi } from './http-api.js';
import { acknowledge, acknowledgeInvokeVersions, acknowledgeLogsOnlyRole } from './nag.js';
import { REGIONAL_RUNTIME } from './runtimes.js';
import { NewVersionAlarms, type NewVersionAlarmsProps } from './version-alarms.js';

export interface OneBoxFrontendProps {
  /** Both frontend functions are built from these props: same code, same settings. */
  readonly function: lambda.FunctionProps;
  /** Alias both HTTP APIs invoke. Default `live`. */
  readonly aliasName?: string;
  /** How long the one-box runs the new version, alarms watching, before the regular partition gets it. Default 10 minutes (the seed's). */
  readonly bake?: Duration;
  /** How often the bake reads the alarms. Default 30 seconds. */
  readonly alarmPollInterval?: Duration;
  /** After the bake, how long to keep trying when the alarms cannot be read, before failing. Default 5 minutes. */
  readonly alarmReadGrace?: Duration;
  /** Alarms on the one-box version's own metrics, or false for none. Default: see NewVersionAlarmsProps. */
  readonly newVersionAlarms?: NewVersionAlarmsProps | false;
  /**
   * Requests the one-box must serve during its bake (withVersionMetrics' `Requests`), else the
   * bake fails: quiet alarms without traffic are not health. 0 turns it off. Default 100
   * (onebox's minRequests); off when the handler metrics are.
   */
  readonly bakeMinRequests?: number;
  /** More alarms the bake watches (the backend's, API Gateway 5xx, a canary). Default none. */
  readonly alarms?: cloudwatch.IAlarm[];
  /** What must be fully deployed before the one-box changes, e.g. the backend's LiveAlias (its traffic shift included). Default none. */
  readonly after?: IDependable[];
}

/** CloudFormation waits at most an hour for a custom resource (ServiceTimeout). */
const MAX_WAIT = Duration.hours(1);
const MARGIN = Duration.minutes(2);

/** One partition of the frontend: a function, its alias, an HTTP API in front. */
export class FrontendPartition extends Construct {
  readonly function: lambda.Function;
  readonly version: lambda.Version;
  readonly alias: lambda.Alias;
  readonly api: AliasHttpApi;
  /** The API's host name, an origin for CloudFront. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: lambda.FunctionProps, aliasName: string) {
    super(scope, id);
    this.function = new lambda.Function(this, 'Function', props);
    this.version = this.function.currentVersion;
    this.alias = new lambda.Alias(this, 'Alias', { aliasName, version: this.version });
    this.api = new AliasHttpApi(this, 'Http', this.alias);
    this.domainName = this.api.domainName;
  }
}

/**
 * The seed's one-box frontend: two copies of the frontend function (one-box and regular),
 * each behind its own HTTP API, so CloudFront can send a sticky share of users to the
 * one-box. A release updates them in this order, enforced by CloudFormation dependencies:
 *
 *   `after` (the backend, fully shifted) -> one-box -> bake -> regular
 *
 * The bake is a custom resource (Provider framework, isComplete polled) that waits the bake
 * time and fails as soon as a watched alarm is in ALARM: CloudFormation then rolls the stack
 * back, the one-box returns to the previous version, and the regular partition, which most
 * users are on, never ran the bad one. It bakes only when the one-box version moves forward:
 * not on the first deployment, not on a rollback, not when only infrastructure changed.
 */
export class OneBoxFrontend extends Construct {
  readonly oneBox: FrontendPartition;
  readonly regular: FrontendPartition;
  readonly bake: CustomResource;
  readonly bakeProvider: cr.Provider;
  /** Every alarm the bake watches. */
  readonly alarms: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: OneBoxFrontendProps) {
    super(scope, id);
    const aliasName = props.aliasName ?? 'live';
    const bake = props.bake ?? Duration.minutes(10);
    const poll = props.alarmPollInterval ?? Duration.seconds(30);
    const grace = props.alarmReadGrace ?? Duration.minutes(5);
    const total = Duration.seconds(bake.toSeconds() + grace.toSeconds() + poll.toSeconds() * 2);
    if (poll.toSeconds() < 10 || poll.toSeconds() > 3600) {
      throw invalid(`alarmPollInterval must be from 10 seconds to 1 hour, got ${poll.toHumanString()}`);
    }
    if (total.toSeconds() + MARGIN.toSeconds() > MAX_WAIT.toSeconds()) {
      throw invalid(
        `bake ${bake.toHumanString()} + alarmReadGrace ${grace.toHumanString()} + two polls is ${total.toHumanString()}: ` +
          `CloudFormation waits at most 1 hour for a custom resource (${MAX_WAIT.toSeconds() - MARGIN.toSeconds()}s with onebox's margin)`,
      );
    }

    this.oneBox = new FrontendPartition(this, 'OneBox', props.function, aliasName);
    this.regular = new FrontendPartition(this, 'Regular', props.function, aliasName);
    const ownAlarms =
      props.newVersionAlarms === false
        ? []
        : new NewVersionAlarms(
            this,
            'OneBoxAlarms',
            { function: this.oneBox.function, aliasName, version: this.oneBox.version },
            props.newVersionAlarms,
          ).alarms;
    this.alarms = [...ownAlarms, ...(props.alarms ?? [])];

    const code = lambda.Code.fromAsset(bundleLambda('handlers/bake.lambda', {}));
    const onEvent = new lambda.Function(this, 'BakeStart', {
      runtime: REGIONAL_RUNTIME,
      code,
      handler: 'index.onEvent',
      timeout: Duration.seconds(30),
      description: 'onebox: starts the one-box bake',
    });
    const isComplete = new lambda.Function(this, 'BakeCheck', {
      runtime: REGIONAL_RUNTIME,
      code,
      handler: 'index.isComplete',
      timeout: Duration.seconds(30),
      description: 'onebox: reads the alarms until the bake is over',
    });
    if (this.alarms.length > 0) {
      isComplete.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: this.alarms.map((a) => a.alarmArn),
        }),
      );
    }
    const minBaked = props.bakeMinRequests;
    if (minBaked !== undefined && !(Number.isInteger(minBaked) && minBaked >= 0))
      throw invalid(`bakeMinRequests must be a whole number of 0 or more, got ${String(minBaked)}`);
    // Quiet alarms prove nothing without traffic: the bake wants the one-box's own requests.
    const alarmProps = props.newVersionAlarms === false ? undefined : props.newVersionAlarms;
    const evidence =
      props.newVersionAlarms === false || alarmProps?.handlerMetrics === false || (props.bakeMinRequests ?? 100) === 0
        ? undefined
        : {
            Namespace: alarmProps?.handlerMetricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
            FunctionName: this.oneBox.function.functionName,
            MinRequests: props.bakeMinRequests ?? 100,
          };
    if (evidence) {
      isComplete.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
      acknowledge(
        isComplete,
        'AwsSolutions-IAM5[Resource::*]',
        'cloudwatch:GetMetricData supports no resource-level permissions',
      );
    }
    const bakeLogs = new logs.LogGroup(this, 'BakeLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.bakeProvider = new cr.Provider(this, 'BakeProvider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: poll,
      totalTimeout: total,
      logGroup: bakeLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: bakeLogs, level: stepfunctions.LogLevel.ALL },
    });
    this.bake = new CustomResource(this, 'Bake', {
      serviceToken: this.bakeProvider.serviceToken,
      resourceType: 'Custom::OneboxBake',
      serviceTimeout: Duration.seconds(total.toSeconds() + MARGIN.toSeconds()),
      properties: {
        Version: this.oneBox.version.version,
        AlarmNames: this.alarms.map((a) => a.alarmName),
        BakeSeconds: bake.toSeconds(),
        GraceSeconds: grace.toSeconds(),
        ...(evidence ? { Evidence: evidence } : {}),
      },
    });

    for (const before of props.after ?? []) this.oneBox.node.addDependency(before);
    this.bake.node.addDependency(this.oneBox);
    this.regular.node.addDependency(this.bake);

    acknowledgeProviderInternals(this.bakeProvider, [onEvent, isComplete]);
  }
}

/** Findings about the Provider framework's own resources, with the reason each is fine. */
function acknowledgeProviderInternals(provider: cr.Provider, handlers: lambda.Function[]): void {
  const framework = ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout']
    .map((id) => provider.node.tryFindChild(id))
    .filter((c): c is lambda.Function => c instanceof lambda.Function);
  for (const fn of [...handlers, ...framework]) acknowledgeLogsOnlyRole(fn);
  for (const target of [...handlers, ...framework]) {
    acknowledgeInvokeVersions(
      provider,
      target,
      "The Provider framework's roles invoke its functions and their versions (ARN with :*), as aws-cdk-lib writes them",
    );
  }
  acknowledge(
    provider,
    'AwsSolutions-L1',
    "The Provider framework's functions run the runtime aws-cdk-lib pins for them",
  );
  acknowledge(
    provider,
    'AwsSolutions-IAM5[Resource::*]',
    "Step Functions' log delivery actions (logs:CreateLogDelivery and the like) take no resource but *",
  );
  acknowledge(
    provider,
    'AwsSolutions-SF2',
    "X-Ray tracing of the Provider framework's waiter is not configurable; it logs ALL events",
  );
}
