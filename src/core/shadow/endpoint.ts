/**
 * Groups requests by endpoint: method + path with identifiers replaced by `:id`, so
 * `/users/42` and `/users/7` are one endpoint.
 */
const ID_SEGMENT = [
  /^\d+$/, // 42
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^[0-9a-f]{12,}$/i, // hex ids, hashes
  /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$/, // opaque tokens with letters and digits
];

export function normalizeEndpoint(method: string, path: string): string {
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  const segments = bare.split('/').map((s) => (s !== '' && ID_SEGMENT.some((re) => re.test(s)) ? ':id' : s));
  return `${method.toUpperCase()} ${segments.join('/') || '/'}`;
}
