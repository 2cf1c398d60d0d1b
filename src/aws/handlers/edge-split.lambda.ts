/** Entry of StickyEdge's split writer (a Lambda-backed custom resource): index.handler. */
import { keyValueStoreClient } from '../kvs-client.js';
import { createEdgeSplitHandler } from './edge-split.js';

// Signs with SigV4A, which the KeyValueStore's data plane requires (kvs-client.ts).
export const handler = createEdgeSplitHandler({ kvs: keyValueStoreClient() });
