import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tester tokens: a signed grant to reach one version of one component until a time, for
 * people who must try a version the split has not given them (a QA engineer on the 1%
 * canary). Signed with HMAC-SHA256 under `gateway.testerSecret`; the gateway honours one
 * only on a version-specific entrypoint, and only for a version the live alias routes.
 * Format: `v1.<base64url(JSON {c, v, exp})>.<base64url(mac)>`, exp in ms since the epoch.
 */

export interface TesterGrant {
  readonly component: string;
  readonly version: number;
  /** When the grant ends, ms since the epoch. */
  readonly expiresAt: number;
}

/** The header that carries a tester token. */
export const TESTER_HEADER = 'x-onebox-tester';

/** Longer tokens are not even parsed. */
const MAX_TOKEN = 512;

const mac = (secret: string, payload: string): Buffer => createHmac('sha256', secret).update(`v1.${payload}`).digest();

export function signTesterToken(secret: string, grant: TesterGrant): string {
  const payload = Buffer.from(
    JSON.stringify({ c: grant.component, v: grant.version, exp: grant.expiresAt }),
    'utf8',
  ).toString('base64url');
  return `v1.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The grant a token holds, or undefined when it is malformed, forged or expired at `now`. */
export function verifyTesterToken(secret: string, token: string, now: number): TesterGrant | undefined {
  if (token.length > MAX_TOKEN) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return undefined;
  const [, payload, signature] = parts as [string, string, string];
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let grant: unknown;
  try {
    grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { c, v, exp } = (grant ?? {}) as { c?: unknown; v?: unknown; exp?: unknown };
  if (typeof c !== 'string' || !Number.isInteger(v) || typeof exp !== 'number' || exp <= now) return undefined;
  return { component: c, version: v as number, expiresAt: exp };
}
