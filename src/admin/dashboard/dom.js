// Small DOM and wording helpers. Text is always set as text, never parsed as HTML.

/**
 * An element with attributes and children. `on*` functions become listeners, a `style`
 * object sets properties; `false`,
 * `null` and `undefined` attributes are left out.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'style' && typeof v === 'object')
      Object.assign(el.style, v); // CSSOM: allowed by the page's CSP
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** @param {number} bp basis points */
export const pctOfBp = (bp) => `${Math.round(bp) / 100}%`;

/** @param {number} share 0..1 */
export const pct = (share, digits = 1) => `${(share * 100).toFixed(digits)}%`;

/** @param {number} ms */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = total % 60;
  return [hh && `${hh}h`, mm && `${mm}m`, (ss || (!hh && !mm)) && `${ss}s`].filter(Boolean).join(' ');
}

/** @param {number} at ms since the epoch */
export const clockTime = (at) => new Date(at).toLocaleTimeString([], { hour12: false });

/** @param {number} at ms since the epoch */
export const dateTime = (at) =>
  new Date(at).toLocaleString([], {
    hour12: false,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/**
 * Replaces a container's content, keeping keyboard focus on the element with the same
 * `data-key` (the overview is redrawn every second; a keyboard user must not lose their place).
 * @param {HTMLElement} container
 * @param {Node[]} nodes
 */
export function replaceKeepingFocus(container, nodes) {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren(...nodes);
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again instanceof HTMLElement) again.focus();
  }
}
