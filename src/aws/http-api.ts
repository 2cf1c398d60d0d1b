import { Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * An HTTP API (payload 2.0, the format onebox's local handler runtime speaks) sending every
 * route to a Lambda alias, with access logs on its `$default` stage.
 */
export class AliasHttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly accessLogs: logs.LogGroup;
  /** The API's host name, an origin for CloudFront. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, alias: lambda.IAlias) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      defaultIntegration: new HttpLambdaIntegration('Integration', alias),
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs) },
    });
    const stack = Stack.of(this);
    this.domainName = `${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }
}
