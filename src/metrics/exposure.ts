import { DistinctCounter } from './distinct-counter.js';

/**
 * Blast radius of one deployment: distinct users the new version served, out of all
 * users of the component, from the moment the deployment started sending traffic.
 */
export class ExposureTracker {
  readonly onNew = new DistinctCounter();
  readonly active = new DistinctCounter();

  constructor(
    readonly deploymentId: string,
    readonly version: number,
  ) {}

  see(version: number, userId: string): void {
    this.active.add(userId);
    if (version === this.version) this.onNew.add(userId);
  }
}

export interface Exposure {
  readonly usersOnNew: number;
  readonly activeUsers: number;
  /** usersOnNew / activeUsers (0 when nobody came). */
  readonly share: number;
  /** False once either count is an estimate, or when it spans a restart (then an upper bound). */
  readonly exact: boolean;
}

export function exposureOf(t: ExposureTracker, carried?: Exposure): Exposure {
  const usersOnNew = t.onNew.count + (carried?.usersOnNew ?? 0);
  const activeUsers = t.active.count + (carried?.activeUsers ?? 0);
  return {
    usersOnNew,
    activeUsers,
    share: activeUsers ? usersOnNew / activeUsers : 0,
    exact: t.onNew.isExact && t.active.isExact && !carried,
  };
}
