import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { chromium, type Browser } from 'playwright-core';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

const CHROMIUM = process.env.ONEBOX_CHROMIUM ?? '/usr/bin/chromium';
const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;

interface Built {
  readonly release: string;
  readonly web: string;
  readonly api: string;
}

/**
 * The demo shop's one client-side decision through OpenFeature (examples/demo/src/web/browser.js):
 * in a real Chromium, a user the gateway placed on the web one-box sees the "newest shop" note,
 * one on the stable version does not; the provider asks the gateway, which answers for the cookie.
 */
describe.skipIf(NO_BROWSER)('the demo shop decides its canary note with the OpenFeature web provider', () => {
  let dir: string;
  let onebox: TestOnebox;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-demo-of-'));
    const { buildDemo } = (await import(new URL('../../examples/demo/build.mjs', import.meta.url).href)) as {
      buildDemo: (out: string) => Promise<Built[]>;
    };
    const [v1, v2] = await buildDemo(join(dir, 'build'));
    onebox = await startTestOnebox(
      {
        components: [
          { name: 'api', route: '/api' },
          { name: 'web', route: '/' },
        ],
      },
      { handlerOutput: 'ignore' },
    );
    const env = { DEMO_API_ORIGIN: onebox.gatewayUrl };
    onebox.plane.publish('api', { handler: v1!.api, timeoutMs: 3000, env });
    onebox.plane.publish('web', { handler: v1!.web, timeoutMs: 3000, env });
    onebox.plane.publish('web', { handler: v2!.web, timeoutMs: 3000, env });
    onebox.plane.setAlias('api', { version: 1 });
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await onebox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const userOn = async (version: number): Promise<string> => {
    for (let i = 0; ; i++) {
      const id = `of-demo-user-${i}`.padEnd(22, 'z');
      const res = await request(`${onebox.gatewayUrl}/`, { headers: { cookie: `onebox-uid=${id}` } });
      await res.body.dump();
      if (res.headers['x-onebox-version'] === `web:${version}`) return id;
    }
  };

  const noteHidden = async (id: string): Promise<boolean> => {
    const context = await browser.newContext();
    const url = new URL(onebox.gatewayUrl);
    await context.addCookies([{ name: 'onebox-uid', value: id, domain: url.hostname, path: '/' }]);
    const page = await context.newPage();
    const assignment = page.waitForResponse((r) => r.url().endsWith('/.onebox/assignment'));
    await page.goto(`${onebox.gatewayUrl}/`);
    expect((await assignment).status()).toBe(200);
    // data-flag: the script has evaluated the flag.
    const note = page.locator('[data-canary-note][data-flag]');
    await note.waitFor({ state: 'attached' });
    const hidden = await note.evaluate((e) => (e as HTMLElement).hidden);
    await context.close();
    return hidden;
  };

  it('shows the note to a one-box user and not to a stable one', { timeout: 60_000 }, async () => {
    expect(await noteHidden(await userOn(2))).toBe(false);
    expect(await noteHidden(await userOn(1))).toBe(true);
  });
});
