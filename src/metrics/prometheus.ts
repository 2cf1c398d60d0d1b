import { Counter, Gauge, Registry } from 'prom-client';
import type { AliasRouting } from '../core/index.js';
import { registerBrowserMetrics } from './browser-prometheus.js';
import { processMetricsRegistry } from './process-metrics.js';
import type { MetricsRecorder } from './recorder.js';

/**
 * Prometheus exposition of the per-version metrics, labelled by component and version, and of
 * the process (processMetricsRegistry). Values are read when scraped: nothing extra on the
 * request path.
 */
export function prometheusRegistry(
  metrics: MetricsRecorder,
  aliases: () => ReadonlyMap<string, AliasRouting>,
): Registry {
  const registry = new Registry();
  const labelNames = ['component', 'version'] as const;
  const perVersion = <T>(
    fn: (
      labels: { component: string; version: string },
      m: ReturnType<MetricsRecorder['snapshot']>['versions'][number],
    ) => T,
  ) => {
    for (const m of metrics.snapshot().versions) fn({ component: m.component, version: String(m.version) }, m);
  };
  const counter = (
    name: string,
    help: string,
    pick: (m: ReturnType<MetricsRecorder['snapshot']>['versions'][number]) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        perVersion((labels, m) => this.inc(labels, pick(m)));
      },
    });
  counter('onebox_requests_total', 'Requests the gateway routed to this version.', (m) => m.requests);
  counter(
    'onebox_responses_5xx_total',
    'Responses with a 5xx status, including the gateway’s own 502/504.',
    (m) => m.errors5xx,
  );
  counter('onebox_upstream_errors_total', 'Upstream unreachable or failed mid-response.', (m) => m.upstreamErrors);
  counter('onebox_upstream_timeouts_total', 'Upstream did not answer in time.', (m) => m.upstreamTimeouts);
  counter('onebox_upgrades_total', 'HTTP Upgrades (WebSocket) tunnelled to this version.', (m) => m.upgrades);
  counter(
    'onebox_upgrade_failures_total',
    'HTTP Upgrades that did not switch: refused, failed, or answered without 101.',
    (m) => m.upgradeFailures,
  );
  new Gauge({
    name: 'onebox_request_duration_seconds',
    help: 'Latency quantiles through the gateway since start (HdrHistogram).',
    labelNames: [...labelNames, 'quantile'],
    registers: [registry],
    collect() {
      this.reset();
      perVersion((labels, m) => {
        const q = m.latencyMs;
        for (const [quantile, ms] of [
          ['0.5', q.p50],
          ['0.9', q.p90],
          ['0.99', q.p99],
          ['0.999', q.p999],
        ] as const) {
          this.set({ ...labels, quantile }, ms / 1000);
        }
      });
    },
  });
  new Gauge({
    name: 'onebox_users',
    help: 'Distinct users this version served (exact up to 10,000, then HyperLogLog, 0.81% standard error).',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      perVersion((labels, m) => this.set(labels, m.users));
    },
  });
  new Gauge({
    name: 'onebox_alias_weight',
    help: 'Share of users the live alias sends to this version (0..1).',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [component, a] of aliases()) {
        const extra = a.additional;
        const extraShare = extra ? extra.weightBp / 10_000 : 0;
        this.set({ component, version: String(a.version) }, 1 - extraShare);
        if (extra) this.set({ component, version: String(extra.version) }, extraShare);
      }
    },
  });
  new Counter({
    name: 'onebox_fallbacks_total',
    help: 'Requests absorbed instead of failing (bad identity, unknown route, client errors...).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of metrics.fallbacks) this.inc({ reason }, n);
    },
  });
  registerBrowserMetrics(registry, metrics);
  return Registry.merge([registry, processMetricsRegistry()]);
}
