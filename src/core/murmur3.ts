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

export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  let block = 0; // up to 4 pending bytes, little-endian
  let filled = 0; // how many bytes are pending in `block`
  let length = 0;

  const push = (byte: number): void => {
    block |= byte << (filled * 8);
    filled++;
    length++;
    if (filled === 4) {
      let k = Math.imul(block, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      block = 0;
      filled = 0;
    }
  };

  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      push(code);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate encodes as U+FFFD, as TextEncoder does.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x800) {
      push(0xc0 | (code >> 6));
      push(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      push(0xe0 | (code >> 12));
      push(0x80 | ((code >> 6) & 0x3f));
      push(0x80 | (code & 0x3f));
    } else {
      push(0xf0 | (code >> 18));
      push(0x80 | ((code >> 12) & 0x3f));
      push(0x80 | ((code >> 6) & 0x3f));
      push(0x80 | (code & 0x3f));
    }
  }

  if (filled > 0) {
    let k = Math.imul(block, C1);
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
