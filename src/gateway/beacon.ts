import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BEACON_PATH,
  BROWSER_SCRIPT_PATH,
  DEFAULT_BEACON_LIMITS,
  DEFAULT_IP_BEACON_LIMITS,
  DEFAULT_IP_ERROR_USER_LIMITS,
  MAX_BEACON_BYTES,
  parseBeacon,
  type BeaconLimits,
} from '../core/index.js';
import type { OneboxConfig } from '../config/schema.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import { BROWSER_SCRIPT, PIN_HEADER, scriptTag } from './beacon-script.js';
import { sendJson } from './exchange.js';
import { PageTokens, type PageClaim } from './page-token.js';
import { RateBuckets, RecentKeys } from './rate-buckets.js';
import type { RoutingSnapshot } from './routing-snapshot.js';

export interface BrowserSignalsOptions {
  /** The components whose pages get the script (config: a component's `browser.enabled`). */
  readonly components: ReadonlySet<string>;
  readonly tokens: PageTokens;
  /** Per-user beacon limits. Default DEFAULT_BEACON_LIMITS (20 at once, 30 a minute). */
  readonly limits?: BeaconLimits | undefined;
  /** Per client address, all beacons. Default DEFAULT_IP_BEACON_LIMITS (600 at once, 600 a minute). */
  readonly ipLimits?: BeaconLimits | undefined;
  /** Per client address, new users with an error (all versions together). Default DEFAULT_IP_ERROR_USER_LIMITS (5, then 1 a minute). */
  readonly ipErrorUserLimits?: BeaconLimits | undefined;
  /** The time, ms (tests inject theirs). Default Date.now. */
  readonly now?: () => number;
}

/**
 * The gateway's browser signals: the tag it puts into pages, the script, and the beacon
 * endpoint. A beacon counts for the version its page token names (the gateway's own record
 * of what served the page), once it is within the size cap, well formed, signed by this
 * gateway, of a version the component still routes, and within its user's rate and its
 * client address's (which bound a client that makes itself new identities). Every beacon
 * dropped is counted by why (`beacon-*` fallbacks), and none is an error to its page.
 * Limits are per gateway process: with N workers, N times these.
 */
export class BrowserSignals {
  private readonly users: RateBuckets;
  private readonly addresses: RateBuckets;
  private readonly addressErrorUsers: RateBuckets;
  /** `<address> <component> <version> <user>` already counted with an error (they take no more of the address's). */
  private readonly errorUsers = new RecentKeys();

  constructor(
    private readonly options: BrowserSignalsOptions,
    private readonly fallbacks: FallbackCounter,
  ) {
    const now = options.now ?? Date.now;
    this.users = new RateBuckets(options.limits ?? DEFAULT_BEACON_LIMITS, now);
    this.addresses = new RateBuckets(options.ipLimits ?? DEFAULT_IP_BEACON_LIMITS, now);
    this.addressErrorUsers = new RateBuckets(options.ipErrorUserLimits ?? DEFAULT_IP_ERROR_USER_LIMITS, now);
  }

  /** Whether `component`'s pages get the script. */
  sends(component: string): boolean {
    return this.options.components.has(component);
  }

  /** The tag for a page of `component` served by `version` to `identity` at `path`. */
  tag(component: string, version: number, identity: string, path: string): string {
    return scriptTag(this.options.tokens.mint({ component, version, identity, path }));
  }

