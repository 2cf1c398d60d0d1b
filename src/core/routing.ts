import { BUCKETS, bucketOf } from './bucket.js';

/**
 * `sticky` (default): a user's bucket decides, so a user stays on one version and raising
 * the weight only adds users. `request`: a fresh draw per request, as Lambda's weighted
 * alias does; kept for parity and to show what it costs.
 */
export type RoutingMode = 'sticky' | 'request';
export const ROUTING_MODES: readonly RoutingMode[] = ['sticky', 'request'];

/** Lambda's alias routing config: one version, plus at most one more with a weight. */
export interface AliasRouting {
  readonly version: number;
  readonly additional?: { readonly version: number; readonly weightBp: number } | undefined;
  readonly mode: RoutingMode;
  /** Hashed with the identity; a new seed reshuffles which users come first. */
  readonly seed: string;
}

export interface RoutingChoice {
  readonly version: number;
  /** True when the additional (new) version serves this request. */
  readonly additional: boolean;
}

/**
 * Which version serves this identity. `draw` returns a number in [0, 1) and is used only
 * in request mode. Without an identity the stable version serves.
 */
export function chooseVersion(alias: AliasRouting, identity: string | undefined, draw: () => number): RoutingChoice {
  const extra = alias.additional;
  if (!extra || extra.weightBp <= 0) return { version: alias.version, additional: false };
  let admitted: boolean;
  if (extra.weightBp >= BUCKETS) admitted = true;
  else if (alias.mode === 'request') admitted = Math.floor(draw() * BUCKETS) < extra.weightBp;
  else admitted = identity !== undefined && bucketOf(alias.seed, identity) < extra.weightBp;
  return admitted ? { version: extra.version, additional: true } : { version: alias.version, additional: false };
}

/** A weight given as a fraction (0.2) to basis points (2000), rejecting what is not one. */
export function weightToBasisPoints(weight: number): number {
  if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw new RangeError(`weight must be a number from 0 to 1, got ${String(weight)}`);
  }
  return Math.round(weight * BUCKETS);
}

export function basisPointsToPercent(bp: number): string {
  return `${(bp / 100).toFixed(bp % 100 === 0 ? 0 : 2)}%`;
}

/** The seed a new split uses by default: stable for one (component, new version) pair. */
export function defaultSeed(component: string, additionalVersion: number): string {
  return `${component}@${additionalVersion}`;
}

/**
 * The seed of a deployment's split: one per deployment, kept for all its steps, so raising
 * the weight only adds users, and the next deployment reshuffles who comes first.
 */
export function deploymentSeed(d: {
  readonly id: string;
  readonly component: string;
  readonly toVersion: number;
}): string {
  return `${d.component}@${d.toVersion}:${d.id}`;
}
