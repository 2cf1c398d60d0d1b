import {
  ConflictException,
  DescribeKeyValueStoreCommand,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClient,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/**
 * StickyEdge's split, as its CDK props say (`oneBoxPercent`, `seed`), kept in its
 * KeyValueStore by a Lambda-backed custom resource. The store is created holding the
 * split (an import source, which CloudFront reads only at creation); after that this
 * resource writes it on every deploy that changes those props, so a changed share reaches
 * the edge instead of doing nothing. A deploy that leaves the props alone writes nothing:
 * a split put by hand (`aws cloudfront-keyvaluestore put-key`) stays until the props change.
 *
 * Resource properties: KvsARN, Key, Value (the split's JSON).
 */
export interface EdgeSplitProperties {
  readonly KvsARN: string;
  readonly Key: string;
  readonly Value: string;
}

/** CloudFormation's answer body (PUT to the event's pre-signed ResponseURL). */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

export interface EdgeSplitDeps {
  readonly kvs: CloudFrontKeyValueStoreClient;
  /** Sends the answer. Default: PUT to the pre-signed URL with no content type, as CloudFormation's S3 URL signs it. */
  readonly respond?: (url: string, body: CustomResourceResponse) => Promise<void>;
}

const PHYSICAL_ID = 'onebox-edge-split';

async function put(url: string, body: CustomResourceResponse): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(url, { method: 'PUT', body: text, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation's response URL answered HTTP ${res.status}`);
}

/** Writes the split (one UpdateKeys conditional on the store's ETag, read again when another writer won). */
async function writeSplit(kvs: CloudFrontKeyValueStoreClient, p: EdgeSplitProperties): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { ETag } = await kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: p.KvsARN }));
    try {
      await kvs.send(
        new UpdateKeysCommand({ KvsARN: p.KvsARN, IfMatch: ETag, Puts: [{ Key: p.Key, Value: p.Value }] }),
      );
      return;
    } catch (err) {
      if (!(err instanceof ConflictException) || attempt >= 5) throw err;
    }
  }
}

export function createEdgeSplitHandler(
  deps: EdgeSplitDeps,
): (event: CloudFormationCustomResourceEvent) => Promise<void> {
  const respond = deps.respond ?? put;
  return async (event) => {
    const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
    const physical = 'PhysicalResourceId' in event ? event.PhysicalResourceId : PHYSICAL_ID;
    try {
      if (event.RequestType === 'Update') {
        const now = event.ResourceProperties as unknown as EdgeSplitProperties;
        const before = event.OldResourceProperties as unknown as Partial<EdgeSplitProperties>;
        if (now.Key !== before.Key || now.Value !== before.Value || now.KvsARN !== before.KvsARN)
          await writeSplit(deps.kvs, now);
      }
      await respond(event.ResponseURL, { ...base, Status: 'SUCCESS', PhysicalResourceId: physical });
    } catch (err) {
      // CloudFormation fails the deploy and rolls it back with this reason: never silent.
      const reason = `StickyEdge oneBoxPercent/seed: the split was not written to the KeyValueStore: ${(err as Error).message}`;
      await respond(event.ResponseURL, { ...base, Status: 'FAILED', Reason: reason, PhysicalResourceId: physical });
    }
  };
}
