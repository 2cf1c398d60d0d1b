import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FallbackCounter } from '../metrics/recorder.js';
import type { BrowserSignals } from './beacon.js';
import { PAGE_GONE_BODY, PAGE_GONE_STATUS, PIN_HEADER, RELOAD_HEADER } from '../core/index.js';
import { sendJson } from './exchange.js';
import type { Placed } from './gateway.js';

/**
 * Vary for every answer of a component with browser signals, pinned or not: its version can
 * depend on the request's `x-onebox-pin` whenever it retains more than one version (after a
 * promotion too, when the alias no longer splits). A shared cache stores an answer under the
 * request headers its own Vary names, so naming the pin only on pinned answers would let it
 * serve an unpinned answer (the user's version) to a page pinned to another one: the skew
 * this exists to prevent. Pinned requests carry one token per page load, so a shared cache
 * keeps their answers apart (in practice, not at all); unpinned ones share the empty value
 * and stay as cacheable as before. Memoized per Vary list: the decision's is one of two.
 */
const PIN_ONLY: readonly string[] = [PIN_HEADER];
const withPin = new WeakMap<readonly string[], readonly string[]>();

function varyWithPin(vary: readonly string[] | undefined): readonly string[] {
  if (!vary) return PIN_ONLY;
  let merged = withPin.get(vary);
  if (!merged) withPin.set(vary, (merged = [...vary, PIN_HEADER]));
  return merged;
}

/**
 * Skew protection: a request of a page (its script's fetch and XHR calls carry the page's
 * token) goes to the version that served the page while it is retained, whatever the
 * user's assignment is now; once it is retired, the page is told to reload (409 with
 * `x-onebox-reload`), which loads it afresh from the user's version. A token that is not
 * this gateway's is ignored (counted): it can never pick a version. For a component with
 * browser signals only; undefined when the 409 was sent.
 */
export function placePinned(
  req: IncomingMessage,
  res: ServerResponse,
  placed: Placed,
  browser: BrowserSignals,
  metrics: FallbackCounter,
): Placed | undefined {
  const varied: Placed = { ...placed, decision: { ...placed.decision, vary: varyWithPin(placed.decision.vary) } };
  const pin = browser.pinOf(req.rawHeaders);
  if (pin === undefined) return varied;
  if (pin === 'forged') {
    metrics.countFallback('pin-forged');
    return varied;
  }
  if (pin !== 'expired' && pin.component !== placed.component) return varied;
  const target = pin === 'expired' ? undefined : placed.live.retained.get(pin.version);
  if (!target) {
    metrics.countFallback(pin === 'expired' ? 'pin-expired' : 'pin-retired');
    // no-store (sendJson's): no cache keeps it, whatever it varies on.
    sendJson(res, PAGE_GONE_STATUS, PAGE_GONE_BODY, { [RELOAD_HEADER]: '1' });
    return undefined;
  }
  return { ...varied, pinned: true, decision: { ...varied.decision, target } };
}
