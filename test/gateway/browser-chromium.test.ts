import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { chromium, type Browser } from 'playwright-core';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

/** Debian's chromium, as the dashboard test uses it; ONEBOX_CHROMIUM points elsewhere. */
const CHROMIUM = process.env.ONEBOX_CHROMIUM ?? '/usr/bin/chromium';
const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;

/**
 * A shop page as a real browser runs it. The bad version's page script fails on its own:
 * an uncaught error, a rejection nobody handles, an image that is not there, and a failure
 * the app reports itself. Every answer of the server is a 200 (the image's 404 aside).
 */
const shop = (bad: boolean) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  if (req.url === '/missing.png') {
    res.writeHead(404);
    res.end();
    return;
  }
  const script = bad
    ? `<script>
         Promise.reject(new Error('no price'));
         window.onebox.report('cart failed');
         document.body.dataset.product.toUpperCase(); // the field this version expects is not there
       </script><img src="/missing.png">`
    : '';
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>shop</title></head><body><h1>product</h1>${script}</body></html>`);
};

describe.skipIf(NO_BROWSER)('browser signals from a real Chromium', () => {
  let ups: TestUpstream[];
  let onebox: TestOnebox;
  let browser: Browser;

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(shop(false)), startUpstream(shop(true))]);
    onebox = await startTestOnebox({ components: [{ name: 'web', route: '/', browser: { enabled: true } }] });
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    // A one-box: 20% of users on the bad v2.
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.2 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  /** A cookie the one-box serves v`version` to, found as a user would be placed. */
  const userOn = async (version: number): Promise<string> => {
    for (let i = 0; ; i++) {
      const id = `chromium-user-${i}`.padEnd(22, 'z');
      const res = await request(`${onebox.gatewayUrl}/`, { headers: { cookie: `onebox-uid=${id}` } });
      await res.body.dump();
      if (res.headers['x-onebox-version'] === `web:${version}`) return id;
    }
  };

  const visit = async (id: string): Promise<void> => {
    const context = await browser.newContext();
    const url = new URL(onebox.gatewayUrl);
    await context.addCookies([{ name: 'onebox-uid', value: id, domain: url.hostname, path: '/' }]);
    const page = await context.newPage();
    await page.goto(`${onebox.gatewayUrl}/products/3`);
    await page.waitForLoadState('load');
    // pagehide sends what is still queued.
    await context.close();
  };

  it("counts the beacons of a bad version's one-box page for that version, and a good page's for its own", async () => {
    await visit(await userOn(2));
    await visit(await userOn(1));
    const snap = (v: number) => onebox.metrics.forVersion('web', v).snapshot().browser;
    await expect.poll(() => snap(2)?.errorUsers, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => snap(1)?.pageViews, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => snap(2)?.pageViews, { timeout: 10_000 }).toBe(1);
    expect(snap(2)!.errors).toEqual({ error: 1, rejection: 1, resource: 1, app: 1 });
    expect(snap(2)!.pages).toEqual([{ path: '/products/3', views: 1, errors: 4 }]);
    expect(snap(1)).toMatchObject({ users: 1, errorUsers: 0, errors: { error: 0, rejection: 0, resource: 0, app: 0 } });
    expect(onebox.metrics.snapshot().fallbacks).not.toHaveProperty('beacon-malformed');
  });

  it('shows them on the dashboard', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${onebox.adminUrl}/`);
    await page.getByLabel('Admin token').fill(TEST_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    const line = page.getByTestId('browser-web');
    await expect
      .poll(() => line.textContent(), { timeout: 10_000 })
      .toBe(
        'Browser: v1 0 of 1 users with an error (0.0%), 1 page views; v2 1 of 1 users with an error (100.0%), 1 page views, most on /products/3',
      );
    await context.close();
  });
});
