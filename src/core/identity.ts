/**
 * Who the user is, for routing. Our own cookie by default; a configured header (an
 * authenticated user id set by a trusted layer) takes precedence; a propagated W3C
 * baggage member is the fallback for server-to-server hops. Anything malformed or
 * oversized is ignored: the user is then treated as new, never rejected.
 */

/** Name of the cookie onebox issues to every new user. */
export const IDENTITY_COOKIE = 'onebox-uid';

/** Issued ids are 128 random bits in base64url (22 chars); accept a little headroom. */
const COOKIE_ID = /^[A-Za-z0-9_-]{22,64}$/;

/** Header-provided ids: visible ASCII, 1..256 characters. */
const MAX_HEADER_ID = 256;

export type IdentitySource = 'header' | 'cookie' | 'baggage' | 'new';

export interface Identity {
  readonly id: string;
  readonly source: IdentitySource;
}

export function isValidCookieId(value: string): boolean {
  return COOKIE_ID.test(value);
}

export function isValidHeaderId(value: string): boolean {
  if (value.length === 0 || value.length > MAX_HEADER_ID) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Where the value of the first `name` cookie-pair starts (just after its "="), or -1 when
 * the header has none. Found with indexOf, without parsing the whole header.
 */
export function cookieValueStart(header: string, name: string): number {
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return -1;
    // The name must start a cookie-pair: at the start, or after ";" and optional spaces.
    let back = at - 1;
    while (back >= 0 && header.charCodeAt(back) === 0x20) back--;
    const eq = at + name.length;
    if ((back < 0 || header.charCodeAt(back) === 0x3b) && header.charCodeAt(eq) === 0x3d) return eq + 1;
    from = eq;
  }
  return -1;
}

/**
 * Finds a cookie's value in a Cookie header without parsing the whole header.
 * Returns undefined when absent; the caller validates the value.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let start = cookieValueStart(header, name);
  if (start === -1) return undefined;
  let end = header.indexOf(';', start);
  if (end === -1) end = header.length;
  // Optional whitespace around the value (RFC 6265's cookie-pair allows none; browsers may).
  while (start < end && isSpace(header.charCodeAt(start))) start++;
  while (end > start && isSpace(header.charCodeAt(end - 1))) end--;
  return header.slice(start, end);
}

export interface IdentityInputs {
  /** Value of the configured identity header, if one is configured and present. */
  readonly header?: string | undefined;
  /** The raw Cookie header. */
  readonly cookie?: string | undefined;
  /** The onebox-uid member of the baggage header, already decoded. */
  readonly baggage?: string | undefined;
}

/** Picks the identity, or undefined when the request carries no usable one. */
export function resolveIdentity(inputs: IdentityInputs): Identity | undefined {
  if (inputs.header !== undefined && isValidHeaderId(inputs.header)) {
    return { id: inputs.header, source: 'header' };
  }
  const fromCookie = readCookie(inputs.cookie, IDENTITY_COOKIE);
  if (fromCookie !== undefined && isValidCookieId(fromCookie)) {
    return { id: fromCookie, source: 'cookie' };
  }
  if (inputs.baggage !== undefined && (isValidCookieId(inputs.baggage) || isValidHeaderId(inputs.baggage))) {
    return { id: inputs.baggage, source: 'baggage' };
  }
  return undefined;
}

export interface CookieOptions {
  /** Cookie lifetime in seconds. */
  readonly maxAgeSeconds: number;
  /** Add the Secure attribute (the request came over https). */
  readonly secure: boolean;
}

/** Default cookie lifetime: 400 days, the longest browsers honour. */
export const DEFAULT_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

export function identityCookie(id: string, options: CookieOptions): string {
  const secure = options.secure ? '; Secure' : '';
  return `${IDENTITY_COOKIE}=${id}; Path=/; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}
