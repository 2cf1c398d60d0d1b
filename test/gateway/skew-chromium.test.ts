import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

const CHROMIUM = process.env.ONEBOX_CHROMIUM ?? '/usr/bin/chromium';
const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;

/** A version: its page, and the data its page's script asks for. */
const app = (label: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  if (req.url === '/data') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: label }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><html><head><title>${label}</title></head><body>${label}</body></html>`);
};

/**
 * Skew protection in a real browser: two tabs of one user (one cookie) opened on two
 * versions each keep their own version for their calls after the alias moved, and a tab
 * whose version is retired reloads cleanly onto the user's version.
 */
describe.skipIf(NO_BROWSER)('skew protection per tab', () => {
  let ups: TestUpstream[];
  let onebox: TestOnebox;
  let browser: Browser;

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(app('v1')), startUpstream(app('v2'))]);
    onebox = await startTestOnebox({ components: [{ name: 'web', route: '/', browser: { enabled: true } }] });
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  const data = (page: Page) =>
    page.evaluate(async () => ((await (await fetch('/data')).json()) as { version: string }).version);
  const xhr = (page: Page) =>
    page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const x = new XMLHttpRequest();
          x.open('GET', '/data');
          x.onload = () => resolve((JSON.parse(x.responseText) as { version: string }).version);
          x.send();
        }),
    );

  it('keeps each tab on the version that served its page, and reloads a tab whose version is retired', async () => {
    const context = await browser.newContext();
    const tabA = await context.newPage();
    await tabA.goto(`${onebox.gatewayUrl}/`);
    expect(await tabA.textContent('body')).toBe('v1');

    // Everyone moves to v2 (a promotion); the same user opens a second tab.
    onebox.plane.setAlias('web', { version: 2 });
    const tabB = await context.newPage();
    await tabB.goto(`${onebox.gatewayUrl}/`);
    expect(await tabB.textContent('body')).toBe('v2');

    expect(await data(tabA)).toBe('v1');
    expect(await xhr(tabA)).toBe('v1');
    expect(await data(tabB)).toBe('v2');
    // Without a page's pin the user's assignment decides.
    const cookie = (await context.cookies()).find((c) => c.name === 'onebox-uid')!;
    const plain = await request(`${onebox.gatewayUrl}/data`, { headers: { cookie: `onebox-uid=${cookie.value}` } });
    expect(await plain.body.json()).toEqual({ version: 'v2' });

    // v1 is retired: tab A's next call is refused and the page reloads, onto v2.
    onebox.plane.retire('web', 1);
    const reloaded = tabA.waitForEvent('load');
    await tabA.evaluate(() => void fetch('/data'));
    await reloaded;
    expect(await tabA.textContent('body')).toBe('v2');
    expect(await data(tabA)).toBe('v2');
    expect(onebox.metrics.snapshot().fallbacks['pin-retired']).toBe(1);
    await context.close();
  });

  it('a pin that is not the gateway’s own picks nothing', async () => {
    const res = await request(`${onebox.gatewayUrl}/data`, { headers: { 'x-onebox-pin': 'eyJ3ZWIiLDFd.bm9wZQ' } });
    expect(await res.body.json()).toEqual({ version: 'v2' });
    expect(onebox.metrics.snapshot().fallbacks['pin-forged']).toBe(1);
  });
});
