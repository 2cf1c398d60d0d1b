import { writeBaggageIdentity } from '../../core/baggage.js';
import { PAGE_GONE_BODY, PAGE_GONE_STATUS, PIN_HEADER, RELOAD_HEADER } from '../../core/page-protocol.js';
import type { CfEvent, CfKeyValueStore, CfModule, CfRequest, CfResponse } from './cloudfront-function.js';
import { PAGE_GONE, readEdgePin, type CfCrypto } from './page-pin.js';
import { ONE_BOX, parseEdgeSplit, partitionFor, REGULAR, type EdgeSplit, type Partition } from './partition.js';
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
  /**
   * Other components behind the same distribution, each with its own split and canary
   * origin (e.g. the backend under `/api/`): the first whose prefix starts the request's
   * path decides it. Absent or empty: every request is the frontend's.
   */
  readonly routes?: readonly ComponentRoute[];
  /**
   * The canary origins are Lambda function URLs behind origin access control: the origin the
   * function switches to is signed like the behavior's own (sigv4, always). Default false.
   */
  readonly signLambdaOrigins?: boolean;
  /**
   * Key, in the same store, of the secret page pins are signed with (the key the origin mints
   * its pages' tokens with, PageTokens). Absent: `x-onebox-pin` is ignored.
   */
  readonly pinKeyKvsKey?: string;
}

/** A component routed by path: its KeyValueStore key and the domain of its canary origin. */
export interface ComponentRoute {
  /** Path prefix, e.g. `/api/`. */
  readonly prefix: string;
  readonly kvsKey: string;
  readonly canaryDomain: string;
}

const SIGNED_LAMBDA = {
  enabled: true,
  signingBehavior: 'always',
  signingProtocol: 'sigv4',
  originType: 'lambda',
} as const;

/** The component a request belongs to: its split's key and the origin its one-box share goes to. */
function routeOf(uri: string, settings: ViewerRequestSettings): { kvsKey: string; canaryDomain: string } {
  const routes = settings.routes || [];
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (uri.indexOf(r.prefix) === 0) return r;
  }
  return { kvsKey: settings.kvsKey, canaryDomain: settings.oneBoxDomain };
}

/**
 * Skew protection: the partition serving the version that served the request's page, if
 * the request carries a pin signed with the store's key, for this component, and that
 * version is still behind one of the two origins; PAGE_GONE if that version is behind
 * neither or the pin has expired (the page must reload, as the gateway answers a retired
 * version's pin); else undefined (the viewer's own split decides). A forged or foreign pin
 * is ignored, and so is every pin of a split that names no versions: a client never picks
 * a version.
 */
async function pinnedPartition(
  request: CfRequest,
  split: EdgeSplit,
  component: string,
  store: CfKeyValueStore,
  crypto: CfCrypto,
  keyName: string,
): Promise<Partition | typeof PAGE_GONE | undefined> {
  const header = request.headers[PIN_HEADER];
  if (!header) return undefined;
  let key: string;
  try {
    key = await store.get(keyName);
  } catch {
    console.log('onebox: no pin key ' + keyName + ' in the KeyValueStore: pin ignored');
    return undefined;
  }
  const pin = readEdgePin(header.value, key, crypto, Math.floor(Date.now() / 1000));
  if (pin === 'forged') console.log('onebox: forged pin ignored');
  if (split.stable === undefined || pin === 'forged' || (pin !== 'expired' && pin.component !== component))
    return undefined;
  if (pin === 'expired') return PAGE_GONE;
  if (pin.version === split.stable) return REGULAR;
  if (pin.version === split.canary) return ONE_BOX;
  return PAGE_GONE;
}

/**
 * The gateway's answer to a call of a page whose version is gone (core's page protocol,
 * as src/gateway/page-pin.ts sends it): 409, `x-onebox-reload: 1`, the same JSON body, never cached. The page's script
 * reloads on the header, and the new page is served by the viewer's own version.
 */
function reloadAnswer(): CfResponse {
  // Assigned, not a computed key: the function is ES 5.1.
  const headers: CfResponse['headers'] = {
    'content-type': { value: 'application/json' },
    'cache-control': { value: 'no-store' },
  };
  headers[RELOAD_HEADER] = { value: '1' };
  return {
    statusCode: PAGE_GONE_STATUS,
    statusDescription: 'Conflict',
    headers,
    cookies: {},
    body: { encoding: 'text', data: JSON.stringify(PAGE_GONE_BODY) },
  };
}

/**
 * Viewer request (CloudFront Function, every request, before the cache): who the viewer
 * is, which component the path is (the frontend, or a `routes` entry such as the backend),
 * which partition of it serves them (partitionFor: where the local gateway would put
 * them), and the origin for that partition.
 * Anything unexpected (no split in the store, a bad value, an exception) serves the
 * regular partition: the request is never failed.
 */
export async function viewerRequest(
  event: CfEvent,
  cf: CfModule,
  settings: ViewerRequestSettings,
  crypto?: CfCrypto,
): Promise<CfRequest | CfResponse> {
  const request = event.request;
  let partition: Partition = REGULAR;
  try {
    const route = routeOf(request.uri, settings);
    const known = viewerIdentity(request, settings.identityHeader);
    const id = known ? known.id : identityFromRequestId(event.context.requestId);
    if (id !== undefined) {
      const baggage = request.headers['baggage'];
      request.headers['baggage'] = { value: writeBaggageIdentity(baggage ? baggage.value : undefined, id) };
      const store = cf.kvs(settings.kvsId);
      const split = parseEdgeSplit(await store.get(route.kvsKey));
      const pinned =
        typeof split !== 'string' && settings.pinKeyKvsKey && crypto
          ? await pinnedPartition(request, split, route.kvsKey, store, crypto, settings.pinKeyKvsKey)
          : undefined;
      if (typeof split === 'string') {
        console.log('onebox: KeyValueStore key ' + route.kvsKey + ' is not a split (' + split + '): regular');
      } else if (pinned === PAGE_GONE) {
        return reloadAnswer();
      } else if (pinned) {
        partition = pinned;
      } else {
        partition = partitionFor(split, id);
      }
    }
    if (partition === ONE_BOX)
      cf.updateRequestOrigin(
        settings.signLambdaOrigins
          ? { domainName: route.canaryDomain, originAccessControlConfig: SIGNED_LAMBDA }
          : { domainName: route.canaryDomain },
      );
  } catch (err) {
    partition = REGULAR;
    console.log('onebox: viewer request fell back to regular: ' + String(err));
  }
  // Always overwritten: a viewer never picks a partition by sending the header.
  request.headers[settings.partitionHeader] = { value: partition };
  return request;
}
