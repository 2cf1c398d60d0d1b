import { takeBeaconToken, type BeaconLimits, type TokenBucket } from '../core/index.js';

/** Keys whose buckets are kept; the least recent are forgotten first (a forgotten key starts full). */
const KEPT = 100_000;

/** Token buckets by key (a user, a client address), bounded in memory: core's takeBeaconToken over an LRU map. */
export class RateBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: BeaconLimits,
    private readonly now: () => number,
  ) {}

  /** Takes one token of `key`'s bucket: whether it may pass. */
  take(key: string): boolean {
    const before = this.buckets.get(key);
    const { ok, bucket } = takeBeaconToken(before, this.now(), this.limits);
    if (before) this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > KEPT) this.buckets.delete(this.buckets.keys().next().value!);
    return ok;
  }
}

/** A set of keys bounded in memory: the least recently added are forgotten first. */
export class RecentKeys {
  private readonly keys = new Set<string>();

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > KEPT) this.keys.delete(this.keys.values().next().value!);
  }
}
