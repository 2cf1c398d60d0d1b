import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An admin bearer token and who holds it, as the history names them. */
export interface NamedToken {
  readonly name: string;
  readonly token: string;
  /** The holder may only read (GET and HEAD: status, history, metrics, the event stream). Default false. */
  readonly readOnly?: boolean | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The name of the token the request carries, else undefined. Compared in constant time:
 * digests keep it independent of where the strings differ and of their lengths, and every
 * token is compared (no early exit), so the time does not tell which one nearly matched.
 */
export function callerOf(authorization: string | undefined, tokens: readonly NamedToken[]): string | undefined {
  return holderOf(authorization, tokens)?.name;
}

/** The token the request carries (with its name and rights), else undefined; compared as callerOf says. */
export function holderOf(authorization: string | undefined, tokens: readonly NamedToken[]): NamedToken | undefined {
  if (!authorization || !authorization.startsWith('Bearer ')) return undefined;
  const given = digest(authorization.slice(7).trim());
  let holder: NamedToken | undefined;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.token)) && holder === undefined) holder = t;
  return holder;
}

/** Methods a read-only token may use: they change nothing. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
