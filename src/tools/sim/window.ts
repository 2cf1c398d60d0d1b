import type { BrowserWindow } from '../../core/browser-gate.js';
import type { Arm } from '../../core/judge.js';
import type { WindowStats } from '../../core/gate.js';
import { BUCKET_GROWTH, bucketUpperUs, LATENCY_BUCKETS, quantileBucket } from '../../core/latency-buckets.js';

/**
 * One version's traffic in a window (a deployment step, or an alarm period): what the
 * alarms read and what the judge compares. Reset in place, so a release allocates its
 * windows once.
 */
export class ArmWindow implements Arm {
  requests = 0;
  errors = 0;
  readonly latency = new Float64Array(LATENCY_BUCKETS);
  /** The new version's requests of warm-up still to come (see Arm.warmingUp). */
  warmingUp: number | undefined = undefined;
  /** Browser signals: distinct users with a page view in the window, and those with a browser error. */
  private users = 0;
  private errorUsers = 0;
  /** Per user, the window (epoch) in which they were last seen / last erred. */
  private seen: Int32Array = new Int32Array(0);
  private erred: Int32Array = new Int32Array(0);
  private epoch = 1;

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.latency.fill(0);
    this.users = this.errorUsers = 0;
    this.epoch++;
  }

  /** A page view of user `u` (of a population of `size`), reported from the browser: failed or not. */
  page(u: number, size: number, failed: boolean): void {
    if (this.seen.length < size) {
      this.seen = new Int32Array(size);
      this.erred = new Int32Array(size);
    }
    if (this.seen[u] !== this.epoch) {
      this.seen[u] = this.epoch;
      this.users++;
    }
    if (failed && this.erred[u] !== this.epoch) {
      this.erred[u] = this.epoch;
      this.errorUsers++;
    }
  }

  browser(): BrowserWindow {
    return { users: this.users, errorUsers: this.errorUsers };
  }

  /** The window as alarms read it; a percentile is its bucket's geometric middle (±2.5%). */
  stats(): WindowStats {
    const ms = (q: number): number => {
      const b = quantileBucket(this.latency, q);
      return b < 0 ? 0 : bucketUpperUs(b) / Math.sqrt(BUCKET_GROWTH) / 1000;
    };
    return { requests: this.requests, errors: this.errors, p50Ms: ms(0.5), p90Ms: ms(0.9), p99Ms: ms(0.99) };
  }
}
