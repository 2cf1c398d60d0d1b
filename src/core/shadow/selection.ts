import { BUCKETS, bucketOf } from '../bucket.js';
import { shadowSeed } from './defaults.js';
import type { ShadowPolicy } from './policy.js';

/**
 * Which requests a shadow gets a copy of, and what of them: the policy's methods, its
 * sticky share of users (the same users on every request, hashed with the shadow's own
 * seed), and its dropped headers (credentials by default).
 */
export class ShadowSelection {
  private readonly shareBp: number;
  private readonly seed: string;
  private readonly methods: ReadonlySet<string>;
  private readonly dropped: ReadonlySet<string>;

  constructor(component: string, policy: ShadowPolicy) {
    this.shareBp = Math.round(policy.share * BUCKETS);
    this.seed = shadowSeed(component, policy.version);
    this.methods = new Set(policy.methods);
    this.dropped = new Set(policy.dropHeaders);
  }

  /** Whether this request is mirrored: method allowed, user in the (sticky) share. */
  wants(method: string, userId: string): boolean {
    if (!this.methods.has(method)) return false;
    return this.shareBp >= BUCKETS || bucketOf(this.seed, userId) < this.shareBp;
  }

  /** The headers a copy carries (flat, lowercase names): the dropped ones and Content-Length left out. */
  copiedHeaders(headers: readonly string[]): string[] {
    const kept: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (!this.dropped.has(name) && name !== 'content-length') kept.push(name, headers[i + 1]!);
    }
    return kept;
  }
}
