/**
 * What a page's script reports, as the beacon endpoint reads it. A beacon is untrusted input:
 * it is parsed here without throwing, bounded in every dimension, and it names no version.
 * The page it speaks for is named by the token the gateway put in the page (`t`); what
 * version served that page, for which user and which path, is read from that token, never
 * from anything else the client says.
 */

/** What went wrong in a page, as the script tells them apart. */
export const BROWSER_ERROR_KINDS = ['error', 'rejection', 'resource', 'app'] as const;
export type BrowserErrorKind = (typeof BROWSER_ERROR_KINDS)[number];

/** The largest beacon body read, bytes; a larger one is refused unread (413) and counted. */
export const MAX_BEACON_BYTES = 4096;
/** Errors one beacon may carry; the script sends at most this many per page. */
export const MAX_BEACON_ERRORS = 10;
/** A page token's length bound (the gateway's tokens are about 120 characters). */
const MAX_TOKEN_CHARS = 512;

export interface ParsedBeacon {
  /** The page token, as the gateway minted it (verified by the endpoint, not here). */
  readonly token: string;
  /** The page finished loading. */
  readonly load: boolean;
  /** The kinds of the errors the beacon reports (messages are not kept: they are the client's words). */
  readonly errors: readonly BrowserErrorKind[];
}

export type BeaconParse =
  { readonly ok: true; readonly beacon: ParsedBeacon } | { readonly ok: false; readonly problem: string };

const KINDS = new Set<string>(BROWSER_ERROR_KINDS);

/**
 * Reads a beacon body: `{"t": token, "l": true, "e": [{"k": "error"}, ...]}`. Anything else
 * (not JSON, a wrong type, an unknown kind, too many errors, neither load nor errors) is
 * malformed: the whole beacon is dropped, not guessed at.
 */
export function parseBeacon(text: string): BeaconParse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, problem: 'not an object' };
  const o = v as Record<string, unknown>;
  const token = o.t;
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS)
    return { ok: false, problem: 'no page token' };
  if (o.l !== undefined && typeof o.l !== 'boolean') return { ok: false, problem: 'l is not a boolean' };
  const list = o.e ?? [];
  if (!Array.isArray(list)) return { ok: false, problem: 'e is not a list' };
  if (list.length > MAX_BEACON_ERRORS) return { ok: false, problem: `more than ${MAX_BEACON_ERRORS} errors` };
  const errors: BrowserErrorKind[] = [];
  for (const item of list) {
    const kind = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).k : undefined;
    if (typeof kind !== 'string' || !KINDS.has(kind)) return { ok: false, problem: 'an error of no known kind' };
    errors.push(kind as BrowserErrorKind);
  }
  const load = o.l === true;
  if (!load && errors.length === 0) return { ok: false, problem: 'reports nothing' };
  return { ok: true, beacon: { token, load, errors } };
}

/** A beacon attributed by the gateway: what the recorder counts. */
export interface BrowserBeat {
  /** The user the page was served to (a digest of the gateway's identity, from the token). */
  readonly user: string;
  /** The page load (from the token): its beacons count once per kind. */
  readonly page: string;
  /** The path of the page (from the token). */
  readonly path: string;
  readonly load: boolean;
  readonly errors: readonly BrowserErrorKind[];
}
