import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { BrowserUser } from '../../../src/tools/demo/browser-user.js';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';

/**
 * A stand-in for the gateway and the shop: pages carry a page token (`tok-<version>`), the
 * version that answers is `version()` unless a pin names one, and beacons are kept.
 */
async function site(version: () => number, options: { reads?: string; retired?: number } = {}) {
  const beacons: unknown[] = [];
  const pins: string[] = [];
  const upstream = await startUpstream((req, res) => {
    const pin = req.headers['x-onebox-pin'] as string | undefined;
    if (pin) pins.push(`${req.url} ${pin}`);
    const v = pin?.startsWith('tok-') ? Number(pin.slice(4)) : version();
    if (req.url === '/.onebox/beacon') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        beacons.push(JSON.parse(body));
        res.statusCode = 204;
        res.end();
      });
      return;
    }
    if (pin && v === options.retired) {
      res.writeHead(409, { 'x-onebox-reload': '1' });
      res.end();
      return;
    }
    res.setHeader('x-onebox-version', `web:${v}`);
    res.setHeader('set-cookie', 'onebox-uid=AAAAAAAAAAAAAAAAAAAAAA; Path=/');
    if (req.url === '/api/x') res.end(JSON.stringify({ rating: 4 }));
    else if (req.url?.startsWith('/assets/')) res.end('ok');
    else
      res.end(
        `<html><head><script src="/.onebox/browser.js" data-onebox="tok-${v}"></script>` +
          `<script src="/assets/app-${v}.js"></script></head>` +
          `<main data-api="/api/x" data-needs="rating"${options.reads ? ` data-reads="${options.reads}"` : ''}></main></html>`,
      );
  });
  return { upstream, beacons, pins };
}

describe('the demo browser', () => {
  let up: TestUpstream | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.close();
    await up?.close();
  });

  it('reports its page load with the page token and pins its API call to it', async () => {
    const s = await site(() => 1);
    up = s.upstream;
    pool = new Pool(up.url);
    const view = await new BrowserUser(pool, 'web', { keepOpen: 0 }).view('/');
    expect(view).toMatchObject({ outcome: 'ok', version: 1 });
    expect(s.beacons).toEqual([{ t: 'tok-1', l: true, e: [] }]);
    expect(s.pins).toEqual(['/api/x tok-1']);
  });

  it('keeps a tab open: its next view is a navigation its pin keeps on its version', async () => {
    let live = 1;
    const s = await site(() => live);
    up = s.upstream;
    pool = new Pool(up.url);
    const user = new BrowserUser(pool, 'web', { keepOpen: 1 });
    await user.view('/');
    live = 2;
    const view = await user.view('/products/1');
    expect(view).toMatchObject({ outcome: 'ok', version: 1, navigated: true });
    // The load was reported once, by the first page.
    expect(s.beacons).toHaveLength(1);
  });

  it('counts a navigation broken when HTML of another version comes back', async () => {
    let live = 1;
    const s = await site(() => live);
    up = s.upstream;
    pool = new Pool(up.url);
    const user = new BrowserUser(pool, 'web', { keepOpen: 1 });
    await user.view('/');
    live = 2;
    // A gateway without skew protection: the pin is ignored.
    (user as unknown as { tab: { token: string } }).tab.token = 'none';
    const view = await user.view('/products/1');
    expect(view).toMatchObject({ outcome: 'broken', reason: 'a v1 tab got v2 HTML' });
  });

  it('reloads a tab whose version is gone', async () => {
    let live = 1;
    const s = await site(() => live, { retired: 1 });
    up = s.upstream;
    pool = new Pool(up.url);
    const user = new BrowserUser(pool, 'web', { keepOpen: 1 });
    // The first view has no pin: v1 answers it.
    await user.view('/');
    live = 2;
    const view = await user.view('/products/1');
    expect(view).toMatchObject({ outcome: 'ok', version: 2, reloaded: true });
  });

  it('reports its script failing where the API answer lacks a field it reads', async () => {
    const s = await site(() => 4, { reads: 'listPrice' });
    up = s.upstream;
    pool = new Pool(up.url);
    const view = await new BrowserUser(pool, 'web', { keepOpen: 0 }).view('/products/2');
    expect(view).toMatchObject({ outcome: 'error', reason: 'its script failed: it reads listPrice' });
    expect(s.beacons).toEqual([{ t: 'tok-4', l: true, e: [{ k: 'app' }] }]);
  });
});
