/**
 * What the gateway accepts as a request's target and Host before routing it (RFC 9112 3.2):
 * origin-form (`/path?q`) and absolute-form (`http://host/path?q`, which a server MUST
 * accept); at most one Host, with a valid value; bounded URL and header counts.
 */

/**
 * The longest request target accepted, bytes: CloudFront's URL limit (8,192 bytes), so a
 * URL that would fail at the edge fails here too, with 414 as there.
 */
export const MAX_URL_BYTES = 8192;

/**
 * The most request header fields accepted: node's own ceiling, past which it dropped the
 * rest silently; past it the gateway answers 431 instead.
 */
export const MAX_REQUEST_HEADERS = 1000;

/**
 * A Host field value: reg-name, IPv4 or bracketed IP literal, optional port (RFC 3986
 * 3.2.2-3.2.3; empty is allowed: a target without an authority sends `Host:` empty).
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

export const isValidHost = (value: string): boolean => HOST.test(value);

/** An absolute-form target split into its authority and its origin-form (path and query). */
export interface AbsoluteTarget {
  readonly authority: string;
  /** `/path?query`, `/` when the URI has no path. */
  readonly originForm: string;
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/**
 * An absolute-form target (`http://example.com/a?b`), or undefined when `target` is not
 * one (asterisk-form, authority-form and anything malformed are not requests to route).
 * The authority must be a valid Host: it takes the Host header's place (RFC 9112 3.2.2).
 */
export function absoluteForm(target: string): AbsoluteTarget | undefined {
  const m = ABSOLUTE.exec(target);
  if (!m || m[1] === '' || m[1]!.includes('@') || !isValidHost(m[1]!)) return undefined;
  const rest = m[2]!;
  return { authority: m[1]!, originForm: rest === '' ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest };
}
