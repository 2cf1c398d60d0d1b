// The release dashboard: sign in with an admin token, then follow the event stream.
import { ApiError, Unauthorized, call, readEvents, session } from './api.js';
import { ComponentCharts } from './charts.js';
import { byId, h, pctOfBp, replaceKeepingFocus } from './dom.js';
import { historyList } from './history.js';
import { componentCard } from './overview.js';
import { shadowReport } from './shadow.js';

/** @typedef {import('./types.js').Component} Component */
/** @typedef {import('./types.js').Sample} Sample */
/** @typedef {import('./overview.js').Action} Action */

const KEEP_SAMPLES = 300;

const el = {
  login: byId('login'),
  loginForm: /** @type {HTMLFormElement} */ (byId('login-form')),
  tokenInput: /** @type {HTMLInputElement} */ (byId('token')),
  loginError: byId('login-error'),
  app: byId('app'),
  who: byId('who'),
  signOut: byId('sign-out'),
  conn: byId('connection'),
  components: byId('components'),
  charts: byId('charts'),
  history: byId('history'),
  notice: byId('notice'),
  announcer: byId('announcer'),
  shadowForm: /** @type {HTMLFormElement} */ (byId('shadow-form')),
  shadowSelect: /** @type {HTMLSelectElement} */ (byId('shadow-component')),
  shadowOut: byId('shadow-out'),
  dialog: /** @type {HTMLDialogElement} */ (byId('confirm')),
  dialogTitle: byId('confirm-title'),
  dialogText: byId('confirm-text'),
  dialogOk: /** @type {HTMLButtonElement} */ (byId('confirm-ok')),
  dialogCancel: /** @type {HTMLButtonElement} */ (byId('confirm-cancel')),
};

const state = {
  name: '',
  /** @type {Component[]} */
  components: [],
  statusAt: 0,
  /** @type {Sample[]} */
  samples: [],
  /** @type {Map<string, ComponentCharts>} */
  charts: new Map(),
  /** @type {AbortController | undefined} */
  stream: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  historyTimer: undefined,
  shadowShown: false,
};

/** @param {string} text */
function announce(text) {
  el.announcer.textContent = text;
}

/**
 * @param {string} text
 * @param {'info' | 'error'} [kind]
 */
function notice(text, kind = 'info') {
  el.notice.textContent = text;
  el.notice.className = `notice notice-${kind}`;
}

/** @param {'live' | 'connecting' | 'reconnecting'} how */
function connection(how) {
  el.conn.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[how];
  el.conn.className = `conn conn-${how}`;
}

// ---- sign in and out ------------------------------------------------------------------

/** @param {string} [message] */
function showLogin(message) {
  state.stream?.abort();
  state.stream = undefined;
  clearTimeout(state.historyTimer);
  for (const c of state.charts.values()) c.destroy();
  state.charts.clear();
  state.components = [];
  state.samples = [];
  state.shadowShown = false;
  for (const container of [el.components, el.charts, el.history, el.shadowOut, el.shadowSelect, el.notice])
    container.replaceChildren();
  el.app.hidden = true;
  el.login.hidden = false;
  el.loginError.textContent = message ?? '';
  el.tokenInput.value = '';
  el.tokenInput.focus();
}

/** @param {string} name */
function showApp(name) {
  state.name = name;
  el.who.textContent = `Signed in as ${name}`;
  el.login.hidden = true;
  el.app.hidden = false;
  connection('connecting');
  state.stream = new AbortController();
  void follow(state.stream.signal);
  void loadHistory();
}

el.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = el.tokenInput.value.trim();
  if (!token) {
    el.loginError.textContent = 'Enter the admin token.';
    return;
  }
  try {
    const { name } = await call('GET', '/v1/session', token);
    session.save(token);
    showApp(name);
  } catch (err) {
    el.loginError.textContent =
      err instanceof Unauthorized
        ? 'The admin API refused this token.'
        : `Cannot reach the admin API: ${/** @type {Error} */ (err).message}`;
    el.tokenInput.select();
  }
});

el.signOut.addEventListener('click', () => {
  session.clear();
  showLogin('Signed out.');
});

/** @param {unknown} err */
function failed(err) {
  if (err instanceof Unauthorized) {
    session.clear();
    showLogin('The admin API refused the token; sign in again.');
    return true;
  }
  return false;
}

// ---- the event stream -----------------------------------------------------------------

