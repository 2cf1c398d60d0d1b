/**
 * Hop-by-hop headers (RFC 9110 7.6.1) apply to one connection and are never forwarded,
 * whichever way an answer goes: proxied by the gateway, or made of a handler's result.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Extra hop-by-hop names listed in a Connection header, lowercased. */
export function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value || value === 'keep-alive' || value === 'close') return undefined;
  const tokens = value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return tokens.length ? new Set(tokens) : undefined;
}