  /**
   * The page a request says it belongs to (the `x-onebox-pin` header the script adds to the
   * page's own fetch and XHR calls): its claim, why it is not one, or undefined when none.
   */
  pinOf(rawHeaders: readonly string[]): PageClaim | 'forged' | 'expired' | undefined {
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === PIN_HEADER.length && name.toLowerCase() === PIN_HEADER)
        return this.options.tokens.read(rawHeaders[i + 1]!);
    }
    return undefined;
  }

  /** Whether `path` is one of the browser signals' own (the script, the beacon endpoint). */
  static owns(path: string): boolean {
    return path === BROWSER_SCRIPT_PATH || path === BEACON_PATH;
  }

  /**
   * Answers a request for one of the browser signals' paths (BrowserSignals.owns). `client`:
   * the client's address (the socket's, or the trusted proxy's X-Forwarded-For entry).
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string, snapshot: RoutingSnapshot, client: string): undefined {
    if (path === BROWSER_SCRIPT_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': Buffer.byteLength(BROWSER_SCRIPT),
        // The same for every page and version: the token is in the tag, not the script.
        'cache-control': 'public, max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : BROWSER_SCRIPT);
      return;
    }
    if (path === BROWSER_SCRIPT_PATH) {
      this.drop(res, 'reserved-method', 405, { error: 'method_not_allowed', allow: 'GET, HEAD' });
      return;
    }
    if (req.method !== 'POST') {
      this.drop(res, 'beacon-method', 405, { error: 'method_not_allowed', allow: 'POST' });
      return;
    }
    // Before the body is read or a token checked: a flood from one address costs little.
    if (!this.addresses.take(client)) {
      req.resume();
      this.drop(res, 'beacon-ip-rate-limited', 429, { error: 'too_many_beacons' });
      return;
    }
    this.beacon(req, res, snapshot, client);
  }

  private drop(res: ServerResponse, reason: string, status: number, body: Record<string, unknown>): void {
    this.fallbacks.countFallback(reason);
    if (!res.headersSent) sendJson(res, status, body);
  }

  private beacon(req: IncomingMessage, res: ServerResponse, snapshot: RoutingSnapshot, client: string): void {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BEACON_BYTES) {
      req.resume();
      this.drop(res, 'beacon-too-large', 413, { error: 'beacon_too_large', limit: MAX_BEACON_BYTES });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BEACON_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (over) this.drop(res, 'beacon-too-large', 413, { error: 'beacon_too_large', limit: MAX_BEACON_BYTES });
      else this.count(Buffer.concat(chunks).toString('utf8'), res, snapshot, client);
    });
  }

  private count(text: string, res: ServerResponse, snapshot: RoutingSnapshot, client: string): void {
    const parsed = parseBeacon(text);
    if (!parsed.ok) return this.drop(res, 'beacon-malformed', 400, { error: 'malformed_beacon', why: parsed.problem });
    const claim = this.options.tokens.read(parsed.beacon.token);
    if (claim === 'forged') return this.drop(res, 'beacon-forged', 400, { error: 'unknown_page' });
    if (claim === 'expired') return this.drop(res, 'beacon-expired', 400, { error: 'page_expired' });
    const target = snapshot.components.get(claim.component)?.live?.targets.get(claim.version);
    // A version no longer routed is not gated any more: its late beacons are let go.
    if (!target) return this.drop(res, 'beacon-unrouted', 202, { accepted: false });
    if (!this.users.take(claim.user)) return this.drop(res, 'beacon-rate-limited', 429, { error: 'too_many_beacons' });
    const { load, errors } = parsed.beacon;
    if (errors.length) {
      const key = `${client} ${claim.component} ${claim.version} ${claim.user}`;
      if (!this.errorUsers.has(key)) {
        if (!this.addressErrorUsers.take(client))
          return this.drop(res, 'beacon-ip-error-users', 429, { error: 'too_many_beacons' });
        this.errorUsers.add(key);
      }
    }
    target.metrics.recordBrowser({ user: claim.user, page: claim.page, path: claim.path, load, errors });
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  }
}

/** The browser signals of a config's components, or undefined when none has them on. */
export function configuredBrowserSignals(
  config: OneboxConfig,
  key: Buffer,
  fallbacks: FallbackCounter,
  /** The time, ms. Default Date.now. */
  now?: () => number,
): BrowserSignals | undefined {
  const components = new Set(config.components.filter((c) => c.browser.enabled).map((c) => c.name));
  if (!components.size) return undefined;
  const { beaconsPerIp, errorUsersPerIp } = config.gateway;
  return new BrowserSignals(
    { components, tokens: new PageTokens(key), ipLimits: beaconsPerIp, ipErrorUserLimits: errorUsersPerIp, now },
    fallbacks,
  );
}
