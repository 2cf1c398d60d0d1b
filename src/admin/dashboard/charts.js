// Live charts per component: request rate, error rate and p99 of each version on the same
// axes (stable solid blue, new dashed orange), fed by the event stream's samples.
import uPlot from './vendor/uplot.js';
import { clockTime, h, pct } from './dom.js';

/** @typedef {import('./types.js').Sample} Sample */
/** @typedef {import('./types.js').VersionRate} VersionRate */
/** @typedef {{ stable?: number, fresh?: number }} Roles */

/** How many samples a chart keeps: 5 minutes at one per second. */
const KEEP = 300;

const COLORS = { stable: '#1d4ed8', fresh: '#c2410c', other: '#4b5563' };

/**
 * Each chart's y axis starts at 0 and shows at least `floor` (a quiet version is not drawn
 * as a wild line); error rate and p99 are left blank in a window without requests.
 * @type {{ key: 'rps' | 'errorRate' | 'p99Ms', title: string, unit: (v: number) => string, needsTraffic: boolean, floor: number }[]}
 */
const METRICS = [
  { key: 'rps', title: 'Requests per second', unit: (v) => v.toFixed(0), needsTraffic: false, floor: 1 },
  { key: 'errorRate', title: 'Error rate (5xx)', unit: (v) => pct(v, 1), needsTraffic: true, floor: 0.05 },
  { key: 'p99Ms', title: 'p99 latency (ms)', unit: (v) => v.toFixed(v < 10 ? 1 : 0), needsTraffic: true, floor: 10 },
];

/**
 * @param {number} v
 * @param {Roles} roles
 */
const roleOf = (v, roles) => (v === roles.fresh ? 'fresh' : v === roles.stable ? 'stable' : 'other');

/**
 * @param {number} v
 * @param {Roles} roles
 */
const labelOf = (v, roles) => {
  const role = roleOf(v, roles);
  return role === 'fresh' ? `v${v} (new)` : role === 'stable' ? `v${v} (stable)` : `v${v}`;
};

/** The charts of one component. */
export class ComponentCharts {
  /**
   * @param {string} component
   */
  constructor(component) {
    this.component = component;
    /** @type {uPlot[]} */
    this.plots = [];
    this.seriesKey = '';
    this.latest = h('p', { class: 'latest', 'data-testid': `latest-${component}` }, 'Waiting for traffic samples…');
    this.grid = h('div', { class: 'chart-grid' });
    this.el = h(
      'section',
      { class: 'charts', 'aria-labelledby': `charts-${component}` },
      h('h3', { id: `charts-${component}` }, `${component}: live traffic per version`),
      this.grid,
      this.latest,
    );
    new ResizeObserver(() => this.resize()).observe(this.grid);
  }

  /** One grid column's width (three columns, one on a narrow screen: see style.css). */
  chartSize() {
    const columns = getComputedStyle(this.grid).gridTemplateColumns.split(' ').length;
    const width = Math.floor((this.grid.clientWidth - 12 * (columns - 1)) / columns);
    return { width: Math.max(width, 160), height: 160 };
  }

  resize() {
    const size = this.chartSize();
    for (const p of this.plots) p.setSize(size);
  }

  /**
   * @param {Sample[]} samples every sample kept, oldest first
   * @param {Roles} roles
   */
  update(samples, roles) {
    const recent = samples.slice(-KEEP);
    /** @type {Set<number>} */
    const seen = new Set();
    for (const s of recent)
      for (const v of s.versions) if (v.component === this.component && v.requests > 0) seen.add(v.version);
    for (const v of [roles.stable, roles.fresh]) if (v !== undefined) seen.add(v);
    const versions = [...seen].sort((a, b) => a - b);
    const key = versions.map((v) => `${v}:${roleOf(v, roles)}`).join(',');
    if (key !== this.seriesKey) this.rebuild(versions, roles, key);

    const xs = recent.map((s) => s.at / 1000);
    /** @type {Map<number, (VersionRate | undefined)[]>} */
    const byVersion = new Map(
      versions.map((v) => [
        v,
        recent.map((s) => s.versions.find((r) => r.component === this.component && r.version === v)),
      ]),
    );
    METRICS.forEach((m, i) => {
      const ys = versions.map((v) =>
        (byVersion.get(v) ?? []).map((r) =>
          r === undefined || (m.needsTraffic && r.requests === 0) ? null : r[m.key],
        ),
      );
      this.plots[i]?.setData(/** @type {uPlot.AlignedData} */ ([xs, ...ys]));
    });
    this.el.dataset.points = String(xs.length);
    this.el.dataset.versions = versions.join(',');

    const last = recent.at(-1);
    if (!last) return;
    const words = versions.map((v) => {
      const r = last.versions.find((x) => x.component === this.component && x.version === v);
      if (!r || r.requests === 0) return `${labelOf(v, roles)}: no requests`;
      return `${labelOf(v, roles)}: ${r.rps.toFixed(1)} req/s, ${pct(r.errorRate, 2)} errors, p99 ${r.p99Ms.toFixed(1)} ms`;
    });
    this.latest.textContent = `Last second (${clockTime(last.at)}): ${words.join('; ')}.`;
  }

  /**
   * @param {number[]} versions
   * @param {Roles} roles
   * @param {string} key
   */
  rebuild(versions, roles, key) {
    for (const p of this.plots) p.destroy();
    this.grid.replaceChildren();
    this.seriesKey = key;
    const size = this.chartSize();
    this.plots = METRICS.map((m) => {
      const figure = h('figure', { class: 'chart', 'aria-label': `${this.component}: ${m.title}, per version` });
      this.grid.append(figure);
      /** @type {uPlot.Options} */
      const opts = {
        ...size,
        title: m.title,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(m.floor, max * 1.1)] } },
        axes: [
          // The page's own clock format (24-hour, as the history and the overview), not uPlot's 12-hour default.
          {
            stroke: '#374151',
            values: (_u, splits) => {
              const ticks = splits.map((t) => clockTime(t * 1000));
              // Canvas text is out of reach of tests and screen readers: the ticks are kept here too.
              figure.dataset.xTicks = ticks.join(' ');
              return ticks;
            },
          },
          { stroke: '#374151', size: 64, values: (_u, splits) => splits.map((v) => m.unit(v)) },
        ],
        series: [
          { value: (_u, t) => (t == null ? '' : clockTime(t * 1000)) },
          ...versions.map((v) => {
            const role = roleOf(v, roles);
            return {
              label: labelOf(v, roles),
              stroke: COLORS[role],
              width: 2,
              dash: role === 'fresh' ? [8, 4] : undefined,
              spanGaps: false,
            };
          }),
        ],
        // A key only: the numbers are in the sentence under the charts.
        legend: { live: false },
      };
      return new uPlot(opts, [[], ...versions.map(() => [])], figure);
    });
  }

  destroy() {
    for (const p of this.plots) p.destroy();
    this.plots = [];
  }
}
