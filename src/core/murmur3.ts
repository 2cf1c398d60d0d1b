/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of a JS string.
 *
 * Encoding and hashing happen in one pass so the request path allocates nothing. Every
 * runtime (gateway, Lambda@Edge, CloudFront Functions) uses this one implementation; it is
 * checked against spec/buckets.json and, in tests, against the reference port
 * (murmurhash3js-revisited) on random inputs.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(text: string, seed?: number): number {
  return murmur3Concat(text, '', seed);
}

/**
 * murmur3(head + tail) without building the joined string: V8 would join them as a rope and
 * flatten it (an allocation and a copy) at the first read, which costs more than the hash.
 */
export function murmur3Concat(head: string, tail: string, seed?: number): number {
  // No default parameter: CloudFront Functions (ES 5.1 plus a few ES 6 features) lack them.
  let h = (seed === undefined ? 0 : seed) >>> 0;
  const split = head.length;
  const n = split + tail.length;
  let i = 0;
  // Fast path: four ASCII characters are one block (identities and seeds are ASCII). About
  // four times faster than feeding bytes one at a time.
  for (; i + 4 <= n; i += 4) {
    const c0 = i < split ? head.charCodeAt(i) : tail.charCodeAt(i - split);
    const c1 = i + 1 < split ? head.charCodeAt(i + 1) : tail.charCodeAt(i + 1 - split);
    const c2 = i + 2 < split ? head.charCodeAt(i + 2) : tail.charCodeAt(i + 2 - split);
    const c3 = i + 3 < split ? head.charCodeAt(i + 3) : tail.charCodeAt(i + 3 - split);
    if ((c0 | c1 | c2 | c3) >= 0x80) break;
    let k = Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let block = 0; // up to 4 pending bytes, little-endian
  let filled = 0; // bits of `block` already used: 0, 8, 16 or 24
  let length = i; // the fast path's characters were one byte each

  for (; i < n; i++) {
    let code = i < split ? head.charCodeAt(i) : tail.charCodeAt(i - split);
    let bytes: number; // up to 4 UTF-8 bytes of this code point, first byte lowest
    let count: number;
    if (code < 0x80) {
      bytes = code;
      count = 1;
    } else {
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
        const low = i + 1 < split ? head.charCodeAt(i + 1) : tail.charCodeAt(i + 1 - split);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      // A lone surrogate encodes as U+FFFD, as TextEncoder does.
      if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
      if (code < 0x800) {
        bytes = 0xc0 | (code >> 6) | ((0x80 | (code & 0x3f)) << 8);
        count = 2;
      } else if (code < 0x10000) {
        bytes = 0xe0 | (code >> 12) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | ((0x80 | (code & 0x3f)) << 16);
        count = 3;
      } else {
        bytes =
          0xf0 |
          (code >> 18) |
          ((0x80 | ((code >> 12) & 0x3f)) << 8) |
          ((0x80 | ((code >> 6) & 0x3f)) << 16) |
          ((0x80 | (code & 0x3f)) << 24);
        count = 4;
      }
    }
    // Feed the bytes one at a time into the 4-byte block (no closure, no allocation).
    for (let b = 0; b < count; b++) {
      block |= ((bytes >>> (b * 8)) & 0xff) << filled;
      filled += 8;
      length++;
      if (filled === 32) {
        let k = Math.imul(block, C1);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, C2);
        h ^= k;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
        block = 0;
        filled = 0;
      }
    }
  }

  return finishHash(h, block, filled, length);
}

/** One 4-byte block mixed into the running hash. */
export function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The last partial block (`pending` > 0 when it holds any bytes) and the avalanche: the finished 32-bit hash. */
export function finishHash(h: number, tail: number, pending: number, length: number): number {
  if (pending > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
