import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Debian's chromium (`.ci/run` installs it); ONEBOX_CHROMIUM points elsewhere. */
const CHROMIUM = process.env.ONEBOX_CHROMIUM ?? '/usr/bin/chromium';
/** Without a browser the test is skipped on a developer's machine, and fails in CI. */
const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;
if (NO_BROWSER) console.warn(`test/dashboard skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);
/** `npm run screenshots` sets it: the test then saves the overview under docs/. */
const SCREENSHOTS = process.env.ONEBOX_SCREENSHOTS === '1';
const ALICE = 'alice-token-0123456789';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.skipIf(NO_BROWSER)('the release dashboard in a real browser', () => {
  const clock = new FakeClock();
  const agent = new Agent({ connections: 16 });
  let onebox: TestOnebox;
  let ups: TestUpstream[];
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the page logged as errors (CSP violations, exceptions). */
  const pageErrors: string[] = [];

  /** Users through the gateway, each with a sticky cookie, until stopped. */
  let trafficOn = false;
  let trafficLoop: Promise<void> | undefined;
  const served = new Map<string, number>();
  const startTraffic = (): void => {
    trafficOn = true;
    trafficLoop = (async () => {
      for (let round = 0; trafficOn; round++) {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const uid = `user-${(round * 8 + i) % 400}`.padEnd(22, 'x');
            const res = await request(`${onebox.gatewayUrl}/`, {
              dispatcher: agent,
              headers: { cookie: `onebox-uid=${uid}` },
            });
            await res.body.dump();
            const v = String(res.headers['x-onebox-version']);
            served.set(v, (served.get(v) ?? 0) + 1);
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
  };
  const stopTraffic = async (): Promise<void> => {
    trafficOn = false;
    await trafficLoop;
  };

  const admin = async (method: string, path: string, body?: unknown, token = TEST_TOKEN) => {
    const res = await request(`${onebox.adminUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  /** Saves the viewport, once the charts hold `points` samples (a few seconds of traffic to look at). */
  const shot = async (name: string, points: number): Promise<void> => {
    if (!SCREENSHOTS) return;
    const charts = page.locator('section.charts').first();
    await expect
      .poll(async () => Number(await charts.getAttribute('data-points')), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(points);
    mkdirSync('docs', { recursive: true });
    await page.screenshot({ path: `docs/${name}.png`, fullPage: false });
  };

  beforeAll(async () => {
    ups = await Promise.all([
      startUpstream(labelled('v1')),
      startUpstream(labelled('v2')),
      startUpstream(labelled('v3')),
    ]);
    onebox = await startTestOnebox(
      {
        components: [
          {
            name: 'web',
            route: '/',
            deployment: { alarms: { minRequests: 20 }, judge: { enabled: false } },
          },
        ],
        admin: { tokens: [{ name: 'alice', token: ALICE }] },
      },
      { clock, feedIntervalMs: 250 },
    );
    onebox.plane.publish('web', { url: ups[0]!.url, description: 'stable' });
    onebox.plane.publish('web', { url: ups[1]!.url, description: 'new' });
    onebox.plane.publish('web', { url: ups[2]!.url, description: 'shadow: answers differ in $.version' });
    onebox.plane.setAlias('web', { version: 1 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await stopTraffic();
    await browser?.close();
    await onebox?.close();
    await Promise.all((ups ?? []).map((u) => u.close()));
    await agent.close();
  });

  it('shows only the sign-in form, and no data, without a valid token; the API answers 401', async () => {
    await page.goto(`${onebox.adminUrl}/`);
    const form = page.getByRole('region', { name: 'Sign in' });
    await expect.poll(() => form.isVisible()).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);

    // Missing: the browser's own validation keeps the form; nothing is asked of the API.
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.locator('#app').isVisible()).toBe(false);

    await page.getByLabel('Admin token').fill('wrong-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The admin API refused this token.');
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(
      await page.locator('#components, #charts, #history').evaluateAll((els) => els.map((e) => e.childElementCount)),
    ).toEqual([0, 0, 0]);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(page.url()).toBe(`${onebox.adminUrl}/`);

    const statusOf = (headers: Record<string, string>) =>
      page.evaluate(async (h) => (await fetch('/v1/status', { headers: h })).status, headers);
    expect(await statusOf({})).toBe(401);
    expect(await statusOf({ authorization: 'Bearer wrong-token-0123456789' })).toBe(401);
    expect(await statusOf({ authorization: `Bearer ${ALICE}` })).toBe(200);
  });

  it('follows a release live, rolls it back on a confirmed click, and names who did it', async () => {
    const created = await admin('POST', '/v1/releases', {
      components: [{ component: 'web', version: 2, config: 'steps:10%@1m,50%@1m,100%' }],
    });
    expect(created.status).toBe(201);
    expect((await admin('POST', '/v1/components/web/shadow', { version: 3, share: 0.25 })).status).toBe(200);
    startTraffic();
    pageErrors.length = 0; // the 401s asked for above

    await page.getByLabel('Admin token').fill(ALICE);
    await page.getByLabel('Admin token').press('Enter');
    await expect.poll(() => page.locator('#who').textContent()).toBe('Signed in as alice');
    expect(page.url()).toBe(`${onebox.adminUrl}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('onebox-admin-token'))).toBe(ALICE);

    const card = page.getByRole('article', { name: 'web' });
    const alias = card.getByTestId('alias-web');
    await expect.poll(() => alias.textContent()).toBe('v1 90%, v2 10%');
    expect(await card.getByTestId('status-web').textContent()).toBe('shifting traffic');
    expect(await card.getByTestId('left-web').textContent()).toBe('1m left');
    // While the gate waits, it says how much more it needs.
    expect(await card.getByRole('term').allTextContents()).toEqual(['Alarms', 'Judge', 'Waiting']);
    expect(await card.getByRole('definition').last().textContent()).toMatch(
      /^the gate needs ~[\d,]+ more requests? on v2/,
    );

    // The charts receive samples with both versions in them.
    const charts = page.locator('section.charts').first();
    await expect
      .poll(async () => Number(await charts.getAttribute('data-points')), { timeout: 10_000 })
      .toBeGreaterThan(3);
    await expect.poll(() => charts.getAttribute('data-versions')).toBe('1,2');
    await expect.poll(() => page.getByTestId('latest-web').textContent()).toMatch(/v2 \(new\): [\d.]+ req\/s/);
    expect(await charts.locator('figure canvas').count()).toBe(3);

    // The hold runs out (fake time) with enough traffic on v2: the next step, seen live.
    await expect.poll(() => onebox.metrics.forVersion('web', 2).requests, { timeout: 15_000 }).toBeGreaterThan(25);
    clock.advance(61_000);
    onebox.controller.tick();
    await expect.poll(() => alias.textContent()).toBe('v1 50%, v2 50%');
    await expect
      .poll(() => card.getByRole('listitem').and(page.locator('[aria-current="step"]')).textContent())
      .toMatch(/^50%/);
    await expect
      .poll(() => page.getByTestId('history-web').textContent())
      .toMatch(/50% of users on v2 for 1m \(step 2 of 3\)/);
    await expect.poll(() => card.getByText(/^Users exposed to v2/).textContent()).toMatch(/of \d+ active users/);

    // The shadow report, with its top difference.
    await expect
      .poll(() => onebox.plane.shadowReport('web').counters.compared, { timeout: 10_000 })
      .toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Show report' }).click();
    const report = page.locator('#shadow-out');
    await expect.poll(() => report.textContent()).toContain('web shadow v3: differences found');
    expect(await report.getByRole('rowheader').first().textContent()).toBe('$.version');
    expect(await report.getByRole('row').nth(1).textContent()).toMatch(/v[12] → v3$/);
    await shot('dashboard-release', 40);

    // Roll back, by keyboard: the button, then the dialog (focus starts on Cancel).
    await card.getByRole('button', { name: 'Roll back' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Roll back web v2?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.textContent()).toContain(
      'All users go back to v1 at once. The history will record that alice did it.',
    );
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await alias.textContent()).toBe('v1 50%, v2 50%');

    await card.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await expect.poll(() => alias.textContent()).toBe('v1 100%');
    expect(await card.getByTestId('status-web').textContent()).toBe('rolled back');
    expect(await card.locator('.why').textContent()).toBe('Why: rolled back by alice');
    await expect
      .poll(() => page.getByTestId('history-web').textContent())
      .toMatch(/v2: rolled back by alice; all traffic on v1/);
    expect(await page.getByTestId('history-web').locator('.why').textContent()).toBe('Why: rolled back by alice');
    // The step that was running is where it ended, no longer the current one.
    expect(await card.locator('[aria-current="step"]').count()).toBe(0);
    expect(await card.locator('.step-ended').textContent()).toMatch(/^50%hold 1mrolled back here$/);

    // Traffic is back on the stable version: at the gateway, and on the chart.
    served.clear();
    await expect.poll(() => served.get('web:1') ?? 0).toBeGreaterThan(50);
    expect(served.get('web:2')).toBeUndefined();
    await expect
      .poll(() => page.getByTestId('latest-web').textContent())
      .toMatch(/v1 \(stable\): [\d.]+ req\/s.*v2 \(new\): no requests/);
    await shot('dashboard-rollback', 80);

    // Keyboard and labels, contrast: axe-core finds no violation on the page as it stands.
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run: (opts: object) => Promise<{ violations: { id: string; nodes: unknown[] }[] }> };
        }
      ).axe;
      const r = await axe.run({ runOnly: ['wcag2a', 'wcag2aa'] });
      return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
    });
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows a pause, a stop and a success as they are, in one 24-hour clock', async () => {
    const card = page.getByRole('article', { name: 'web' });
    const current = card.locator('[aria-current="step"]');
    const release = async () =>
      expect(
        (
          await admin('POST', '/v1/releases', {
            components: [{ component: 'web', version: 2, config: 'steps:50%@1m,100%' }],
          })
        ).status,
      ).toBe(201);

    await release();
    await expect.poll(() => card.getByTestId('alias-web').textContent()).toBe('v1 50%, v2 50%');
    expect((await admin('POST', '/v1/components/web/deployment/pause')).status).toBe(200);
    await expect.poll(() => card.getByTestId('status-web').textContent()).toBe('paused');
    expect(await current.textContent()).toMatch(/^50%hold 1m.* left \(paused\)$/);

    expect((await admin('POST', '/v1/components/web/deployment/stop')).status).toBe(200);
    await expect.poll(() => card.getByTestId('status-web').textContent()).toBe('stopped');
    expect(await current.count()).toBe(0);
    expect(await card.locator('.step-ended').textContent()).toMatch(/stopped here$/);
    await expect
      .poll(() => page.getByTestId('history-web').first().textContent())
      .toMatch(/v2: stopped by admin; all traffic on v1/);

    await release();
    expect((await admin('POST', '/v1/components/web/deployment/promote-all')).status).toBe(200);
    await expect.poll(() => card.getByTestId('status-web').textContent()).toBe('succeeded');
    expect(await current.count()).toBe(0);
    expect(await card.locator('.step-done').count()).toBe(2);

    // One clock on the page: the history's times and the charts' axis, 24-hour.
    const times = await page.locator('#history time').allTextContents();
    expect(times.length).toBeGreaterThan(3);
    for (const t of times) expect(t).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    const ticks = await page.locator('figure.chart').first().getAttribute('data-x-ticks');
    expect(ticks).toBeTruthy();
    for (const t of ticks!.split(' ')) expect(t).toMatch(/^\d{2}:\d{2}(:\d{2})?$/);
    expect(pageErrors).toEqual([]);
  });

  it('signs out: the token leaves the session and the data leaves the page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(
      await page.locator('#components, #charts, #history').evaluateAll((els) => els.map((e) => e.childElementCount)),
    ).toEqual([0, 0, 0]);
    await page.reload();
    await expect.poll(() => page.getByRole('region', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});
