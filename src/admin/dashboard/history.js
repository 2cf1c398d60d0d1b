// The release history: each release, its deployments with their outcome (and why a
// rolled-back one was rolled back), and every event as the sentence the store keeps.
import { clockTime, dateTime, h, pct } from './dom.js';

/** @typedef {import('./types.js').Release} Release */

/** @type {Record<string, string>} */
const OUTCOME = {
  succeeded: 'succeeded',
  'rolled-back': 'rolled back',
  stopped: 'stopped',
  skipped: 'skipped',
};

/** @param {Release[]} releases */
export function historyList(releases) {
  if (releases.length === 0) return [h('p', { class: 'muted' }, 'No releases yet.')];
  return releases.map((r) =>
    h(
      'article',
      { class: 'release', 'aria-labelledby': `r-${r.id}` },
      h(
        'h3',
        { id: `r-${r.id}` },
        `Release ${r.id}`,
        h('span', { class: 'muted' }, ` · ${dateTime(r.createdAt)}${r.by ? ` · by ${r.by}` : ''}`),
      ),
      ...r.deployments.map((d) => {
        const s = d.state;
        return h(
          'section',
          { class: 'release-deployment', 'data-testid': `history-${s.component}` },
          h(
            'p',
            {},
            h('strong', {}, `${s.component} v${s.fromVersion} → v${s.toVersion}`),
            ' ',
            h('span', { class: `badge badge-${s.status}` }, OUTCOME[s.status] ?? s.status),
          ),
          s.reason && s.status !== 'succeeded'
            ? h('p', { class: `why why-${s.status}` }, h('strong', {}, 'Why: '), s.reason)
            : null,
          // Final once the deployment ended (the overview has the live count while it runs).
          d.exposure && OUTCOME[s.status]
            ? h(
                'p',
                { class: 'muted' },
                `Reached ${d.exposure.usersOnNew} of ${d.exposure.activeUsers} active users (${pct(d.exposure.share)}).`,
              )
            : null,
          h(
            'ol',
            { class: 'events' },
            ...d.events.map((e) =>
              h('li', {}, h('time', { datetime: new Date(e.at).toISOString() }, clockTime(e.at)), ' ', e.sentence),
            ),
          ),
        );
      }),
    ),
  );
}
