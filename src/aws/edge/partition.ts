import { chooseVersion } from '../../core/routing.js';

/**
 * The two partitions of a one-box frontend and the request header that carries the
 * viewer's partition from the viewer-request function to the cache key, the origin and the
 * origin-response function.
 */
export const ONE_BOX = 'one-box';
export const REGULAR = 'regular';
export type Partition = typeof ONE_BOX | typeof REGULAR;

/** Default name of the partition header (lowercase: CloudFront Functions see lowercase names). */
export const PARTITION_HEADER = 'x-onebox-partition';

/** Default KeyValueStore key holding `{"percent": 20, "seed": "..."}`. */
export const DEFAULT_KVS_KEY = 'onebox';

/** What the KeyValueStore holds: the one-box share of users and the seed they hash with. */
export interface EdgeSplit {
  /** Share of users on the one-box, 0..100 (two decimals count: weights are basis points). */
  readonly percent: number;
  /** Hashed with each identity; a new seed reshuffles which users come first. */
  readonly seed: string;
  /**
   * The versions behind the regular and one-box origins, when the controller writes them
   * (ProdOneBoxApp does; a StickyEdge-only store does not): a pinned request is routed by
   * them, and without them pins are ignored.
   */
  readonly stable?: number;
  readonly canary?: number;
}

/** A KeyValueStore value holds at most 1 KB; the seed leaves room for the rest of the JSON. */
const MAX_SEED = 960;

/**
 * Reads a split from the store's text, or returns a reason it is not one. The edge routes
 * everyone to the regular partition on a bad value (fail safe) and logs the reason.
 */
export function parseEdgeSplit(text: string): EdgeSplit | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const percent = (value as { percent?: unknown }).percent;
  const seed = (value as { seed?: unknown }).seed;
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) return 'percent must be a number from 0 to 100';
  // Any string hashes, the empty one too (spec/buckets.json pins it), as in the gateway.
  if (typeof seed !== 'string' || seed.length > MAX_SEED)
    return 'seed must be a string of at most ' + MAX_SEED + ' characters';
  const split: { percent: number; seed: string; stable?: number; canary?: number } = { percent, seed };
  const stable = (value as { stable?: unknown }).stable;
  const canary = (value as { canary?: unknown }).canary;
  // Versions are optional (only pins read them): a bad one is left out, never fails the split.
  if (typeof stable === 'number' && stable >= 0 && stable % 1 === 0) split.stable = stable;
  if (typeof canary === 'number' && canary >= 0 && canary % 1 === 0) split.canary = canary;
  return split;
}

/**
 * The partition a viewer's split puts them in: core's chooseVersion with the regular
 * partition as the stable version and the one-box as the additional one, so a viewer lands
 * where the local gateway would put them. The edge and the backend helper (a server-side
 * call's user, by their baggage) both decide with it.
 */
export function partitionFor(split: EdgeSplit, id: string): Partition {
  const weightBp = Math.round(split.percent * 100);
  const alias = { version: 0, additional: { version: 1, weightBp }, mode: 'sticky' as const, seed: split.seed };
  return chooseVersion(alias, id, () => 1).additional ? ONE_BOX : REGULAR;
}
