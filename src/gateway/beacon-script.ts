import { BEACON_PATH, BROWSER_SCRIPT_PATH, PIN_HEADER, RELOAD_HEADER } from '../core/index.js';

export { PIN_HEADER };

/**
 * The script the gateway puts into the HTML pages of a component with browser signals (as
 * the first thing in <head>, synchronous, so it sees the page's errors from the start). It
 * reads its page token from its own tag, and reports to the beacon endpoint: the page's
 * load, uncaught errors, unhandled rejections, failed loads of scripts, styles and images,
 * and what the app reports with `window.onebox.report(message)`. Kinds only: messages are
 * not sent. At most 10 errors a beacon and 20 beacons a page; sendBeacon (no preflight, it
 * survives the page's unload), fetch with keepalive where sendBeacon refuses. And it pins
 * the page: its same-origin fetch and XMLHttpRequest calls carry the page's token.
 */
export const BROWSER_SCRIPT = `(function () {
  var tag = document.currentScript;
  var token = tag && tag.getAttribute('data-onebox');
  if (!token || window.onebox) return;
  var queue = [], beacons = 0, timer = 0;
  function send(load) {
    var batch = queue.splice(0, 10);
    if ((!load && !batch.length) || beacons >= 20) return;
    beacons++;
    var body = JSON.stringify({ t: token, l: load, e: batch });
    try { if (navigator.sendBeacon && navigator.sendBeacon('${BEACON_PATH}', body)) return; } catch (e) {}
    try { fetch('${BEACON_PATH}', { method: 'POST', body: body, keepalive: true, credentials: 'same-origin' }); } catch (e) {}
  }
  function add(kind) {
    if (queue.length >= 10) return;
    queue.push({ k: kind });
    if (!timer) timer = setTimeout(function () { timer = 0; send(false); }, 300);
  }
  addEventListener('error', function (e) {
    var t = e.target;
    add(t && t !== window && (t.src || t.href) ? 'resource' : 'error');
  }, true);
  addEventListener('unhandledrejection', function () { add('rejection'); });
  addEventListener('load', function () { setTimeout(function () { send(true); }, 0); });
  addEventListener('pagehide', function () { send(false); });
  window.onebox = { token: token, report: function () { add('app'); } };

  // Skew protection: the page's own calls carry its token, so the version that served the
  // page answers them; when that version is gone the gateway says so and the page reloads.
  function own(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }
  var reloading = false;
  function gone(get) {
    if (!reloading && get('${RELOAD_HEADER}')) { reloading = true; location.reload(); }
  }
  var fetch0 = window.fetch;
  if (fetch0) window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : input && (input.url || String(input));
    if (!own(url)) return fetch0.apply(this, arguments);
    var options = {};
    for (var k in init || {}) options[k] = init[k];
    var headers = new Headers(options.headers || (input && input.headers) || undefined);
    headers.set('${PIN_HEADER}', token);
    options.headers = headers;
    return fetch0.call(this, input, options).then(function (res) {
      gone(function (h) { return res.headers.get(h); });
      return res;
    });
  };
  var open0 = XMLHttpRequest.prototype.open, send0 = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__oneboxOwn = own(url);
    return open0.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var xhr = this;
    if (xhr.__oneboxOwn) {
      xhr.setRequestHeader('${PIN_HEADER}', token);
      xhr.addEventListener('readystatechange', function () {
        if (xhr.readyState === 2) gone(function (h) { return xhr.getResponseHeader(h); });
      });
    }
    return send0.apply(this, arguments);
  };
})();
`;

/** The tag put into a page: the script, with the page's token. */
export function scriptTag(token: string): string {
  return `<script src="${BROWSER_SCRIPT_PATH}" data-onebox="${token}"></script>`;
}
