import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What the gateway recorded about one page it served: the token in the page carries it. */
export interface PageClaim {
  readonly component: string;
  readonly version: number;
  /** A keyed digest of the user's identity (the identity itself never goes into a page). */
  readonly user: string;
  /** This page load, unique. */
  readonly page: string;
  /** The page's path, at most MAX_PATH characters. */
  readonly path: string;
  /** When the page was served, seconds since the epoch. */
  readonly issuedAt: number;
}

/** A page's beacons are taken this long after it was served (a tab left open for a day is not). */
export const PAGE_TOKEN_TTL_SECONDS = 86_400;
const MAX_PATH = 120;
const MAC_BYTES = 16;

/**
 * The gateway's record of a page it served, kept in the page itself as a signed token
 * (HMAC-SHA256 with a key only the gateway holds): a beacon names its page by the token, and
 * the gateway reads the version, user and path from it. Nothing to store per page, any
 * gateway worker can read any page's token, and a client cannot make one up: a token whose
 * signature does not match is a forged beacon.
 */
export class PageTokens {
  private readonly key: Buffer;

  /** `key`: shared by every gateway process of one onebox; default: a random one. `now`: seconds. */
  constructor(
    key?: Buffer,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.key = key ?? randomBytes(32);
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }

  /** The user's digest: stable for a user, unreadable to anyone without the key. */
  userDigest(identity: string): string {
    return createHmac('sha256', this.key).update(`user:${identity}`).digest().subarray(0, 12).toString('base64url');
  }

  mint(c: { component: string; version: number; identity: string; path: string }): string {
    const claim = [
      c.component,
      c.version,
      this.userDigest(c.identity),
      randomBytes(9).toString('base64url'),
      c.path.slice(0, MAX_PATH),
      this.now(),
    ];
    const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claim of a token this gateway minted and that has not expired; else why not. */
  read(token: string): PageClaim | 'forged' | 'expired' {
    const dot = token.indexOf('.');
    if (dot <= 0) return 'forged';
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(payload))) return 'forged';
    // Signed by this gateway: the payload is its own JSON.
    const [component, version, user, page, path, issuedAt] = JSON.parse(
      Buffer.from(payload, 'base64url').toString(),
    ) as [string, number, string, string, string, number];
    if (this.now() - issuedAt > PAGE_TOKEN_TTL_SECONDS) return 'expired';
    return { component, version, user, page, path, issuedAt };
  }
}
