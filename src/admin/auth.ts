import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Constant-time bearer token check. Comparing digests keeps the time independent of
 * where the strings differ and of their lengths.
 */
export function tokenMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization || !authorization.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(authorization.slice(7).trim()), digest(token));
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
