import { Counter, Gauge, type Registry } from 'prom-client';
import { BROWSER_ERROR_KINDS } from '../core/index.js';
import type { MetricsRecorder } from './recorder.js';

/** The browser signals of each version that has any, in the Prometheus exposition (read when scraped). */
export function registerBrowserMetrics(registry: Registry, metrics: MetricsRecorder): void {
  const labelNames = ['component', 'version'] as const;
  const each = (fn: (labels: { component: string; version: string }, b: BrowserOf) => void): void => {
    for (const m of metrics.snapshot().versions)
      if (m.browser) fn({ component: m.component, version: String(m.version) }, m.browser);
  };
  new Counter({
    name: 'onebox_browser_page_views_total',
    help: 'Page loads of this version reported from the browser (each once).',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      each((labels, b) => this.inc(labels, b.pageViews));
    },
  });
  new Counter({
    name: 'onebox_browser_errors_total',
    help: 'Browser errors in pages of this version, by kind (each kind once per page load).',
    labelNames: [...labelNames, 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      each((labels, b) => {
        for (const kind of BROWSER_ERROR_KINDS) this.inc({ ...labels, kind }, b.errors[kind]);
      });
    },
  });
  const gauge = (name: string, help: string, pick: (b: BrowserOf) => number): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        each((labels, b) => this.set(labels, pick(b)));
      },
    });
  };
  gauge(
    'onebox_browser_users',
    'Distinct users whose pages of this version reported from the browser.',
    (b) => b.users,
  );
  gauge(
    'onebox_browser_error_users',
    'Of those, the users with at least one browser error (what the browser gate counts).',
    (b) => b.errorUsers,
  );
}

type BrowserOf = NonNullable<ReturnType<MetricsRecorder['snapshot']>['versions'][number]['browser']>;
