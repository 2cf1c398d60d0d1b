/**
 * A client of the CloudFront KeyValueStore data plane (GetKey, UpdateKeys...) that can sign
 * its calls. That API takes SigV4A signatures only, and the AWS SDK for JavaScript v3 signs
 * SigV4A only once an implementation is imported (aws/aws-sdk-js-v3#6219): without this
 * import every call fails with "Neither CRT nor JS SigV4a implementation is available".
 * The import registers the JS signer with the `@smithy/signature-v4` the client itself
 * uses, so the client and this import must be bundled together (bundleLambda's
 * `bundledSdk`: KVS_SDK_PACKAGES in bundle.ts), not taken from the Lambda runtime.
 */
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  type CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';

/** The data plane is global: its signatures name region set `*`, the client's region only picks defaults. Default region us-east-1. */
export function keyValueStoreClient(config: CloudFrontKeyValueStoreClientConfig = {}): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({ region: 'us-east-1', ...config });
}
