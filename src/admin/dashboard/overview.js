// The overview: per component, its live alias as a bar, the deployment's step timeline
// with the time left in the hold or bake, the gate in words, users exposed, and actions.
import { duration, h, pct, pctOfBp } from './dom.js';

/** @typedef {import('./types.js').Component} Component */
/** @typedef {import('./types.js').Deployment} Deployment */
/** @typedef {import('./types.js').Verdict} Verdict */
/** @typedef {'pause' | 'resume' | 'promote' | 'rollback'} Action */

/** @type {Record<string, string>} */
const STATUS_WORDS = {
  created: 'waiting to start',
  'before-hook': 'running the beforeAllowTraffic hook',
  'in-progress': 'shifting traffic',
  baking: 'baking',
  'after-hook': 'running the afterAllowTraffic hook',
  paused: 'paused',
  succeeded: 'succeeded',
  'rolled-back': 'rolled back',
  stopped: 'stopped',
  skipped: 'skipped',
};

/** @type {Record<Verdict['result'], string>} */
const RESULT_WORDS = { pass: 'passing', fail: 'failing', inconclusive: 'waiting for data' };

/**
 * The alias as a bar: one segment per version, its width its share of users.
 * @param {Component} c
 */
function aliasBar(c) {
  const a = c.alias;
  if (!a) return h('p', { class: 'muted' }, 'No live version yet.');
  const extra = a.additional && a.additional.weightBp > 0 ? a.additional : undefined;
  const parts = [{ version: a.version, bp: 10000 - (extra?.weightBp ?? 0), role: 'stable' }];
  if (extra) parts.push({ version: extra.version, bp: extra.weightBp, role: 'new' });
  const words = parts.map((p) => `v${p.version} ${pctOfBp(p.bp)}`).join(', ');
  return h(
    'div',
    { class: 'alias' },
    h(
      'div',
      { class: 'alias-label' },
      h('span', {}, 'live alias'),
      h('strong', { 'data-testid': `alias-${c.name}` }, words),
      h('span', { class: 'muted' }, `(${a.mode})`),
    ),
    h(
      'div',
      { class: 'bar', role: 'img', 'aria-label': `live alias: ${words}` },
      ...parts.map((p) =>
        h(
          'span',
          { class: `seg seg-${p.role}`, style: { width: `${p.bp / 100}%` } },
          p.bp >= 1200 ? `v${p.version} ${pctOfBp(p.bp)}` : '',
        ),
      ),
    ),
  );
}

/**
 * @param {Deployment} d
 * @param {number} receivedAt when the status arrived (ms, this browser's clock)
 */
function timeline(d, receivedAt) {
  const s = d.state;
  const left = Math.max(0, d.holdRemainingMs - (Date.now() - receivedAt) * (s.status === 'paused' ? 0 : 1));
  return h(
    'ol',
    { class: 'timeline', 'aria-label': `plan: ${d.plan}` },
    ...s.plan.map((p, i) => {
      // A step is current only while the deployment runs; the step a rollback or a stop ended
      // is marked as where it ended, and one never reached stays "next".
      const ended = s.status === 'rolled-back' || s.status === 'stopped';
      const state =
        i < s.step || s.status === 'succeeded' ? 'done' : i === s.step ? (ended ? 'ended' : 'current') : 'next';
      const hold = p.holdMs ? `${p.bake ? 'bake' : 'hold'} ${duration(p.holdMs)}` : 'no hold';
      return h(
        'li',
        { class: `step step-${state}`, 'aria-current': state === 'current' ? 'step' : false },
        h('span', { class: 'step-weight' }, pctOfBp(p.weightBp)),
        h('span', { class: 'step-hold' }, hold),
        state === 'ended'
          ? h('span', { class: 'step-left' }, s.status === 'stopped' ? 'stopped here' : 'rolled back here')
          : null,
        state === 'current' && p.holdMs && d.holding
          ? h(
              'span',
              { class: 'step-left', 'data-testid': `left-${s.component}` },
              `${duration(left)} left${s.status === 'paused' ? ' (paused)' : ''}`,
            )
          : null,
      );
    }),
  );
}

/**
 * The gate in words: alarms and judge, each with its verdict and its sentence.
 * @param {Deployment} d
 */
