import { finishHash, mixBlock, murmur3Concat } from './murmur3.js';

/**
 * murmur3 resumed after a fixed prefix. A release's seed is hashed with every request's
 * identity (`seed:identity`); hashing the prefix once per alias, then only the identity's
 * characters per request, gives the same hash as murmur3Concat with half the work and no
 * string built per request. Not bundled into CloudFront Functions (murmur3.ts is).
 */
/** The hash state after a prefix: full blocks mixed into `h`, 0-3 bytes pending in `tail`. */
export interface Murmur3State {
  /** The prefix itself, for the slow path (identities with non-ASCII characters). */
  readonly prefix: string;
  readonly seed: number;
  readonly h: number;
  /** Pending bytes of the prefix, little-endian. */
  readonly tail: number;
  /** Bits of `tail` in use: 0, 8, 16 or 24. */
  readonly tailBits: number;
  /** UTF-8 length of the prefix. */
  readonly length: number;
}

const encoder = new TextEncoder();

export function murmur3State(prefix: string, seed = 0): Murmur3State {
  const bytes = encoder.encode(prefix);
  let h = seed >>> 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  let tail = 0;
  let tailBits = 0;
  for (; i < bytes.length; i++, tailBits += 8) tail |= bytes[i]! << tailBits;
  return { prefix, seed: seed >>> 0, h, tail, tailBits, length: bytes.length };
}

/** murmur3(state.prefix + text.slice(start, end)), reading `text` in place. */
export function murmur3Resume(state: Murmur3State, text: string, start: number, end: number): number {
  let h = state.h;
  let tail = state.tail;
  const tailBits = state.tailBits;
  // The bits of a block that spill into the next one. `(w >>> 1) >>> (31 - bits)` is
  // `w >>> (32 - bits)` except that it is 0 for bits = 0, where JS would shift by 32 mod 32 = 0.
  const spill = 31 - tailBits;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) return slowResume(state, text, start, end);
    const w = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    h = mixBlock(h, tail | (w << tailBits));
    tail = (w >>> 1) >>> spill;
  }
  let bits = tailBits;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return slowResume(state, text, start, end);
    tail |= c << bits;
    bits += 8;
    if (bits === 32) {
      h = mixBlock(h, tail);
      tail = 0;
      bits = 0;
    }
  }
  return finishHash(h, tail, bits, state.length + (end - start));
}

/** Non-ASCII identities (none that onebox issues or accepts from a cookie): the general path. */
function slowResume(state: Murmur3State, text: string, start: number, end: number): number {
  return murmur3Concat(state.prefix, text.slice(start, end), state.seed);
}
