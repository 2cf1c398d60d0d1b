import { isWatched, type DeploymentRecord, type Exposure } from '../../core/index.js';
import type { UserCountRequest, UserCounter, UserCounts } from './user-counts.js';

/**
 * Each watched deployment's blast radius as the local ExposureTracker counts it: the
 * distinct users its new version served, of all users of either version, from its first
 * traffic on. Read before the tick (the controller's ports are synchronous), from the log
 * lines: one Logs Insights window per deployment. A deployment whose count could not be
 * read in time is absent, and keeps the exposure it stored last.
 */
export async function readExposures(
  users: UserCounter,
  records: readonly DeploymentRecord[],
  functionOf: (component: string) => string | undefined,
  now: number,
): Promise<Map<string, Exposure>> {
  const requests: (UserCountRequest & { id: string; toVersion: number })[] = [];
  for (const r of records) {
    const s = r.state;
    const functionName = functionOf(s.component);
    if (!isWatched(s.status) || s.step < 0 || !functionName) continue;
    requests.push({
      id: r.id,
      component: s.component,
      functionName,
      versions: [s.fromVersion, s.toVersion],
      from: s.trafficStartedAt ?? s.stepStartedAt,
      to: now,
      toVersion: s.toVersion,
    });
  }
  const out = new Map<string, Exposure>();
  if (!requests.length) return out;
  const counted = await users.count(requests);
  for (const r of requests) {
    const c = counted.get(r.component);
    if (c) out.set(r.id, exposureOf(c, r.toVersion));
  }
  return out;
}

export function exposureOf(c: UserCounts, version: number): Exposure {
  const usersOnNew = c.byVersion.get(version) ?? 0;
  // The users of both can only be fewer than the sum of each's when a count is an estimate.
  const activeUsers = Math.max(c.all, usersOnNew);
  return { usersOnNew, activeUsers, share: activeUsers ? usersOnNew / activeUsers : 0, exact: c.exact };
}
