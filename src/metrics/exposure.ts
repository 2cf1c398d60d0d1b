import type { Exposure } from '../core/index.js';
import { DistinctCounter } from './distinct-counter.js';

/** Counts a deployment's blast radius (see Exposure) as the gateway serves users. */
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
