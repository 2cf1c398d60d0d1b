/**
 * A token bucket per user for the beacon endpoint: a page sends a load beacon and a few
 * error batches, so a user gets `burst` beacons at once and `perMinute` after that. Pure:
 * the caller keeps the buckets and gives the time.
 */
export interface BeaconLimits {
  /** Beacons a user may send at once. Default 20. */
  readonly burst: number;
  /** Beacons a user may send per minute, sustained. Default 30. */
  readonly perMinute: number;
}

export const DEFAULT_BEACON_LIMITS: BeaconLimits = { burst: 20, perMinute: 30 };

export interface TokenBucket {
  readonly tokens: number;
  /** When `tokens` was counted, ms. */
  readonly at: number;
}

/** Takes one beacon's token from `bucket` (a new user's is full): whether it may pass, and the bucket after. */
export function takeBeaconToken(
  bucket: TokenBucket | undefined,
  now: number,
  limits: BeaconLimits,
): { readonly ok: boolean; readonly bucket: TokenBucket } {
  const refilled = bucket
    ? Math.min(limits.burst, bucket.tokens + (Math.max(0, now - bucket.at) * limits.perMinute) / 60_000)
    : limits.burst;
  if (refilled < 1) return { ok: false, bucket: { tokens: refilled, at: now } };
  return { ok: true, bucket: { tokens: refilled - 1, at: now } };
}
