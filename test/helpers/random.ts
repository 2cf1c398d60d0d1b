/** Deterministic pseudo-random numbers for tests, so a failure can be replayed. */

/** mulberry32: a small, well-distributed 32-bit generator; returns numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An id shaped like the ones the gateway issues: 22 base64url characters. */
export function randomCookieId(next: () => number): string {
  let id = '';
  for (let i = 0; i < 22; i++) id += BASE64URL[Math.floor(next() * 64)];
  return id;
}

/** `count` distinct issued-style ids. */
export function distinctIds(count: number, seed: number): string[] {
  const next = prng(seed);
  const seen = new Set<string>();
  while (seen.size < count) seen.add(randomCookieId(next));
  return [...seen];
}
