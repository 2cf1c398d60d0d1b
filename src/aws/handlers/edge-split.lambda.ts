/** Entry of StickyEdge's split writer (a Lambda-backed custom resource): index.handler. */
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { createEdgeSplitHandler } from './edge-split.js';

// The KeyValueStore's data plane is global; its client signs for us-east-1.
export const handler = createEdgeSplitHandler({ kvs: new CloudFrontKeyValueStoreClient({ region: 'us-east-1' }) });
