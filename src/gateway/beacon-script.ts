/** The gateway's own paths, taken before any component's route. */
export const ONEBOX_PREFIX = '/_onebox/';
export const BROWSER_SCRIPT_PATH = '/_onebox/browser.js';
export const BEACON_PATH = '/_onebox/beacon';

/**
 * The script the gateway puts into the HTML pages of a component with browser signals (as
 * the first thing in <head>, synchronous, so it sees the page's errors from the start). It
 * reads its page token from its own tag, and reports to the beacon endpoint: the page's
 * load, uncaught errors, unhandled rejections, failed loads of scripts, styles and images,
 * and what the app reports with `window.onebox.report(message)`. Kinds only: messages are
 * not sent. At most 10 errors a beacon and 20 beacons a page; sendBeacon (no preflight, it
 * survives the page's unload), fetch with keepalive where sendBeacon refuses.
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
})();
`;

/** The tag put into a page: the script, with the page's token. */
export function scriptTag(token: string): string {
  return `<script src="${BROWSER_SCRIPT_PATH}" data-onebox="${token}"></script>`;
}
