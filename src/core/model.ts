import type { AliasRouting } from './routing.js';

/** A deployable unit with a route; declared in config. */
export interface Component {
  readonly name: string;
  /** Path prefix that routes to this component, e.g. `/api`. */
  readonly route: string;
}

/** An immutable snapshot of a component. Numbers are never reused. */
export interface Version {
  readonly component: string;
  readonly number: number;
  /** Upstream URL (origin, optionally with a base path). */
  readonly target: string;
  readonly description?: string | undefined;
  readonly createdAt: string;
  readonly retiredAt?: string | undefined;
}

/** The only alias for now; named like Lambda's so AWS users feel at home. */
export const LIVE_ALIAS = 'live';

export interface Alias extends AliasRouting {
  readonly component: string;
  readonly name: string;
  readonly updatedAt: string;
}

/** Injected time source: epoch milliseconds. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
