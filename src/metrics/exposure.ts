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

/** What a tracker counted (a restart's carried count is added by core's carryExposure). */
export function exposureOf(t: ExposureTracker): Exposure {
  const usersOnNew = t.onNew.count;
  const activeUsers = t.active.count;
  return {
    usersOnNew,
    activeUsers,
    share: activeUsers ? usersOnNew / activeUsers : 0,
    exact: t.onNew.isExact && t.active.isExact,
  };
}
