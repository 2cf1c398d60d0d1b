import type { CloudFrontHeaders, CloudFrontResponse, CloudFrontResponseEvent } from 'aws-lambda';
import { mergeVary } from '../../core/cache-headers.js';
import { ONE_BOX, REGULAR } from './partition.js';

export interface OriginResponseSettings {
  /** Lowercase name of the request header carrying the partition. */
  readonly partitionHeader: string;
  /** Fields added to Vary: the partition header, Cookie, and the identity header if any. */
  readonly vary: readonly string[];
}

const first = (headers: CloudFrontHeaders, name: string): string | undefined => headers[name]?.[0]?.value;

/**
 * Origin response (Lambda@Edge, once per cache miss, before the response is cached): the
 * response says which partition made it (`x-onebox-partition`, for people debugging with
 * the browser's network tab) and varies on what chose the partition, so a shared cache
 * downstream keeps the partitions apart as CloudFront's cache key does. The stored copy
 * carries both, so cache hits need no function here.
 */
export function originResponse(event: CloudFrontResponseEvent, settings: OriginResponseSettings): CloudFrontResponse {
  const { request, response } = event.Records[0]!.cf;
  try {
    const partition = first(request.headers, settings.partitionHeader);
    if (partition === ONE_BOX || partition === REGULAR) {
      response.headers[settings.partitionHeader] = [{ key: settings.partitionHeader, value: partition }];
    }
    const vary = response.headers['vary']?.map((h) => h.value).join(', ');
    response.headers['vary'] = [{ key: 'Vary', value: mergeVary(vary, settings.vary) }];
  } catch (err) {
    console.log(`onebox: origin response left unchanged: ${String(err)}`);
  }
  return response;
}
