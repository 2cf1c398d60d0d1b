/**
 * Per-version metrics from a Lambda handler, in CloudWatch's embedded metric format (EMF):
 * one JSON log line per invocation that CloudWatch turns into metrics, no API call and no
 * agent. Each line carries the function's name and **version** as dimensions, so an alarm
 * can watch the new version's own 5xx rate while a deployment shifts traffic (a handler
 * that answers 500 is not a Lambda error: Lambda's Errors metric never sees it).
 *
 * Import it from `onebox/aws/metrics` in handler code: it needs no AWS SDK and no CDK.
 *
 *   export const handler = withVersionMetrics(async (event) => ({ statusCode: 200, body: 'ok' }));
 */

import { LATENCY_BUCKETS, latencyBucket } from '../core/latency-buckets.js';
import { requestUser } from './user-key.js';

/** The `user` key of a log line (the browser beacon's lines use it too, so both name the same people). */
export { userKey } from './user-key.js';

/** Default CloudWatch namespace of the metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'onebox';

/** Metric names, as alarms refer to them. */
export const VERSION_METRIC = {
  /** Invocations, one per handled event. */
  requests: 'Requests',
  /** Invocations that threw or answered with a 5xx status. */
  errors: 'Errors5xx',
  /** Handler time in milliseconds. */
  latency: 'Latency',
} as const;

/**
 * Latency as bucket counts, so the control plane's judge sees each version's whole
 * distribution (its rank test and tail checks), not only the percentiles CloudWatch keeps:
 * every invocation counts 1 in `LatencyB<n>`, bucket n of core's log-spaced buckets taken
 * LATENCY_GROUP at a time (5% wide each, so 1.05^5, about 28% wide: 88 buckets from 1 µs to
 * 30 minutes, of which a web handler's 1 ms .. 60 s use about 45). A bucket that no request
 * fell in is never written, so it costs nothing.
 */
export const LATENCY_GROUP = 5;
/** How many `LatencyB<n>` buckets exist. */
export const LATENCY_METRIC_BUCKETS = Math.ceil(LATENCY_BUCKETS / LATENCY_GROUP);

/** The name of the bucket metric that a latency in milliseconds counts in. */
export function latencyBucketMetric(ms: number): string {
  return `LatencyB${Math.floor(latencyBucket(ms * 1000) / LATENCY_GROUP)}`;
}

/** The core bucket that stands for bucket metric n: the middle of the buckets it groups. */
export function coreBucketOf(n: number): number {
  return Math.min(n * LATENCY_GROUP + Math.floor(LATENCY_GROUP / 2), LATENCY_BUCKETS - 1);
}

/** Dimension names of every metric line. */
export const VERSION_DIMENSIONS = ['FunctionName', 'Version'] as const;

export interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'Milliseconds' | 'None';
}

/**
 * One EMF log line. `properties` are logged with it but are no metric and no dimension
 * (CloudWatch ignores them; Logs Insights reads them): withVersionMetrics' `user`.
 */
export function emfLine(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  metrics: readonly MetricValue[],
  timestamp: number,
  properties: Readonly<Record<string, string>> = {},
): string {
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...properties,
    ...dimensions,
  };
  for (const m of metrics) document[m.name] = m.value;
  return JSON.stringify(document);
}

export interface VersionMetricsOptions {
  /** CloudWatch namespace. Default `onebox`. */
  readonly namespace?: string;
  /** Default: the AWS_LAMBDA_FUNCTION_NAME environment variable. */
  readonly functionName?: string;
  /** Default: AWS_LAMBDA_FUNCTION_VERSION (the number the alias invoked, `$LATEST` otherwise). */
  readonly version?: string;
  /** Add `x-onebox-version: <function>:<version>` to structured responses. Default true. */
  readonly versionHeader?: boolean;
  /**
   * The header that carries the user's id when the edge is configured with one (as
   * StickyEdge's `identityHeader`); else the `onebox-uid` member of `baggage` names the
   * user. The line's `user` is a hash of it (userKey), never the id. Default none.
   */
  readonly identityHeader?: string;
  /** Where lines go. Default: stdout, which Lambda sends to CloudWatch Logs. */
  readonly write?: (line: string) => void;
  /** Epoch milliseconds, for the line's timestamp. Default Date.now. */
  readonly now?: () => number;
  /** A monotonic clock in milliseconds, for latency. Default performance.now. */
  readonly elapsed?: () => number;
}

type Handler<E, C, R> = (event: E, context: C) => Promise<R>;

function statusOf(result: unknown): number {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const status = Number((result as { statusCode: unknown }).statusCode);
    return Number.isFinite(status) ? status : 200;
  }
  // API Gateway's shorthands (a string, or an object without statusCode) answer 200.
  return 200;
}

/** Wraps a handler: one metrics line per invocation, the version header on its answer. */
export function withVersionMetrics<E, C, R>(
  handler: Handler<E, C, R>,
  options: VersionMetricsOptions = {},
): Handler<E, C, R> {
  const namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const elapsed = options.elapsed ?? (() => performance.now());
  const addHeader = options.versionHeader ?? true;
  return async (event, context) => {
    const functionName = options.functionName ?? process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'unknown';
    const version = options.version ?? process.env['AWS_LAMBDA_FUNCTION_VERSION'] ?? '$LATEST';
    const user = requestUser(event, options.identityHeader);
    const started = elapsed();
    let failed = true;
    try {
      const result = await handler(event, context);
      failed = statusOf(result) >= 500;
      if (addHeader && typeof result === 'object' && result !== null && 'statusCode' in result) {
        const withHeaders = result as { headers?: Record<string, unknown> };
        withHeaders.headers = { ...withHeaders.headers, 'x-onebox-version': `${functionName}:${version}` };
      }
      return result;
    } finally {
      const ms = Math.round((elapsed() - started) * 100) / 100;
      const metrics: MetricValue[] = [
        { name: VERSION_METRIC.requests, value: 1, unit: 'Count' },
        { name: VERSION_METRIC.errors, value: failed ? 1 : 0, unit: 'Count' },
        { name: VERSION_METRIC.latency, value: ms, unit: 'Milliseconds' },
        { name: latencyBucketMetric(ms), value: 1, unit: 'Count' },
      ];
      try {
        const dims = { FunctionName: functionName, Version: version };
        write(emfLine(namespace, dims, metrics, now(), user ? { user } : {}));
      } catch {
        // Metrics never fail a request.
      }
    }
  };
}
