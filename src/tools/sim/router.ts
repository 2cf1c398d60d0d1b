import { BUCKETS } from '../../core/bucket.js';
import type { AliasTarget } from '../../core/deployment.js';
import { chooseVersion, type AliasRouting, type RoutingMode } from '../../core/routing.js';
import type { Rng } from './random.js';

/**
 * Routes simulated requests with the gateway's own `chooseVersion`. In sticky mode the
 * choice is a pure function of (identity, seed, weights): the router asks once per user
 * and weight in a release and remembers the answer. In request mode it asks for every
 * request.
 */
export class Router {
  private alias: AliasRouting;
  private newVersion = 2;
  private rng: Rng | undefined;
  private readonly draw = (): number => this.rng!.next();
  /** Weights (basis points) whose answers are cached; slot i of a user is weight i. */
  private readonly weights: number[];
  /** Per user and cached weight: 0 unknown, 1 stable version, 2 new version. */
  private readonly cache: Uint8Array;
  /** The cache slot of the current weight, or -1 when not cached. */
  private slot = -1;

  constructor(
    private readonly ids: readonly string[],
    private readonly mode: RoutingMode,
    /** The weights the plan will use, known in advance (others are routed uncached). */
    weightsBp: readonly number[],
  ) {
    this.weights = [...new Set(weightsBp.filter((w) => w > 0 && w < BUCKETS))];
    this.cache = new Uint8Array(ids.length * Math.max(1, this.weights.length));
    this.alias = { version: 1, mode, seed: '' };
  }

  /** A new release from `fromVersion` to `newVersion`: its alias seed, and its draws. */
  reset(seed: string, rng: Rng, fromVersion: number, newVersion: number): void {
    this.rng = rng;
    this.newVersion = newVersion;
    this.alias = { version: fromVersion, mode: this.mode, seed };
    this.slot = -1;
    this.cache.fill(0);
  }

  /** Applies a `set-alias` effect of the reducer. */
  apply(target: AliasTarget): void {
    this.alias = { version: target.version, additional: target.additional, mode: this.mode, seed: this.alias.seed };
    const w = target.additional && target.additional.version === this.newVersion ? target.additional.weightBp : -1;
    this.slot = this.mode === 'sticky' ? this.weights.indexOf(w) : -1;
  }

  /** True when the new version serves this user's request. */
  toNew(user: number): boolean {
    if (this.slot < 0) return chooseVersion(this.alias, this.ids[user], this.draw).version === this.newVersion;
    const at = user * this.weights.length + this.slot;
    const known = this.cache[at]!;
    if (known !== 0) return known === 2;
    const fresh = chooseVersion(this.alias, this.ids[user], this.draw).version === this.newVersion;
    this.cache[at] = fresh ? 2 : 1;
    return fresh;
  }
}
