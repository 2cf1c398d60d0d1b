import reference from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import { murmur3 } from '../../src/core/murmur3.js';
import { prng } from '../helpers/random.js';
import { loadSpec } from './spec-vectors.js';

const encoder = new TextEncoder();
const referenceHash = (text: string, seed: number): number => reference.x86.hash32(encoder.encode(text), seed) >>> 0;
const spec = loadSpec();

/** True when the string has an unpaired surrogate (so TextEncoder emits U+FFFD for it). */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function randomCodeUnit(next: () => number): string {
  const between = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const kind = Math.floor(next() * 6);
  switch (kind) {
    case 0:
      return String.fromCharCode(between(0x00, 0x7f)); // 1 byte, incl. controls
    case 1:
      return String.fromCharCode(between(0x80, 0x7ff)); // 2 bytes
    case 2: {
      const c = between(0x800, 0xffff - 0x800); // 3 bytes, skipping the surrogate range
      return String.fromCharCode(c >= 0xd800 ? c + 0x800 : c);
    }
    case 3:
      return String.fromCodePoint(between(0x10000, 0x10ffff)); // 4 bytes, a surrogate pair
    case 4:
      return String.fromCharCode(between(0xd800, 0xdbff)); // lone high surrogate (unless a low follows)
    default:
      return String.fromCharCode(between(0xdc00, 0xdfff)); // lone low surrogate
  }
}

describe('murmur3 (x86, 32-bit, over UTF-8)', () => {
  it('the spec file has the published vectors the brief requires', () => {
    const has = (input: string, seed: number, hash: number): boolean =>
      spec.murmur3.some((v) => v.input === input && v.seed === seed && v.hash === hash);
    expect(has('', 0, 0)).toBe(true);
    expect(has('', 1, 0x514e28b7)).toBe(true);
    expect(has('Hello, world!', 1234, 0xfaf6cdb3)).toBe(true);
  });

  it.each(spec.murmur3.map((v) => [JSON.stringify(v.input), v.seed, v] as const))(
    'published vector %s seed %i',
    (_label, _seed, v) => {
      expect(referenceHash(v.input, v.seed)).toBe(v.hash); // the oracle agrees with the spec...
      expect(murmur3(v.input, v.seed)).toBe(v.hash); // ...and so does onebox
    },
  );

  it('hashes every bucket-vector key like the spec says', () => {
    for (const v of spec.buckets) {
      const key = `${v.seed}:${v.identity}`;
      expect({ key, hash: murmur3(key) }).toEqual({ key, hash: v.hash });
      expect({ key, hash: referenceHash(key, 0) }).toEqual({ key, hash: v.hash });
    }
  });

  it('defaults the seed to 0 and returns an unsigned 32-bit integer', () => {
    expect(murmur3('Hello, world!')).toBe(murmur3('Hello, world!', 0));
    // A hash with the top bit set comes back positive, not as a negative int32.
    expect(murmur3('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3('', 0xffffffff)).toBeGreaterThan(0x7fffffff);
  });

  it('matches the reference port on 2,000 random strings of random code points, incl. lone surrogates', () => {
    const next = prng(0x0eb0c5);
    let withLoneSurrogate = 0;
    let astral = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const units = Math.floor(next() * 40);
      let s = '';
      for (let i = 0; i < units; i++) s += randomCodeUnit(next);
      const seed = n % 2 === 0 ? 0 : Math.floor(next() * 4294967296);
      if (hasLoneSurrogate(s)) withLoneSurrogate++;
      if (/[\ud800-\udbff][\udc00-\udfff]/.test(s)) astral++;
      const want = referenceHash(s, seed);
      const got = murmur3(s, seed);
      if (got !== want) {
        mismatches.push(`#${n} seed ${seed} ${JSON.stringify(s)}: got ${got}, reference ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The generator really exercised the interesting cases.
    expect(withLoneSurrogate).toBeGreaterThan(500);
    expect(astral).toBeGreaterThan(500);
  });

  it('hashes every string length 0..64 like the reference (all tail lengths, several blocks)', () => {
    const next = prng(7);
    for (let len = 0; len <= 64; len++) {
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(0x20 + Math.floor(next() * 95));
      expect({ len, hash: murmur3(s, 42) }).toEqual({ len, hash: referenceHash(s, 42) });
    }
  });

  describe('lone surrogates hash as U+FFFD, as TextEncoder encodes them', () => {
    const cases: [string, string, string][] = [
      ['lone high surrogate', '\ud800', '\ufffd'],
      ['lone low surrogate', '\udfff', '\ufffd'],
      ['high surrogate at the end', 'abc\udbff', 'abc\ufffd'],
      ['high surrogate followed by ASCII', '\ud83dx', '\ufffdx'],
      ['two high surrogates then a low (first is lone)', '\ud83d\ud83d\ude00', '\ufffd\u{1f600}'],
      ['low before high (both lone)', '\ude00\ud83d', '\ufffd\ufffd'],
      ['lone surrogate between pairs', '😀\udc00😀', '😀\ufffd😀'],
    ];
    it.each(cases)('%s', (_name, input, wellFormed) => {
      expect([...encoder.encode(input)]).toEqual([...encoder.encode(wellFormed)]);
      expect(murmur3(input)).toBe(murmur3(wellFormed));
      expect(murmur3(input)).toBe(referenceHash(wellFormed, 0));
      expect(murmur3(input, 99)).toBe(referenceHash(input, 99));
    });

    it('a valid surrogate pair is one 4-byte code point, not two U+FFFD', () => {
      expect(murmur3('\ud83d\ude00')).toBe(referenceHash('\u{1f600}', 0));
      expect(murmur3('\ud83d\ude00')).not.toBe(murmur3('\ufffd\ufffd'));
    });
  });
});
