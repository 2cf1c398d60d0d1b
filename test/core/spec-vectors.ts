/** Loads spec/buckets.json and checks its shape, so a malformed file fails loudly. */
import { readFileSync } from 'node:fs';

export interface Murmur3Vector {
  readonly input: string;
  readonly seed: number;
  readonly hash: number;
}

export interface BucketVector {
  readonly seed: string;
  readonly identity: string;
  readonly hash: number;
  readonly bucket: number;
  readonly note?: string;
}

export interface SpecFile {
  readonly description: string;
  readonly murmur3: readonly Murmur3Vector[];
  readonly buckets: readonly BucketVector[];
}

const isUint32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

export function loadSpec(): SpecFile {
  const raw = JSON.parse(readFileSync(new URL('../../spec/buckets.json', import.meta.url), 'utf8')) as SpecFile;
  if (typeof raw.description !== 'string' || !Array.isArray(raw.murmur3) || !Array.isArray(raw.buckets)) {
    throw new Error('spec/buckets.json: expected description, murmur3[] and buckets[]');
  }
  for (const v of raw.murmur3) {
    if (typeof v.input !== 'string' || !isUint32(v.seed) || !isUint32(v.hash)) {
      throw new Error(`spec/buckets.json: bad murmur3 entry ${JSON.stringify(v)}`);
    }
  }
  for (const v of raw.buckets) {
    const okBucket = Number.isInteger(v.bucket) && v.bucket >= 0 && v.bucket < 10_000;
    if (typeof v.seed !== 'string' || typeof v.identity !== 'string' || !isUint32(v.hash) || !okBucket) {
      throw new Error(`spec/buckets.json: bad bucket entry ${JSON.stringify(v)}`);
    }
  }
  return raw;
}
