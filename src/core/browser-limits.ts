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

/**
 * Per client address (the socket's, or the trusted proxy's X-Forwarded-For entry), beside
 * the per-user limits: one client that makes itself new identities (fresh cookies) is still
 * one address. Sized for an office behind one NAT: 600 beacons at once and 600 a minute
 * (a hundred people browsing) pass untouched.
 */
export const DEFAULT_IP_BEACON_LIMITS: BeaconLimits = { burst: 600, perMinute: 600 };

/**
 * Users with a browser error one address can add, all versions together (a user counts
 * once per version): 5 at once, then 1 a minute.
 * The gate's unit is the user, and identities cost a client nothing, so this is what bounds
 * one client's weight in the gate: over a ten-minute one-box, at most 15 users with an error
 * from one address, however many identities it makes. An office behind one NAT hit by a bad
 * release counts as up to that many users with an error; the users of every other address
 * still count in full, so a bad version is still caught.
 */
export const DEFAULT_IP_ERROR_USER_LIMITS: BeaconLimits = { burst: 5, perMinute: 1 };
