import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { bucketUpperUs, quantileBucket, type DeploymentRecord } from '../../core/index.js';
import type { VersionMetricsSnapshot } from '../../api/types.js';
import { PERIOD_MS, readSeries } from './cloudwatch-series.js';
import { SeriesWindows } from './series-windows.js';
import type { UserCounter } from './user-counts.js';

/**
 * `onebox status --aws`'s per-version traffic: each of a deployment's two versions over the
 * deployment's window (its first traffic to now, or to its end), in the local status's
 * shape. Requests, 5xx and latency are CloudWatch's sums of withVersionMetrics' metrics;
 * percentiles come from its latency buckets (each about 28% wide, so a percentile is the
 * bucket's upper bound, as the judge reads it), `max` the highest bucket anyone fell in;
 * users are Logs Insights' distinct count of the lines' `user` over the same window.
 * Upstream errors, timeouts and upgrades are the local gateway's own counts: 0 here (a
 * Lambda handler's failure is a 5xx).
 */
export async function versionTotals(
  cloudwatch: CloudWatchClient,
  users: UserCounter | undefined,
  namespace: string,
  functionName: string,
  record: DeploymentRecord,
  now: number,
): Promise<VersionMetricsSnapshot[]> {
  const s = record.state;
  if (s.trafficStartedAt === undefined) return [];
  const from = s.trafficStartedAt;
  // Through the minute the deployment ended in (or the last whole minute, while it runs).
  const end = s.endedAt === undefined ? now : Math.ceil(s.endedAt / PERIOD_MS) * PERIOD_MS;
  const versions = [s.fromVersion, s.toVersion];
  const requests = versions.map((version) => ({ component: s.component, functionName, version, from }));
  const [series, counted] = await Promise.all([
    readSeries(cloudwatch, namespace, requests, end),
    users?.count([{ component: s.component, functionName, versions, from, to: s.endedAt ?? now }]),
  ]);
  // Every period read counts (SeriesWindows counts those over a period before its now).
  const windows = new SeriesWindows(series, () => end + PERIOD_MS);
  const byVersion = counted?.get(s.component);
  return versions.map((version) => {
    const w = windows.since(s.component, version, Math.floor(from / PERIOD_MS) * PERIOD_MS);
    const ms = (q: number): number => (w.requests ? bucketUpperUs(quantileBucket(w.latency, q)) / 1000 : 0);
    return {
      component: s.component,
      version,
      requests: w.requests,
      errors5xx: w.errors,
      upstreamErrors: 0,
      upstreamTimeouts: 0,
      upgrades: 0,
      upgradeFailures: 0,
      latencyMs: { p50: ms(0.5), p90: ms(0.9), p99: ms(0.99), p999: ms(0.999), max: ms(1) },
      users: byVersion?.byVersion.get(version) ?? 0,
      usersExact: byVersion?.exact ?? false,
    };
  });
}
