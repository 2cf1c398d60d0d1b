/**
 * The beacon endpoint on AWS (a Lambda behind the distribution at the gateway's own prefix,
 * `/.onebox/`): the browser script, and the beacons its pages send. A beacon counts for the
 * version its page token names (minted by the app with withBrowserSignals and the same key),
 * once it is within the gateway's size cap, well formed, signed, unexpired, within its user's
 * rate and new for its page and kind; it is then one log line per kind, which CloudWatch turns
 * into per-version metrics (EMF) and the controller reads for distinct users. Every drop is a
 * `BeaconsDropped` metric by reason (the gateway's `beacon-*` fallbacks), never an error to the page.
 */

import {
  DEFAULT_BEACON_LIMITS,
  MAX_BEACON_BYTES,
  parseBeacon,
  takeBeaconToken,
  type BeaconLimits,
  type TokenBucket,
} from '../../core/index.js';
import { BEACON_PATH, BROWSER_SCRIPT_PATH } from '../../core/reserved-paths.js';
import { BROWSER_SCRIPT } from '../../gateway/beacon-script.js';
import { PageTokens } from '../../gateway/page-token.js';
import { DEFAULT_METRICS_NAMESPACE } from '../metrics.js';

/** The `onebox` property of a beacon's log lines (the contract with the controller's reader). */
export const BROWSER_LOG_TAG = 'browser';

/** One accepted beacon's line for one kind: what the controller counts, per version and per user. */
export interface BrowserLogLine {
  readonly onebox: typeof BROWSER_LOG_TAG;
  /** The component, as the token names it (its KeyValueStore key). */
  readonly component: string;
  /** The version that served the page, as text (an EMF dimension value). */
  readonly version: string;
  /** The token's keyed digest of the viewer's identity: stable per user, never the identity. */
  readonly user: string;
  /** `load`, or the kind of error (error, rejection, resource, app). */
  readonly kind: string;
  /** The page load (random per page, from the token) and its path. */
  readonly page: string;
  readonly path: string;
  /** 1 on a `load` line, else absent. */
  readonly PageViews?: 1;
  /** 1 on an error line, else absent. */
  readonly BrowserErrors?: 1;
}

/** API Gateway v2 / function URL request, the parts read here. */
export interface BeaconEvent {
  readonly rawPath?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface BeaconResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface BeaconHandlerOptions {
  /** The page key (the apps' and the edge's). Undefined: every beacon is dropped as forged. */
  readonly key: Buffer | undefined;
  /** Per-user limits, in this instance. Default DEFAULT_BEACON_LIMITS (20 at once, 30 a minute). */
  readonly limits?: BeaconLimits;
  /** CloudWatch namespace of the lines' metrics. Default `onebox`. */
  readonly namespace?: string;
  /** Where lines go. Default: stdout (CloudWatch Logs). */
  readonly write?: (line: string) => void;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
}

/** Users' buckets and pages' kinds kept per instance; the oldest are forgotten first. */
const KEPT = 100_000;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEPT) map.delete(map.keys().next().value!);
}

const json = (statusCode: number, body: Record<string, unknown>): BeaconResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** The beacon function's handler: state (rate buckets, seen kinds) lives as long as its instance. */
export function beaconHandler(options: BeaconHandlerOptions): (event: BeaconEvent) => Promise<BeaconResult> {
  const limits = options.limits ?? DEFAULT_BEACON_LIMITS;
  const namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const tokens = options.key ? new PageTokens(options.key, () => Math.floor(now() / 1000)) : undefined;
  const buckets = new Map<string, TokenBucket>();
  const seen = new Map<string, true>();

  const emf = (dimensions: string[][], metrics: string[], fields: Record<string, unknown>) =>
    write(
      JSON.stringify({
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            { Namespace: namespace, Dimensions: dimensions, Metrics: metrics.map((Name) => ({ Name, Unit: 'Count' })) },
          ],
        },
        ...fields,
      }),
    );
  const drop = (reason: string, answer: BeaconResult): BeaconResult => {
    emf([['reason']], ['BeaconsDropped'], { onebox: 'browser-drop', reason, BeaconsDropped: 1 });
    return answer;
  };

  return async (event) => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? '';
    if (path === BROWSER_SCRIPT_PATH && (method === 'GET' || method === 'HEAD'))
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' },
        body: method === 'HEAD' ? '' : BROWSER_SCRIPT,
      };
    if (path !== BEACON_PATH) return json(404, { error: 'no_route', path: path.slice(0, 200) });
    if (method !== 'POST') return drop('beacon-method', json(405, { error: 'method_not_allowed', allow: 'POST' }));
    const raw = event.body ?? '';
    const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (bytes.length > MAX_BEACON_BYTES)
      return drop('beacon-too-large', json(413, { error: 'beacon_too_large', limit: MAX_BEACON_BYTES }));
    const parsed = parseBeacon(bytes.toString('utf8'));
    if (!parsed.ok) return drop('beacon-malformed', json(400, { error: 'malformed_beacon', why: parsed.problem }));
    const claim = tokens ? tokens.read(parsed.beacon.token) : 'forged';
    if (claim === 'forged') return drop('beacon-forged', json(400, { error: 'unknown_page' }));
    if (claim === 'expired') return drop('beacon-expired', json(400, { error: 'page_expired' }));
    const taken = takeBeaconToken(buckets.get(claim.user), now(), limits);
    remember(buckets, claim.user, taken.bucket);
    if (!taken.ok) return drop('beacon-rate-limited', json(429, { error: 'too_many_beacons' }));
    const kinds = parsed.beacon.load ? ['load', ...parsed.beacon.errors] : [...parsed.beacon.errors];
    for (const kind of new Set(kinds)) {
      // A page's kind counts once: its retries and replays (in this instance) add nothing.
      const once = `${claim.page}:${kind}`;
      if (seen.has(once)) continue;
      remember(seen, once, true);
      const load = kind === 'load';
      const line: BrowserLogLine = {
        onebox: BROWSER_LOG_TAG,
        component: claim.component,
        version: String(claim.version),
        user: claim.user,
        kind,
        page: claim.page,
        path: claim.path,
        ...(load ? { PageViews: 1 as const } : { BrowserErrors: 1 as const }),
      };
      emf(
        load
          ? [['component', 'version']]
          : [
              ['component', 'version'],
              ['component', 'version', 'kind'],
            ],
        [load ? 'PageViews' : 'BrowserErrors'],
        { ...line },
      );
    }
    return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
  };
}
