/**
 * Skew protection at the edge: the page pin (`x-onebox-pin`) a page's script adds to its
 * own calls is the page token of src/gateway/page-token.ts, unchanged (payload `.` MAC,
 * HMAC-SHA256 truncated to 16 bytes, base64url). The edge checks it with the same key, read
 * from the KeyValueStore, so one token format serves both the gateway and CloudFront, and
 * an origin that mints pages with PageTokens and that key gets skew protection at the edge.
 * Written for the CloudFront Functions runtime 2.0 (ES 5.1 plus a few features; its
 * `crypto` module has createHmac, its Buffer has base64url): no node: imports.
 */


/** A pin is honoured this long after its page was served (the gateway's PAGE_TOKEN_TTL_SECONDS). */
export const EDGE_PIN_TTL_SECONDS = 86_400;

const MAC_BYTES = 16;

/** What a pinned call gets when its page's version is behind neither origin, or its pin expired: a reload. */
export const PAGE_GONE = 'gone';

/** The parts of the runtime's `crypto` module the edge uses (Node's has the same shape). */
export interface CfCrypto {
  createHmac(algorithm: 'sha256', key: string): { update(data: string): { digest(): Uint8Array } };
}

/** What a verified pin says: the component and version that served its page. */
export interface EdgePin {
  readonly component: string;
  readonly version: number;
}

/** Compares two strings in time that does not depend on where they differ (no timingSafeEqual here). */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The page a pin names, if `key` signed it and it has not expired; else why not. Never
 * throws: anything that is not a well-formed, signed token is 'forged'.
 */
export function readEdgePin(token: string, key: string, crypto: CfCrypto, nowSeconds: number): EdgePin | 'forged' | 'expired' {
  const dot = token.indexOf('.');
  if (dot <= 0 || key === '') return 'forged';
  const payload = token.slice(0, dot);
  const digest = crypto.createHmac('sha256', key).update(payload).digest();
  const mac = Buffer.from(digest).subarray(0, MAC_BYTES).toString('base64url');
  if (!sameText(mac, token.slice(dot + 1))) return 'forged';
  let claim: unknown;
  try {
    claim = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return 'forged';
  }
  // [component, version, user, page, path, issuedAt], as PageTokens.mint writes it.
  if (!Array.isArray(claim)) return 'forged';
  const component = claim[0];
  const version = claim[1];
  const issuedAt = claim[5];
  if (typeof component !== 'string' || typeof version !== 'number' || typeof issuedAt !== 'number') return 'forged';
  if (nowSeconds - issuedAt > EDGE_PIN_TTL_SECONDS) return 'expired';
  return { component, version };
}
