import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { bundleLambda, KVS_SDK_PACKAGES } from './bundle.js';
import type { EdgeSplitProperties } from './handlers/edge-split.js';
import { acknowledgeLogsOnlyRole } from './nag.js';
import { REGIONAL_RUNTIME } from './runtimes.js';

/**
 * A KeyValueStore entry kept equal to what the CDK app says: written on every deploy that
 * changes it (handlers/edge-split.ts). A store's import source is read only when the store
 * is created, so without this a changed `oneBoxPercent` would deploy and do nothing.
 */
export class EdgeSplitValue extends Construct {
  readonly writer: lambda.Function;

  constructor(scope: Construct, id: string, store: cloudfront.IKeyValueStore, key: string, value: string) {
    super(scope, id);
    this.writer = new lambda.Function(this, 'Writer', {
      runtime: REGIONAL_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleLambda('handlers/edge-split.lambda', {}, { bundledSdk: KVS_SDK_PACKAGES })),
      memorySize: 128,
      timeout: Duration.seconds(30),
      description: "onebox: writes StickyEdge's split to its KeyValueStore when oneBoxPercent or seed change",
    });
    this.writer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:UpdateKeys'],
        resources: [store.keyValueStoreArn],
      }),
    );
    const properties: EdgeSplitProperties = { KvsARN: store.keyValueStoreArn, Key: key, Value: value };
    new CustomResource(this, 'Value', {
      serviceToken: this.writer.functionArn,
      resourceType: 'Custom::OneboxEdgeSplit',
      properties,
    });
    acknowledgeLogsOnlyRole(this.writer);
  }
}
