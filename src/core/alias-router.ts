import { BUCKETS } from './bucket.js';
import {
  cookieValueStart,
  IDENTITY_COOKIE,
  isValidCookieId,
  isValidHeaderId,
  type Identity,
  type IdentitySource,
} from './identity.js';
import { finishHash, mixBlock } from './murmur3.js';
import { murmur3Resume, murmur3State, type Murmur3State } from './murmur3-resume.js';
import type { AliasRouting, RoutingChoice } from './routing.js';

/**
 * An alias prepared for the request path. It decides exactly as resolveIdentity followed by
 * chooseVersion (same identity, same bucket, same version; the tests hold it to that), but
 * with the work that depends only on the alias done once: the seed's murmur3 state, the two
 * possible choices. From a Cookie header it reads the identity cookie in place, checking and
 * hashing its characters in one pass, and slices out only the id it returns.
 */

/** How the additional version takes traffic. */
const NO_SPLIT = 0; // no additional version, or weight 0
const ALL = 1; // weight 100%
const PER_REQUEST = 2;
const STICKY = 3;

/** A cookie id's alphabet (base64url) and bounds: the same rule as isValidCookieId. */
const ID_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') ID_CHAR[c.charCodeAt(0)] = 1;
const MIN_COOKIE_ID = 22;
const MAX_COOKIE_ID = 64;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09;

/** Who the user is and which version serves them (one object: the request path allocates it alone). */
export interface RoutedRequest extends Identity {
  /** Where the identity came from: a routed request always carried one. */
  readonly source: Exclude<IdentitySource, 'new'>;
  readonly choice: RoutingChoice;
}

export class AliasRouter {
  private readonly split: number;
  private readonly weightBp: number;
  /** Shared, immutable results: choosing allocates nothing. */
  private readonly stable: RoutingChoice;
  private readonly additional: RoutingChoice;
  /** murmur3 state after `${seed}:`. */
  private readonly seedState: Murmur3State;

  constructor(readonly alias: AliasRouting) {
    const extra = alias.additional;
    this.weightBp = extra ? extra.weightBp : 0;
    this.split =
      !extra || extra.weightBp <= 0
        ? NO_SPLIT
        : extra.weightBp >= BUCKETS
          ? ALL
          : alias.mode === 'request'
            ? PER_REQUEST
            : STICKY;
    this.stable = Object.freeze({ version: alias.version, additional: false });
    this.additional = extra ? Object.freeze({ version: extra.version, additional: true }) : this.stable;
    this.seedState = murmur3State(`${alias.seed}:`);
  }

  /** Same as bucketOf(alias.seed, identity). */
  bucketOf(identity: string): number {
    return toBucket(murmur3Resume(this.seedState, identity, 0, identity.length));
  }

  /** Same as chooseVersion(alias, identity, draw). */
  choose(identity: string | undefined, draw: () => number): RoutingChoice {
    switch (this.split) {
      case NO_SPLIT:
        return this.stable;
      case ALL:
        return this.additional;
      case PER_REQUEST:
        return Math.floor(draw() * BUCKETS) < this.weightBp ? this.additional : this.stable;
      default:
        return identity !== undefined && this.bucketOf(identity) < this.weightBp ? this.additional : this.stable;
    }
  }

  /**
   * Same as resolveIdentity({ header, cookie, baggage }) and then chooseVersion with its id;
   * undefined when the request carries no usable identity (the caller issues one and calls
   * `choose`). Positional, so that the request path builds no inputs object.
   */
  route(
    header: string | undefined,
    cookie: string | undefined,
    baggage: string | undefined,
    draw: () => number,
  ): RoutedRequest | undefined {
    if (header !== undefined && isValidHeaderId(header)) {
      return { id: header, source: 'header', choice: this.choose(header, draw) };
    }
    if (cookie) {
      const routed = this.routeByCookie(cookie, draw);
      if (routed) return routed;
    }
    if (baggage !== undefined && (isValidCookieId(baggage) || isValidHeaderId(baggage))) {
      return { id: baggage, source: 'baggage', choice: this.choose(baggage, draw) };
    }
    return undefined;
  }

  /** readCookie + isValidCookieId + chooseVersion in one pass over the cookie's characters. */
  private routeByCookie(cookie: string, draw: () => number): RoutedRequest | undefined {
    let start = cookieValueStart(cookie, IDENTITY_COOKIE);
    if (start === -1) return undefined;
    const n = cookie.length;
    while (start < n && isSpace(cookie.charCodeAt(start))) start++;
    // One character past the longest id: a longer run of id characters is rejected.
    const limit = Math.min(n, start + MAX_COOKIE_ID + 1);
    let i = start;
    if (this.split !== STICKY) {
      while (i < limit && isIdChar(cookie.charCodeAt(i))) i++;
      if (!endsCookieId(cookie, start, i)) return undefined;
      const id = cookie.slice(start, i);
      return { id, source: 'cookie', choice: this.choose(id, draw) };
    }
    // murmur3Resume, fused with the alphabet check: it stops at the first non-id character.
    const seed = this.seedState;
    let h = seed.h;
    let tail = seed.tail;
    const tailBits = seed.tailBits;
    const spill = 31 - tailBits;
    for (; i + 4 <= limit; i += 4) {
      const c0 = cookie.charCodeAt(i);
      const c1 = cookie.charCodeAt(i + 1);
      const c2 = cookie.charCodeAt(i + 2);
      const c3 = cookie.charCodeAt(i + 3);
      if ((c0 | c1 | c2 | c3) >= 0x80 || (ID_CHAR[c0]! & ID_CHAR[c1]! & ID_CHAR[c2]! & ID_CHAR[c3]!) === 0) break;
      const w = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
      h = mixBlock(h, tail | (w << tailBits));
      tail = (w >>> 1) >>> spill;
    }
    let bits = tailBits;
    for (; i < limit; i++) {
      const c = cookie.charCodeAt(i);
      if (!isIdChar(c)) break;
      tail |= c << bits;
      bits += 8;
      if (bits === 32) {
        h = mixBlock(h, tail);
        tail = 0;
        bits = 0;
      }
    }
    if (!endsCookieId(cookie, start, i)) return undefined;
    const bucket = toBucket(finishHash(h, tail, bits, seed.length + (i - start)));
    return {
      id: cookie.slice(start, i),
      source: 'cookie',
      choice: bucket < this.weightBp ? this.additional : this.stable,
    };
  }
}

const isIdChar = (c: number): boolean => c < 0x80 && ID_CHAR[c] === 1;

/**
 * Whether cookie[start, end) is a whole, valid id: 22 to 64 id characters, then only
 * optional whitespace up to ";" or the end of the header (what readCookie trims).
 */
function endsCookieId(cookie: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < MIN_COOKIE_ID || length > MAX_COOKIE_ID) return false;
  let j = end;
  while (j < cookie.length && isSpace(cookie.charCodeAt(j))) j++;
  return j === cookie.length || cookie.charCodeAt(j) === 0x3b;
}

/** The bucket of a hash: hash * 10000 / 2^32, exact in float math (see bucketOf). */
const toBucket = (hash: number): number => Math.floor((hash * BUCKETS) / 4294967296);
