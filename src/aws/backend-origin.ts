/**
 * A frontend's server-side calls to the backend, on the backend version their user is on.
 * At the edge, the viewer-request function sends each user's `/api/` calls to the backend's
 * `stable` or `canary` origin by the backend's split in the KeyValueStore. A server-side
 * render calls the backend's function URL itself, not through the distribution, so it
 * decides the same way here: the user from the call's `baggage` (which the edge wrote), the
 * split read from the same store, the same decision (partitionFor). A user's page and the
 * API calls their browser and their page's server make land on one backend version.
 *
 * Import it from `onebox/aws/backend` in handler code (no CDK; it needs
 * `@aws-sdk/client-cloudfront-keyvaluestore` and `@aws-sdk/signature-v4a`, bundled with the
 * handler: the runtime's SDK cannot sign KeyValueStore calls, see kvs-client.ts):
 *
 *   const route = backendOrigin({ stableUrl, canaryUrl, kvsKey: 'api', readSplit: keyValueStoreSplits(keyValueStoreClient(), kvsArn) });
 *   globalThis.fetch = routedFetch(fetch, route, stableUrl);
 */

import { GetKeyCommand, type CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { readBaggageIdentity } from '../core/baggage.js';
import { ONE_BOX, parseEdgeSplit, partitionFor, type EdgeSplit } from './edge/partition.js';

export { keyValueStoreClient } from './kvs-client.js';

/** Default time a split read from the store is used for: a step reaches server-side calls within it. */
export const DEFAULT_SPLIT_TTL_MS = 5_000;

export interface BackendOriginOptions {
  /** The backend's `stable` origin (e.g. its stable alias's function URL), where everyone outside the split goes. */
  readonly stableUrl: string;
  /** The backend's `canary` origin, where the split's users go. */
  readonly canaryUrl: string;
  /** The backend's key in the KeyValueStore (its component name with OneboxControlPlane). */
  readonly kvsKey: string;
  /** Reads a key's value from the store (keyValueStoreSplits for CloudFront's). */
  readonly readSplit: (key: string) => Promise<string>;
  /** How long a read split is used for. Default DEFAULT_SPLIT_TTL_MS. */
  readonly ttlMs?: number;
  /** The clock, in milliseconds. Default Date.now. */
  readonly now?: () => number;
  /** Where a fallback to stable is said. Default console.log (the function's log). */
  readonly log?: (line: string) => void;
}

/** Picks a call's backend origin by the user in its baggage. */
export interface BackendOrigin {
  (baggage: string | undefined): Promise<string>;
  /** Calls sent to stable because the split could not be read or was not one, or the call named no user. */
  readonly fallbacks: () => number;
}

/**
 * The origin a call's user is on. Anything unexpected (no user in the baggage, a store that
 * cannot be read, a value that is not a split) goes to stable, is counted and logged: a
 * call is never failed for routing.
 */
export function backendOrigin(options: BackendOriginOptions): BackendOrigin {
  const ttlMs = options.ttlMs ?? DEFAULT_SPLIT_TTL_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(line));
  let cached: { split: Promise<EdgeSplit | string>; until: number } | undefined;
  let fallbacks = 0;

  const split = (): Promise<EdgeSplit | string> => {
    const t = now();
    if (!cached || t >= cached.until) {
      const read = options
        .readSplit(options.kvsKey)
        .then(parseEdgeSplit)
        .catch((err: unknown) => `not readable (${err instanceof Error ? err.message : String(err)})`);
      cached = { split: read, until: t + ttlMs };
    }
    return cached.split;
  };

  const stable = (why: string): string => {
    fallbacks++;
    log(`onebox: backend call to stable: ${why}`);
    return options.stableUrl;
  };

  const origin = async (baggage: string | undefined): Promise<string> => {
    const id = readBaggageIdentity(baggage);
    if (id === undefined) return stable('no onebox-uid in the baggage');
    const current = await split();
    if (typeof current === 'string') return stable(`KeyValueStore key ${options.kvsKey} is ${current}`);
    return partitionFor(current, id) === ONE_BOX ? options.canaryUrl : options.stableUrl;
  };
  return Object.assign(origin, { fallbacks: () => fallbacks });
}

/**
 * A fetch that sends calls to the backend's stable origin to the origin their user is on
 * (by the call's own `baggage` header), path and query kept. Calls elsewhere go out unchanged.
 */
export function routedFetch(inner: typeof fetch, route: BackendOrigin, stableUrl: string): typeof fetch {
  if (!URL.canParse(stableUrl))
    throw new Error(`routedFetch: the backend's stable URL must be a URL, got ${JSON.stringify(stableUrl)}`);
  const stableOrigin = new URL(stableUrl).origin;
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.origin !== stableOrigin) return inner(input, init);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    const target = new URL(await route(headers.get('baggage') ?? undefined));
    url.protocol = target.protocol;
    url.host = target.host;
    // A Request keeps its method, headers and body on the new URL.
    return inner(input instanceof Request ? new Request(url, input) : url, init);
  };
}

/**
 * Reads keys of a CloudFront KeyValueStore with its data-plane API (GetKey), with a client
 * that signs SigV4A (keyValueStoreClient); the function's role needs
 * `cloudfront-keyvaluestore:GetKey` on the store.
 */
export function keyValueStoreSplits(
  client: CloudFrontKeyValueStoreClient,
  kvsArn: string,
): (key: string) => Promise<string> {
  return async (key) => {
    const out = await client.send(new GetKeyCommand({ KvsARN: kvsArn, Key: key }));
    if (out.Value === undefined) throw new Error(`no value for ${key}`);
    return out.Value;
  };
}
