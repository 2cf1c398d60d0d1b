import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BEACON_PATH,
  BROWSER_SCRIPT_PATH,
  DEFAULT_BEACON_LIMITS,
  MAX_BEACON_BYTES,
  parseBeacon,
  takeBeaconToken,
  type BeaconLimits,
  type TokenBucket,
} from '../core/index.js';
import type { OneboxConfig } from '../config/schema.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import { BROWSER_SCRIPT, PIN_HEADER, scriptTag } from './beacon-script.js';
import { sendJson } from './exchange.js';
import { PageTokens, type PageClaim } from './page-token.js';
import type { RoutingSnapshot } from './routing-snapshot.js';

/** Users whose beacon buckets are kept; the least recent are forgotten first (a forgotten user starts full). */
const BUCKETS_KEPT = 100_000;

export interface BrowserSignalsOptions {
  /** The components whose pages get the script (config: a component's `browser.enabled`). */
  readonly components: ReadonlySet<string>;
  readonly tokens: PageTokens;
  /** Per-user beacon limits. Default DEFAULT_BEACON_LIMITS (20 at once, 30 a minute). */
  readonly limits?: BeaconLimits | undefined;
  /** The time, ms (tests inject theirs). Default Date.now. */
  readonly now?: () => number;
}

/**
 * The gateway's browser signals: the tag it puts into pages, the script, and the beacon
 * endpoint. A beacon counts for the version its page token names (the gateway's own record
 * of what served the page), once it is within the size cap, well formed, signed by this
 * gateway, of a version the component still routes, and within its user's rate. Every
 * beacon dropped is counted by why (`beacon-*` fallbacks), and none is an error to its page.
 */
export class BrowserSignals {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly limits: BeaconLimits;
  private readonly now: () => number;

  constructor(
    private readonly options: BrowserSignalsOptions,
    private readonly fallbacks: FallbackCounter,
  ) {
    this.limits = options.limits ?? DEFAULT_BEACON_LIMITS;
    this.now = options.now ?? Date.now;
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

  /** Answers a request for one of the browser signals' paths (BrowserSignals.owns). */
  serve(req: IncomingMessage, res: ServerResponse, path: string, snapshot: RoutingSnapshot): void {
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
    this.beacon(req, res, snapshot);
  }

  private drop(res: ServerResponse, reason: string, status: number, body: Record<string, unknown>): void {
    this.fallbacks.countFallback(reason);
    if (!res.headersSent) sendJson(res, status, body);
  }

  private beacon(req: IncomingMessage, res: ServerResponse, snapshot: RoutingSnapshot): void {
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
      else this.count(Buffer.concat(chunks).toString('utf8'), res, snapshot);
    });
  }

  private count(text: string, res: ServerResponse, snapshot: RoutingSnapshot): void {
    const parsed = parseBeacon(text);
    if (!parsed.ok) return this.drop(res, 'beacon-malformed', 400, { error: 'malformed_beacon', why: parsed.problem });
    const claim = this.options.tokens.read(parsed.beacon.token);
    if (claim === 'forged') return this.drop(res, 'beacon-forged', 400, { error: 'unknown_page' });
    if (claim === 'expired') return this.drop(res, 'beacon-expired', 400, { error: 'page_expired' });
    const target = snapshot.components.get(claim.component)?.live?.targets.get(claim.version);
    // A version no longer routed is not gated any more: its late beacons are let go.
    if (!target) return this.drop(res, 'beacon-unrouted', 202, { accepted: false });
    if (!this.take(claim.user)) return this.drop(res, 'beacon-rate-limited', 429, { error: 'too_many_beacons' });
    const { load, errors } = parsed.beacon;
    target.metrics.recordBrowser({ user: claim.user, page: claim.page, path: claim.path, load, errors });
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  }

  private take(user: string): boolean {
    const before = this.buckets.get(user);
    const { ok, bucket } = takeBeaconToken(before, this.now(), this.limits);
    if (before) this.buckets.delete(user);
    this.buckets.set(user, bucket);
    if (this.buckets.size > BUCKETS_KEPT) this.buckets.delete(this.buckets.keys().next().value!);
    return ok;
  }
}

/** The browser signals of a config's components, or undefined when none has them on. */
export function configuredBrowserSignals(
  config: OneboxConfig,
  key: Buffer,
  fallbacks: FallbackCounter,
): BrowserSignals | undefined {
  const components = new Set(config.components.filter((c) => c.browser.enabled).map((c) => c.name));
  return components.size ? new BrowserSignals({ components, tokens: new PageTokens(key) }, fallbacks) : undefined;
}
