import reference from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf } from '../../src/core/bucket.js';
import { murmur3 } from '../../src/core/murmur3.js';
import { prng, randomCookieId } from '../helpers/random.js';
import { loadSpec } from './spec-vectors.js';

const spec = loadSpec();
const encoder = new TextEncoder();
const bucketOfHash = (hash: number): number => Number((BigInt(hash) * 10_000n) >> 32n);
const utf8Length = (s: string): number => encoder.encode(s).length;

describe('spec/buckets.json', () => {
  it('covers what it promises', () => {
    const b = spec.buckets;
    expect(b.length).toBeGreaterThanOrEqual(60);
    expect(spec.description).toMatch(/floor\(hash \* 10000 \/ 2\^32\)/);
    expect(spec.description).toMatch(/seed \+ ":" \+ identity/);
    const residues = new Set(b.map((v) => utf8Length(`${v.seed}:${v.identity}`) % 4));
    expect([...residues].sort()).toEqual([0, 1, 2, 3]);
    const any = (re: RegExp): boolean => b.some((v) => re.test(v.seed) || re.test(v.identity));
    expect(any(/\p{Script=Han}/u)).toBe(true);
    expect(any(/\p{Script=Cyrillic}/u)).toBe(true);
    expect(any(/\p{Script=Arabic}/u)).toBe(true);
    expect(any(/[\u{10000}-\u{10ffff}]/u)).toBe(true);
    expect(any(/\p{M}/u)).toBe(true);
    expect(b.some((v) => v.seed === '')).toBe(true);
    expect(b.some((v) => v.identity === '')).toBe(true);
    expect(b.some((v) => v.seed.length > 200)).toBe(true);
    expect(b.some((v) => v.identity.length > 200)).toBe(true);
    expect(b.some((v) => v.bucket === 0)).toBe(true);
    expect(b.some((v) => v.bucket === 9999)).toBe(true);
  });

  it('is internally consistent and agrees with the reference port', () => {
    for (const v of spec.buckets) {
      const key = `${v.seed}:${v.identity}`;
      expect({ key, hash: reference.x86.hash32(encoder.encode(key), 0) >>> 0 }).toEqual({ key, hash: v.hash });
      expect({ key, bucket: bucketOfHash(v.hash) }).toEqual({ key, bucket: v.bucket });
    }
  });
});

describe('bucketOf', () => {
  it('has 10,000 buckets', () => {
    expect(BUCKETS).toBe(10_000);
  });

  it.each(spec.buckets.map((v, i) => [i, v.note ?? '', v] as const))('vector %i (%s)', (_i, _note, v) => {
    expect(bucketOf(v.seed, v.identity)).toBe(v.bucket);
  });

  it('is exactly floor(murmur3(seed:identity) * 10000 / 2^32) for 20,000 random ids', () => {
    const next = prng(11);
    for (let i = 0; i < 20_000; i++) {
      const id = randomCookieId(next);
      const b = bucketOf('api@7', id);
      const want = bucketOfHash(murmur3(`api@7:${id}`));
      if (b !== want) expect({ id, b }).toEqual({ id, b: want });
      expect(Number.isInteger(b) && b >= 0 && b < BUCKETS).toBe(true);
    }
  });

  it('hashes the plain concatenation, so the separator is not escaped', () => {
    expect(bucketOf('a:b', 'c')).toBe(bucketOf('a', 'b:c'));
  });

  it('depends on the seed and is not normalized', () => {
    const ids = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7', 'user-8'];
    const a = ids.map((id) => bucketOf('api@2', id));
    const b = ids.map((id) => bucketOf('api@3', id));
    expect(a).not.toEqual(b);
    // Precomposed vs decomposed é hash differently (vectors in the spec pin both values).
    expect(bucketOf('api@2', 'José')).not.toBe(bucketOf('api@2', 'Jose\u0301'));
  });
});
