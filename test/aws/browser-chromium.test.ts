import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBrowserSignals } from '../../src/aws/browser.js';
import { beaconHandler, type BrowserLogLine } from '../../src/aws/handlers/beacon.js';
import { RESERVED_PREFIX } from '../../src/core/reserved-paths.js';
import { PageTokens } from '../../src/gateway/page-token.js';

const CHROMIUM = process.env.ONEBOX_CHROMIUM ?? '/usr/bin/chromium';
const NO_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;
const KEY = Buffer.from('k3y-of-the-chromium-test-0123456789abcdef', 'utf8');
const UID = 'ChromiumUserOnTheOneBox01';

/** The browser-only bad release's page: every answer a 200, its script fails in the browser. */
const badPage = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body:
    '<!doctype html><html><head><title>shop</title></head><body><h1>product</h1>' +
    "<script>Promise.reject(new Error('no price')); document.body.dataset.product.toUpperCase();</script>" +
    '</body></html>',
});

/**
 * The two function URLs behind the distribution, played by one loopback server that turns each
 * request into the function URL event AWS documents (payload 2.0): `/.onebox/*` to the beacon
 * function, the rest to the SSR function (v3, wrapped in withBrowserSignals), with the
 * `baggage` the edge writes.
 */
function distribution(lines: BrowserLogLine[]): Promise<Server> {
  const ssr = withBrowserSignals(badPage, { component: 'web', key: KEY, version: 3 });
  const beacon = beaconHandler({ key: KEY, write: (l) => lines.push(JSON.parse(l) as BrowserLogLine) });
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const event = {
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      cookies: [`onebox-uid=${UID}`],
      headers: { baggage: `onebox-uid=${UID}`, 'content-type': String(req.headers['content-type'] ?? '') },
      requestContext: { http: { method: req.method ?? 'GET', path: url.pathname } },
      body: chunks.length ? Buffer.concat(chunks).toString('base64') : undefined,
      isBase64Encoded: chunks.length > 0,
    };
    const out = url.pathname.startsWith(RESERVED_PREFIX) ? await beacon(event) : await ssr(event, {});
    res.writeHead(out.statusCode, out.headers as Record<string, string>);
    res.end(out.body ?? '');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(NO_BROWSER)('browser signals of a Lambda app, from a real Chromium', () => {
  const lines: BrowserLogLine[] = [];
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await distribution(lines);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("counts the bad version's page load and its errors for v3 and this user", async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/products/7`);
    // The script's 300 ms batch, then the beacon.
    await expect
      .poll(
        () =>
          lines
            .filter((l) => l.onebox === 'browser')
            .map((l) => l.kind)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['error', 'load', 'rejection']);
    await page.close();
    const user = new PageTokens(KEY).userDigest(UID);
    for (const l of lines)
      expect(l).toMatchObject({ onebox: 'browser', component: 'web', version: '3', user, path: '/products/7' });
  });
});
