import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { invalid } from '../core/errors.js';
import { codeDeployConfig, DEFAULT_DEPLOYMENT_CONFIG } from './codedeploy-config.js';
import { acknowledge } from './nag.js';
import { NewVersionAlarms, type NewVersionAlarmsProps } from './version-alarms.js';

export interface LiveAliasProps {
  /** The function released: its `currentVersion` (a new version whenever code or configuration changes). */
  readonly function: lambda.Function;
  /** Name of the alias. Default `live`. */
  readonly aliasName?: string;
  /**
   * How traffic moves to a new version: a onebox spec (`LambdaLinear10PercentEvery1Minute`,
   * `canary:5%:10m`, `linear:20%:2m`, `all-at-once`) or any CodeDeploy Lambda config.
   * Default `LambdaCanary10Percent5Minutes`.
   */
  readonly deploymentConfig?: string | codedeploy.ILambdaDeploymentConfig;
  /** Alarms on the new version's own metrics, or false for none. Default: see NewVersionAlarmsProps. */
  readonly newVersionAlarms?: NewVersionAlarmsProps | false;
  /** More alarms that stop and roll back a deployment (API Gateway 5xx, a canary, ...). Default none. */
  readonly alarms?: cloudwatch.IAlarm[];
  /** Runs before traffic shifts; must report to CodeDeploy. Default none. */
  readonly preHook?: lambda.IFunction;
  /** Runs after traffic shifted; must report to CodeDeploy. Default none. */
  readonly postHook?: lambda.IFunction;
  /** When CodeDeploy rolls back. Default: a failed or stopped deployment, and an alarm (when there are alarms). */
  readonly autoRollback?: codedeploy.AutoRollbackConfig;
  /** CodeDeploy application of the group. Default: a new one. */
  readonly application?: codedeploy.ILambdaApplication;
}

const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/;

/**
 * A `live` alias whose moves to a new version go through CodeDeploy: traffic shifts by the
 * deployment config while alarms on the new version's own metrics watch it, and any alarm
 * (or a failed hook) rolls it back. Give API Gateway the alias, never the function.
 *
 * The alarms are updated to the new version before the alias moves (a CloudFormation
 * dependency), so they watch the version being shifted to from its first request.
 * Unlike the seed, no timestamp is put in the environment: `currentVersion` already makes a
 * new version whenever the code or configuration changes, and only then.
 */
export class LiveAlias extends Construct {
  readonly alias: lambda.Alias;
  /** The version this deployment moves the alias to. */
  readonly version: lambda.Version;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** Alarms created on the new version's metrics. */
  readonly newVersionAlarms: cloudwatch.IAlarm[];
  /** Every alarm the deployment group watches. */
  readonly alarms: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: LiveAliasProps) {
    super(scope, id);
    const aliasName = props.aliasName ?? 'live';
    if (!ALIAS_NAME.test(aliasName)) {
      throw invalid(`aliasName "${aliasName}" must be 1 to 128 letters, digits, - or _, and not only digits`);
    }
    this.version = props.function.currentVersion;
    this.deploymentConfig = codeDeployConfig(this, 'Config', props.deploymentConfig ?? DEFAULT_DEPLOYMENT_CONFIG);
    this.alias = new lambda.Alias(this, 'Alias', { aliasName, version: this.version });
    this.newVersionAlarms =
      props.newVersionAlarms === false
        ? []
        : new NewVersionAlarms(
            this,
            'NewVersion',
            { function: props.function, aliasName, version: this.version },
            props.newVersionAlarms,
          ).alarms;
    this.alarms = [...this.newVersionAlarms, ...(props.alarms ?? [])];
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias: this.alias,
      application: props.application,
      deploymentConfig: this.deploymentConfig,
      alarms: this.alarms,
      preHook: props.preHook,
      postHook: props.postHook,
      autoRollback: props.autoRollback ?? {
        failedDeployment: true,
        stoppedDeployment: true,
        deploymentInAlarm: this.alarms.length > 0,
      },
    });
    for (const alarm of this.newVersionAlarms) this.alias.node.addDependency(alarm);
    acknowledge(
      this.deploymentGroup,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      "AWSCodeDeployRoleForLambdaLimited is CodeDeploy's own narrow policy for Lambda deployments",
    );
  }
}
