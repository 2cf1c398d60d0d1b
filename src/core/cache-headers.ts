/**
 * What a cache in front of the gateway needs to know while a component is split: the
 * response depends on who the user is. Pure string helpers, used on every split response.
 */

/** Adds `fields` to a Vary header value, keeping what the upstream already said. */
export function mergeVary(existing: string | undefined, fields: readonly string[]): string {
  if (!existing || existing.trim() === '') return fields.join(', ');
  if (existing.trim() === '*') return '*';
  const have = new Set(existing.split(',').map((f) => f.trim().toLowerCase()));
  const added = fields.filter((f) => !have.has(f.toLowerCase()));
  return added.length === 0 ? existing : `${existing}, ${added.join(', ')}`;
}

const SHARED_ONLY = /^(public|s-maxage)$/i;

/**
 * A response that sets a user's identity cookie must not be stored by a shared cache
 * (it would hand one id to many users). Keeps the upstream's other directives.
 */
export function privateCacheControl(existing: string | undefined): string {
  if (!existing) return 'private';
  const directives = existing
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !SHARED_ONLY.test(d.split('=')[0]!.trim()));
  if (directives.some((d) => /^(private|no-store)$/i.test(d))) return directives.join(', ');
  return ['private'].concat(directives).join(', '); // no spread: CloudFront Functions run this too
}
