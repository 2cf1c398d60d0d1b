import { writeBaggageIdentity } from '../../core/baggage.js';
import { chooseVersion } from '../../core/routing.js';
import type { CfEvent, CfModule, CfRequest } from './cloudfront-function.js';
import { ONE_BOX, parseEdgeSplit, REGULAR, type Partition } from './partition.js';
import { identityFromRequestId, viewerIdentity } from './viewer-identity.js';

/** What the viewer-request function is built with (see StickyEdge for each default). */
export interface ViewerRequestSettings {
  /** Id of the KeyValueStore holding the split. */
  readonly kvsId: string;
  /** Key of the split in the store. */
  readonly kvsKey: string;
  /** Domain name of the one-box origin; the distribution's default origin is the regular one. */
  readonly oneBoxDomain: string;
  /** Request header carrying the partition (cache key, origin, origin-response). */
  readonly partitionHeader: string;
  /** Lowercase name of a header that identifies the user, or '' for none. */
  readonly identityHeader: string;
}

/**
 * Viewer request (CloudFront Function, every request, before the cache): who the viewer
 * is, which partition serves them, and the origin for that partition. The decision is
 * core's chooseVersion with the regular partition as the stable version and the one-box
 * as the additional one, so a viewer lands where the local gateway would put them.
 * Anything unexpected (no split in the store, a bad value, an exception) serves the
 * regular partition: the request is never failed.
 */
export async function viewerRequest(event: CfEvent, cf: CfModule, settings: ViewerRequestSettings): Promise<CfRequest> {
  const request = event.request;
  let partition: Partition = REGULAR;
  try {
    const known = viewerIdentity(request, settings.identityHeader);
    const id = known ? known.id : identityFromRequestId(event.context.requestId);
    if (id !== undefined) {
      const baggage = request.headers['baggage'];
      request.headers['baggage'] = { value: writeBaggageIdentity(baggage ? baggage.value : undefined, id) };
      const split = parseEdgeSplit(await cf.kvs(settings.kvsId).get(settings.kvsKey));
      if (typeof split === 'string') {
        console.log('onebox: KeyValueStore key ' + settings.kvsKey + ' is not a split (' + split + '): regular');
      } else {
        const weightBp = Math.round(split.percent * 100);
        const alias = { version: 0, additional: { version: 1, weightBp }, mode: 'sticky' as const, seed: split.seed };
        if (chooseVersion(alias, id, () => 1).additional) partition = ONE_BOX;
      }
    }
    if (partition === ONE_BOX) cf.updateRequestOrigin({ domainName: settings.oneBoxDomain });
  } catch (err) {
    partition = REGULAR;
    console.log('onebox: viewer request fell back to regular: ' + String(err));
  }
  // Always overwritten: a viewer never picks a partition by sending the header.
  request.headers[settings.partitionHeader] = { value: partition };
  return request;
}