/** @param {AbortSignal} signal */
async function follow(signal) {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      await readEvents((event, data) => {
        connection('live');
        delay = 1000;
        onEvent(event, data);
      }, signal);
    } catch (err) {
      if (signal.aborted || failed(err)) return;
    }
    connection('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

/**
 * @param {string} event
 * @param {any} data
 */
function onEvent(event, data) {
  switch (event) {
    case 'samples':
      state.samples = data;
      return drawCharts();
    case 'sample':
      state.samples.push(data);
      if (state.samples.length > KEEP_SAMPLES) state.samples.splice(0, state.samples.length - KEEP_SAMPLES);
      return drawCharts();
    case 'status':
      state.components = data.components;
      state.statusAt = Date.now();
      drawOverview();
      return drawShadowChoices();
    case 'deployment':
      announce(data.sentence);
      clearTimeout(state.historyTimer);
      // One transition stores several events: fetch the history once, after them.
      state.historyTimer = setTimeout(() => void loadHistory(), 200);
  }
}

// ---- drawing --------------------------------------------------------------------------

function drawOverview() {
  replaceKeepingFocus(
    el.components,
    state.components.map((c) => componentCard(c, state.statusAt, confirmAction)),
  );
}

/** @param {Component} c */
function rolesOf(c) {
  const d = c.deployment;
  if (d && d.state.status !== 'succeeded') return { stable: d.state.fromVersion, fresh: d.state.toVersion };
  return { stable: c.alias?.version, fresh: c.alias?.additional?.version };
}

function drawCharts() {
  for (const c of state.components) {
    let charts = state.charts.get(c.name);
    if (!charts) {
      charts = new ComponentCharts(c.name);
      state.charts.set(c.name, charts);
      el.charts.append(charts.el);
    }
    charts.update(state.samples, rolesOf(c));
  }
}

async function loadHistory() {
  try {
    const { releases } = await call('GET', '/v1/history?limit=10');
    el.history.replaceChildren(...historyList(releases));
  } catch (err) {
    if (!failed(err))
      el.history.replaceChildren(
        h('p', { class: 'notice-error' }, `History unavailable: ${/** @type {Error} */ (err).message}`),
      );
  }
}

// ---- shadow report --------------------------------------------------------------------

function drawShadowChoices() {
  const names = state.components.map((c) => c.name);
  const current = [...el.shadowSelect.options].map((o) => o.value);
  if (names.join() !== current.join()) {
    const keep = el.shadowSelect.value;
    el.shadowSelect.replaceChildren(...names.map((n) => h('option', { value: n, selected: n === keep }, n)));
  }
  const running = state.components.find((c) => c.shadow);
  if (running && !state.shadowShown) {
    state.shadowShown = true;
    el.shadowSelect.value = running.name;
    void loadShadow(running.name);
  }
}

/** @param {string} component */
async function loadShadow(component) {
  el.shadowOut.replaceChildren(h('p', { class: 'muted' }, `Loading the shadow report of ${component}…`));
  try {
    const { report } = await call('GET', `/v1/components/${encodeURIComponent(component)}/shadow/report`);
    el.shadowOut.replaceChildren(...shadowReport(report));
  } catch (err) {
    if (failed(err)) return;
    const text =
      err instanceof ApiError ? err.message : `Cannot load the report: ${/** @type {Error} */ (err).message}`;
    el.shadowOut.replaceChildren(
      h('p', {}, `${text}. Start one with `, h('code', {}, `onebox shadow start ${component} <version>`), '.'),
    );
  }
}

el.shadowForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (el.shadowSelect.value) void loadShadow(el.shadowSelect.value);
});

// ---- actions, each confirmed ----------------------------------------------------------

/**
 * @param {Component} c
 * @param {Action} action
 * @returns {{ title: string, text: string, ok: string }}
 */
function describeAction(c, action) {
  const s = c.deployment?.state;
  const name = `${c.name} v${s?.toVersion}`;
  switch (action) {
    case 'pause':
      return {
        title: `Pause ${name}?`,
        text: `Traffic stays at ${pctOfBp(s?.weightBp ?? 0)} and the hold stops counting. Alarms keep watching and can still roll it back.`,
        ok: 'Pause',
      };
    case 'resume':
      return { title: `Resume ${name}?`, text: 'The hold continues where it stopped.', ok: 'Resume' };
    case 'promote':
      return {
        title: `Promote ${name}?`,
        text: `Step ${(s?.step ?? 0) + 2} starts now, whatever is left of this step's hold.`,
        ok: 'Promote',
      };
    case 'rollback':
      return {
        title: `Roll back ${name}?`,
        text: `All users go back to v${s?.fromVersion} at once.`,
        ok: 'Roll back',
      };
  }
}

/**
 * @param {Component} c
 * @param {Action} action
 */
function confirmAction(c, action) {
  const d = describeAction(c, action);
  el.dialogTitle.textContent = d.title;
  el.dialogText.textContent = `${d.text} The history will record that ${state.name} did it.`;
  el.dialogOk.textContent = d.ok;
  el.dialogOk.className = action === 'rollback' ? 'danger' : 'primary';
  el.dialogOk.onclick = async () => {
    el.dialog.close();
    try {
      await call('POST', `/v1/components/${encodeURIComponent(c.name)}/deployment/${action}`);
      notice(`${d.ok}: done for ${c.name}.`);
    } catch (err) {
      if (failed(err)) return;
      notice(`${d.ok} refused: ${/** @type {Error} */ (err).message}`, 'error');
    }
    // The button pressed may be disabled now: the keyboard goes on from the outcome.
    const active = document.activeElement;
    if (!active || active === document.body || (active instanceof HTMLButtonElement && active.disabled))
      el.notice.focus();
    void loadHistory();
  };
  el.dialog.showModal();
  // The safe choice has the focus: Enter or Escape right away changes nothing.
  el.dialogCancel.focus();
}

el.dialogCancel.addEventListener('click', () => el.dialog.close());

// ---- start ----------------------------------------------------------------------------

(async () => {
  if (!session.token) return showLogin();
  try {
    const { name } = await call('GET', '/v1/session');
    showApp(name);
  } catch (err) {
    if (!failed(err)) showLogin(`Cannot reach the admin API: ${/** @type {Error} */ (err).message}`);
  }
})();
