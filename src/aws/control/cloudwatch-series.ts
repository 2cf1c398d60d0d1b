import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { coreBucketOf, LATENCY_METRIC_BUCKETS, VERSION_METRIC } from '../metrics.js';
import { seriesKey, type MetricPeriod } from './series-windows.js';

/** Periods of one minute: EMF metrics are standard resolution. */
export const PERIOD_MS = 60_000;
/** GetMetricData takes at most 500 queries a call. */
const MAX_QUERIES = 500;

/** A version whose traffic a tick reads, from `from` (epoch ms) on. */
export interface SeriesRequest {
  readonly component: string;
  /** The component's Lambda function, the metrics' FunctionName dimension. */
  readonly functionName: string;
  readonly version: number;
  readonly from: number;
}

interface Query {
  readonly key: string;
  readonly field: 'requests' | 'errors' | number;
  readonly query: MetricDataQuery;
}

/**
 * Reads versions' per-minute sums (requests, 5xx, latency bucket counts: what
 * withVersionMetrics writes) with GetMetricData, as the periods the controller's windows
 * are made of. A bucket no request fell in has no data and costs nothing in storage; each
 * queried metric costs the same ($0.01 per 1,000).
 */
export async function readSeries(
  cloudwatch: CloudWatchClient,
  namespace: string,
  requests: readonly SeriesRequest[],
  now: number,
): Promise<Map<string, MetricPeriod[]>> {
  const queries: Query[] = [];
  for (const r of requests) {
    const key = seriesKey(r.component, r.version);
    const metric = (name: string, field: Query['field']): void => {
      const id = `q${queries.length}`;
      queries.push({
        key,
        field,
        query: {
          Id: id,
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: name,
              Dimensions: [
                { Name: 'FunctionName', Value: r.functionName },
                { Name: 'Version', Value: String(r.version) },
              ],
            },
            Period: PERIOD_MS / 1000,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      });
    };
    metric(VERSION_METRIC.requests, 'requests');
    metric(VERSION_METRIC.errors, 'errors');
    for (let b = 0; b < LATENCY_METRIC_BUCKETS; b++) metric(`LatencyB${b}`, coreBucketOf(b));
  }
  const periods = new Map<string, Map<number, { requests: number; errors: number; latency: Map<number, number> }>>();
  const byId = new Map(queries.map((q) => [q.query.Id!, q]));
  const end = Math.floor(now / PERIOD_MS) * PERIOD_MS;
  for (let i = 0; i < queries.length; i += MAX_QUERIES) {
    const batch = queries.slice(i, i + MAX_QUERIES);
    const from = Math.min(...batch.map((q) => requests.find((r) => seriesKey(r.component, r.version) === q.key)!.from));
    const start = Math.floor(from / PERIOD_MS) * PERIOD_MS;
    if (start >= end) continue;
    let token: string | undefined;
    do {
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampAscending',
          MetricDataQueries: batch.map((q) => q.query),
          NextToken: token,
        }),
      );
      for (const result of out.MetricDataResults ?? []) {
        const q = byId.get(result.Id ?? '');
        if (!q) continue;
        const series = periods.get(q.key) ?? new Map();
        periods.set(q.key, series);
        const times = result.Timestamps ?? [];
        const values = result.Values ?? [];
        times.forEach((t, j) => {
          const at = new Date(t).getTime();
          const p = series.get(at) ?? { requests: 0, errors: 0, latency: new Map<number, number>() };
          series.set(at, p);
          const v = values[j] ?? 0;
          if (q.field === 'requests') p.requests += v;
          else if (q.field === 'errors') p.errors += v;
          else if (v > 0) p.latency.set(q.field, (p.latency.get(q.field) ?? 0) + v);
        });
      }
      token = out.NextToken;
    } while (token);
  }
  const out = new Map<string, MetricPeriod[]>();
  for (const [key, series] of periods)
    out.set(
      key,
      [...series.entries()].sort((a, b) => a[0] - b[0]).map(([at, p]) => ({ at, ...p })),
    );
  return out;
}