function gateWords(d) {
  const parts = d.gateParts;
  if (!parts) return null;
  /** @param {string} name @param {Verdict | undefined} v @param {string} otherwise */
  const row = (name, v, otherwise) =>
    h(
      'div',
      { class: `verdict verdict-${v?.result ?? 'none'}` },
      h('dt', {}, name),
      h(
        'dd',
        {},
        v ? h('strong', {}, RESULT_WORDS[v.result]) : h('strong', {}, otherwise),
        v ? ` — ${v.sentence}` : '',
      ),
    );
  // No judge verdict: turned off, or one version serves everyone (nothing to compare with).
  const judgeIdle = !d.gates?.judge ? 'off (alarms only)' : 'idle: it compares while both versions serve';
  const waiting = d.waiting
    ? h('div', { class: 'verdict verdict-inconclusive' }, h('dt', {}, 'Waiting'), h('dd', {}, `the gate ${d.waiting}`))
    : null;
  return h('dl', { class: 'gate' }, row('Alarms', parts.alarms, ''), row('Judge', parts.judge, judgeIdle), waiting);
}

/**
 * What the pages of each version reported from the browser, when the component sends browser
 * signals: users with an error (what the browser gate counts), page views, the worst page.
 * @param {Component} c
 */
function browserLine(c) {
  const versions = (c.metrics ?? []).filter((m) => m.browser).sort((a, b) => a.version - b.version);
  if (!versions.length) return null;
  return h(
    'p',
    { class: 'browser', 'data-testid': `browser-${c.name}` },
    'Browser: ',
    ...versions.flatMap((m, i) => {
      const b = /** @type {import('./types.js').BrowserSignals} */ (m.browser);
      const worst = b.pages[0];
      return [
        i ? '; ' : '',
        h('strong', {}, `v${m.version}`),
        ` ${b.errorUsers.toLocaleString()} of ${b.users.toLocaleString()} users with an error (${pct(b.users ? b.errorUsers / b.users : 0)}), ${b.pageViews.toLocaleString()} page views`,
        worst ? `, most on ${worst.path}` : '',
      ];
    }),
  );
}

/**
 * @param {Component} c
 * @param {number} receivedAt
 * @param {(c: Component, action: Action) => void} onAction
 */
export function componentCard(c, receivedAt, onAction) {
  const d = c.deployment;
  const s = d?.state;
  // What a person may do now, as the server says (it checks again when asked).
  /** @type {Record<Action, boolean>} */
  const allowed = d?.actions ?? { pause: false, resume: false, promote: false, rollback: false };
  /** @type {[Action, string][]} */
  const actions = [
    ['pause', 'Pause'],
    ['resume', 'Resume'],
    ['promote', 'Promote'],
    ['rollback', 'Roll back'],
  ];
  return h(
    'article',
    { class: 'card', 'aria-labelledby': `c-${c.name}`, 'data-component': c.name },
    h(
      'header',
      { class: 'card-head' },
      h('h3', { id: `c-${c.name}` }, c.name),
      h('span', { class: 'muted' }, `route ${c.route}`),
    ),
    aliasBar(c),
    browserLine(c),
    d && s
      ? h(
          'section',
          { class: 'deployment', 'aria-label': `deployment of ${c.name}` },
          h(
            'p',
            { class: 'deployment-head' },
            h(
              'span',
              { class: `badge badge-${s.status}`, 'data-testid': `status-${c.name}` },
              STATUS_WORDS[s.status] ?? s.status,
            ),
            ` v${s.fromVersion} → v${s.toVersion}`,
            h('span', { class: 'muted' }, ` · ${d.id}`),
          ),
          timeline(d, receivedAt),
          gateWords(d),
          d.exposure
            ? h(
                'p',
                { class: 'exposure' },
                'Users exposed to ',
                `v${s.toVersion}: `,
                h(
                  'strong',
                  {},
                  `${d.exposure.exact ? '' : '~'}${d.exposure.usersOnNew.toLocaleString()} of ${d.exposure.activeUsers.toLocaleString()} active users (${pct(d.exposure.share)})`,
                ),
              )
            : null,
          s.reason ? h('p', { class: `why why-${s.status}` }, h('strong', {}, 'Why: '), s.reason) : null,
          h(
            'div',
            { class: 'actions', role: 'group', 'aria-label': `actions on ${c.name}` },
            ...actions.map(([action, label]) =>
              h(
                'button',
                {
                  type: 'button',
                  class: action === 'rollback' ? 'danger' : '',
                  'data-key': `${c.name}-${action}`,
                  disabled: !allowed[action],
                  onclick: () => onAction(c, action),
                },
                label,
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No deployment yet.'),
  );
}
