// A component's shadow report: how many requests were compared, and the top differences
// per endpoint with a sample of each.
import { h } from './dom.js';

/**
 * @typedef {{ path: string, primary: string, shadow: string }} DiffSample
 * @typedef {{ path: string, differed: number, noise: number, kinds: Record<string, number>, samples: DiffSample[] }} Field
 * @typedef {{ endpoint: string, compared: number, differed: number, fields: Field[], noiseOnly: string[],
 *   latency: { primary: { p50Ms: number, p99Ms: number }, shadow: { p50Ms: number, p99Ms: number } } }} Endpoint
 * @typedef {{ component: string, version: number, clean: boolean, endpoints: Endpoint[],
 *   counters: { mirrored: number, compared: number, droppedInFlight: number, skippedBodyCap: number, shadowErrors: number, shadowTimeouts: number } }} Report
 */

/** Endpoints and fields shown; the CLI's `onebox shadow report` has the rest. */
const TOP_ENDPOINTS = 5;
const TOP_FIELDS = 5;

/** @param {Report} r */
export function shadowReport(r) {
  const c = r.counters;
  return [
    h(
      'p',
      {},
      h('strong', {}, `${r.component} shadow v${r.version}: `),
      h(
        'span',
        { class: `badge ${r.clean ? 'badge-succeeded' : 'badge-rolled-back'}` },
        r.clean ? 'clean' : 'differences found',
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      `${c.mirrored} mirrored, ${c.compared} compared; ${c.droppedInFlight} dropped at the in-flight cap, ${c.skippedBodyCap} over the body cap, ${c.shadowErrors} shadow errors, ${c.shadowTimeouts} timeouts.`,
    ),
    ...r.endpoints
      .slice(0, TOP_ENDPOINTS)
      .map((e) =>
        h(
          'section',
          { class: 'shadow-endpoint' },
          h('h4', {}, h('code', {}, e.endpoint), ` — ${e.differed} of ${e.compared} differed`),
          h(
            'p',
            { class: 'muted' },
            `latency p50 ${e.latency.primary.p50Ms} → ${e.latency.shadow.p50Ms} ms, p99 ${e.latency.primary.p99Ms} → ${e.latency.shadow.p99Ms} ms`,
          ),
          e.fields.length
            ? h(
                'table',
                {},
                h('caption', { class: 'visually-hidden' }, `Top differences of ${e.endpoint}`),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col' }, 'field'),
                    h('th', { scope: 'col' }, 'differed'),
                    h('th', { scope: 'col' }, 'sample: live → shadow'),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  ...e.fields
                    .slice(0, TOP_FIELDS)
                    .map((f) =>
                      h(
                        'tr',
                        {},
                        h('th', { scope: 'row' }, h('code', {}, f.path)),
                        h('td', {}, `${f.differed}${f.noise ? ` (noise ~${f.noise})` : ''}`),
                        h(
                          'td',
                          {},
                          f.samples[0] ? h('code', {}, `${f.samples[0].primary} → ${f.samples[0].shadow}`) : '',
                        ),
                      ),
                    ),
                ),
              )
            : h('p', {}, 'No significant difference.'),
          e.noiseOnly.length ? h('p', { class: 'muted' }, `Noise only: ${e.noiseOnly.join(', ')}`) : null,
        ),
      ),
  ];
}
