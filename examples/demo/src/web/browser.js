// The shop's browser code: refreshes the price from the API and shows what this release needs.
/* global RELEASE, FEATURES -- set by the build step */
import { OpenFeature } from '@openfeature/web-sdk';
// In an app of your own: import { OneboxWebProvider } from 'onebox/openfeature/web';
import { OneboxWebProvider } from '../../../../src/openfeature/web-provider.ts';

const main = document.querySelector('main[data-api]');

async function refresh() {
  const needs = (main.dataset.needs ?? '').split(' ').filter(Boolean);
  const res = await fetch(main.dataset.api, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`the API answered ${res.status}`);
  const data = await res.json();
  const item = Array.isArray(data.products) ? data.products[0] : data;
  const missing = needs.filter((field) => item?.[field] === undefined);
  if (missing.length) throw new Error(`release ${RELEASE} needs ${missing.join(', ')} from the API`);
  const price = document.querySelector('[data-live-price]');
  if (price && typeof data.price === 'number') price.textContent = `$${data.price.toFixed(2)}`;
  // v4's badge, drawn here: it assumes every product has a list price (most do not).
  const badge = document.querySelector('[data-client-badge]');
  if (FEATURES.clientBadge && badge) badge.textContent = `Was $${data.listPrice.toFixed(2)}`;
}

/**
 * One client-side decision through OpenFeature (onebox/openfeature/web): users the gateway
 * placed on a new release of the shop (the canary of `web`) see a note saying so. The flag is
 * the gateway's own decision for this browser's cookie; evaluation never throws, and a
 * gateway that does not answer leaves the default (no note).
 */
async function canaryNote() {
  const note = document.querySelector('[data-canary-note]');
  if (!note) return;
  await OpenFeature.setProviderAndWait(new OneboxWebProvider()).catch(() => undefined);
  const onNewest = OpenFeature.getClient().getBooleanValue('web', false);
  note.hidden = !onNewest;
  note.dataset.flag = String(onNewest);
}

void canaryNote();

if (main) {
  refresh().then(
    () => (main.dataset.state = 'ready'),
    (err) => {
      main.dataset.state = 'broken';
      console.error(err);
      // Tells onebox (its gateway's script, when the component sends browser signals).
      window.onebox?.report(String(err));
    },
  );
}
