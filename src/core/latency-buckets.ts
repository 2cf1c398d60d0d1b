/**
 * Log-spaced latency buckets (5% wide, 1 µs to about 30 minutes): coarse enough to keep
 * per window, fine enough for rank tests and tail comparisons, and the same for every
 * version so two windows can be compared bucket by bucket.
 */
export const BUCKET_GROWTH = 1.05;
export const LATENCY_BUCKETS = 440;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);

export function latencyBucket(us: number): number {
  if (!(us > 1)) return 0;
  const i = Math.floor(Math.log(us) / LOG_GROWTH);
  return i < LATENCY_BUCKETS ? i : LATENCY_BUCKETS - 1;
}

/** Upper edge of bucket i, in µs. */
export function bucketUpperUs(i: number): number {
  return BUCKET_GROWTH ** (i + 1);
}

/** Index of the bucket holding quantile q (0..1) of `counts`, or -1 when empty. */
export function quantileBucket(counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return -1;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return i;
  }
  return counts.length - 1;
}
