import { Duration } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type { Construct } from 'constructs';
import { parseDeploymentSpec } from '../core/deployment-config.js';
import { invalid } from '../core/errors.js';

/** CodeDeploy's predefined Lambda configs, by the plan they run. */
const PREDEFINED: Record<string, codedeploy.ILambdaDeploymentConfig> = {
  'all-at-once': codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  'canary:10:5': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'canary:10:10': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  'canary:10:15': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'canary:10:30': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  'linear:10:1': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'linear:10:2': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  'linear:10:3': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  'linear:10:10': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/** The default: CodeDeploy's and onebox's. */
export const DEFAULT_DEPLOYMENT_CONFIG = 'LambdaCanary10Percent5Minutes';

/**
 * A onebox deployment spec as a CodeDeploy Lambda config: the presets by name, and custom
 * `canary:P%:Nm`, `linear:P%:Nm` and `all-at-once` (predefined configs are used when the
 * plan matches one). CodeDeploy takes whole percentages below 100 and whole minutes, so
 * anything finer is refused with the reason; so are one-box, steps and a final bake, which
 * CodeDeploy cannot run (one-box is OneBoxFrontend's job).
 */
export function codeDeployConfig(
  scope: Construct,
  id: string,
  spec: string | codedeploy.ILambdaDeploymentConfig,
): codedeploy.ILambdaDeploymentConfig {
  if (typeof spec !== 'string') return spec;
  const config = parseDeploymentSpec(spec);
  const refuse = (why: string) => invalid(`deploymentConfig "${spec}": ${why}`);
  if (config.finalBakeMs !== undefined) {
    throw refuse('CodeDeploy has no final bake for Lambda; watch the version with alarms instead');
  }
  if (config.kind === 'all-at-once') return PREDEFINED['all-at-once']!;
  if (config.kind === 'one-box') throw refuse('a one-box is a separate partition of users: use OneBoxFrontend');
  if (config.kind === 'steps') throw refuse('CodeDeploy runs canary, linear or all-at-once plans only, not steps');
  const { percent, intervalMs } = config;
  if (!Number.isInteger(percent) || percent >= 100) {
    throw refuse(`CodeDeploy takes a whole percentage from 1 to 99, got ${percent}%`);
  }
  const minutes = intervalMs / 60_000;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw refuse(`CodeDeploy takes whole minutes of 1 or more, got ${intervalMs / 1000}s`);
  }
  const predefined = PREDEFINED[`${config.kind}:${percent}:${minutes}`];
  if (predefined) return predefined;
  const trafficRouting =
    config.kind === 'canary'
      ? codedeploy.TrafficRouting.timeBasedCanary({ interval: Duration.minutes(minutes), percentage: percent })
      : codedeploy.TrafficRouting.timeBasedLinear({ interval: Duration.minutes(minutes), percentage: percent });
  return new codedeploy.LambdaDeploymentConfig(scope, id, { trafficRouting });
}
