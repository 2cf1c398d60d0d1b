import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Runtime of onebox's Lambda@Edge functions: Node.js 22, the newest one Lambda@Edge runs. */
export const EDGE_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Runtime of onebox's regional functions (the bake, the shadow worker). */
export const REGIONAL_RUNTIME = lambda.Runtime.NODEJS_24_X;
