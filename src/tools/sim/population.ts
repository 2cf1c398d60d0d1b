import { Rng } from './random.js';

/** Who sends the traffic: users whose activity follows Zipf's law, in sessions. */
export interface PopulationSpec {
  /** Distinct users who may come. */
  readonly users: number;
  /** Zipf exponent: user of rank r starts sessions in proportion to 1 / r^zipf. */
  readonly zipf: number;
  /** Mean requests in a session (geometric, at least 1). */
  readonly sessionRequests: number;
  /** Mean time between two requests of a session, ms (exponential). */
  readonly thinkTimeMs: number;
}

export const DEFAULT_POPULATION: PopulationSpec = { users: 20_000, zipf: 0.8, sessionRequests: 8, thinkTimeMs: 15_000 };

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The users, built once per (spec, seed) and shared by every release of a scenario:
 * identities shaped like onebox's cookie (22 base64url characters) and a Walker alias
 * table, so drawing the user of a new session is O(1) and allocates nothing.
 */
export class Population {
  readonly size: number;
  readonly ids: readonly string[];
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(
    readonly spec: PopulationSpec,
    seed: number,
  ) {
    if (!Number.isInteger(spec.users) || spec.users < 1)
      throw new RangeError(`users must be a positive whole number, got ${spec.users}`);
    if (!(spec.zipf >= 0)) throw new RangeError(`zipf exponent must be 0 or more, got ${spec.zipf}`);
    if (!(spec.sessionRequests >= 1))
      throw new RangeError(`mean session requests must be at least 1, got ${spec.sessionRequests}`);
    if (!(spec.thinkTimeMs > 0)) throw new RangeError(`think time must be positive, got ${spec.thinkTimeMs}`);
    this.size = spec.users;
    const rng = new Rng(seed ^ 0x51ed270b);
    const ids: string[] = new Array<string>(spec.users);
    for (let u = 0; u < spec.users; u++) {
      let id = '';
      for (let i = 0; i < 22; i++) id += BASE64URL[Math.floor(rng.next() * 64)];
      ids[u] = id;
    }
    this.ids = ids;
    const weights = new Float64Array(spec.users);
    for (let u = 0; u < spec.users; u++) weights[u] = 1 / (u + 1) ** spec.zipf;
    [this.prob, this.alias] = aliasTable(weights);
  }

  /** The user who starts a session: rank r with probability proportional to 1 / r^zipf. */
  sessionUser(rng: Rng): number {
    const n = this.size;
    const x = rng.next() * n;
    const i = Math.floor(x);
    return x - i < this.prob[i]! ? i : this.alias[i]!;
  }
}

/** Vose's alias method: O(n) to build, O(1) per draw. */
function aliasTable(weights: Float64Array): [Float64Array, Int32Array] {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / total;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let i = 0; i < n; i++) {
    if (scaled[i]! < 1) small[ns++] = i;
    else large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns]!;
    const l = large[--nl]!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    if (scaled[l]! < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  while (nl > 0) prob[large[--nl]!] = 1;
  while (ns > 0) prob[small[--ns]!] = 1; // float leftovers
  return [prob, alias];
}
