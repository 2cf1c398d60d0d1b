import { murmur3Concat } from './murmur3.js';

/** Buckets run 0..BUCKETS-1; weights are expressed in the same unit (basis points). */
export const BUCKETS = 10_000;

/**
 * The user's bucket for a release seed: murmur3(seed + ":" + identity) * 10000 >> 32.
 * The product is below 2^53 and the divisor a power of two, so float math is exact.
 */
export function bucketOf(seed: string, identity: string): number {
  return Math.floor((murmur3Concat(`${seed}:`, identity) * BUCKETS) / 4294967296);
}
