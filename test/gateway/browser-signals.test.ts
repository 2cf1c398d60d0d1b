import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

const PAGE = '<!doctype html><html lang="en"><head><title>shop</title></head><body><h1>shop</h1></body></html>';

/** A page, a big streamed page, an asset, a gzip-labelled page and JSON, as an app would answer. */
/** Every target the upstreams were asked for: none may be under the reserved prefix. */
const seen: string[] = [];

const site = (label: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  seen.push(req.url ?? '');
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/big') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<!doctype html><html><he');
    res.write(`ad data-v="${label}"><title>big</title></head><body>`);
    res.end(`${'x'.repeat(100_000)}</body></html>`);
  } else if (path === '/zipped') {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
    res.end('not really gzip');
  } else if (path === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end('console.log(1)');
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=60' });
    res.end(PAGE.replace('shop</h1>', `shop ${label}</h1>`));
  }
};

const TOKEN = /<script src="\/\.onebox\/browser\.js" data-onebox="([^"]+)"><\/script>/;

describe('browser signals at the gateway', () => {
  let up: TestUpstream;
  let plain: TestUpstream;
  let onebox: TestOnebox;
  const dispatcher = new Agent({ connections: 32 });

  beforeAll(async () => {
    [up, plain] = await Promise.all([startUpstream(site('v1')), startUpstream(site('plain'))]);
    onebox = await startTestOnebox({
      components: [
        { name: 'web', route: '/', browser: { enabled: true } },
        { name: 'docs', route: '/docs' },
      ],
    });
    onebox.plane.publish('web', { url: up.url });
    onebox.plane.setAlias('web', { version: 1 });
    onebox.plane.publish('docs', { url: plain.url });
    onebox.plane.setAlias('docs', { version: 1 });
  });
  afterAll(async () => {
    await dispatcher.close();
    await onebox.close();
    await Promise.all([up.close(), plain.close()]);
  });

  const get = async (path: string, cookie = 'onebox-uid=aaaaaaaaaaaaaaaaaaaaaa') => {
    const res = await request(`${onebox.gatewayUrl}${path}`, { dispatcher, headers: { cookie } });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const beacon = async (body: string) => {
    const res = await request(`${onebox.gatewayUrl}/.onebox/beacon`, {
      method: 'POST',
      dispatcher,
      body,
      headers: { 'content-type': 'text/plain' },
    });
    await res.body.dump();
    return res.statusCode;
  };
  const browser = () => onebox.metrics.forVersion('web', 1).snapshot().browser;
  const fallbacks = () => onebox.metrics.snapshot().fallbacks;

  it("puts the script's tag first in the page's <head>, with a private Cache-Control and no stale length", async () => {
    const page = await get('/products/1');
    const m = TOKEN.exec(page.body);
    expect(m).not.toBeNull();
    expect(page.body.indexOf(m![0])).toBe(page.body.indexOf('<head>') + '<head>'.length);
    expect(page.body.replace(m![0], '')).toBe(PAGE.replace('shop</h1>', 'shop v1</h1>'));
    expect(page.headers['cache-control']).toBe('private, max-age=60');
    expect(page.headers['content-length']).toBeUndefined();
    // Each page load has its own token.
    expect(TOKEN.exec((await get('/products/1')).body)![1]).not.toBe(m![1]);
  });

  it('finds the <head> across chunks of a streamed page', async () => {
    const page = await get('/big');
    expect(page.body).toMatch(
      /<head data-v="v1"><script src="\/\.onebox\/browser\.js" data-onebox="[^"]+"><\/script><title>/,
    );
    expect(page.body.length).toBeGreaterThan(100_000);
  });

  it('leaves assets, compressed pages and components without browser signals as they are', async () => {
    expect((await get('/app.js')).body).toBe('console.log(1)');
    expect((await get('/zipped')).body).toBe('not really gzip');
    const docs = await get('/docs/x');
    expect(docs.body).toBe(PAGE.replace('shop</h1>', 'shop plain</h1>'));
    expect(docs.headers['cache-control']).toBe('public, max-age=60');
  });

  it('serves the script', async () => {
    const script = await get('/.onebox/browser.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).toContain("navigator.sendBeacon('/.onebox/beacon'");
  });

  it('counts a page load and its errors once, for the version that served the page', async () => {
    const before = browser()?.pageViews ?? 0;
    const token = TOKEN.exec((await get('/products/7', 'onebox-uid=bbbbbbbbbbbbbbbbbbbbbb')).body)![1]!;
    expect(await beacon(JSON.stringify({ t: token, l: true }))).toBe(204);
    expect(await beacon(JSON.stringify({ t: token, l: true }))).toBe(204);
    expect(await beacon(JSON.stringify({ t: token, e: [{ k: 'error' }, { k: 'error' }, { k: 'resource' }] }))).toBe(
      204,
    );
    expect(await beacon(JSON.stringify({ t: token, e: [{ k: 'error' }] }))).toBe(204);
    const b = browser()!;
    expect(b.pageViews).toBe(before + 1);
    expect(b.errors).toMatchObject({ error: 1, resource: 1 });
    expect(b.errorUsers).toBe(1);
    expect(b.pages).toContainEqual({ path: '/products/7', views: 1, errors: 2 });
  });

  it('drops and counts what is forged, malformed, too large or too many', async () => {
    const token = TOKEN.exec((await get('/x', 'onebox-uid=cccccccccccccccccccccc')).body)![1]!;
    const [payload, mac] = token.split('.');
    // The version the page names is the gateway's: a changed claim no longer matches its signature.
    const claim = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[];
    claim[1] = 2;
    const forged = `${Buffer.from(JSON.stringify(claim)).toString('base64url')}.${mac}`;
    expect(await beacon(JSON.stringify({ t: forged, l: true }))).toBe(400);
    expect(await beacon(JSON.stringify({ t: 'made.up', l: true }))).toBe(400);
    expect(fallbacks()['beacon-forged']).toBe(2);
    expect(await beacon('{"t": 1}')).toBe(400);
    expect(await beacon('not json')).toBe(400);
    expect(await beacon(JSON.stringify({ t: token, e: [{ k: 'nope' }] }))).toBe(400);
    expect(fallbacks()['beacon-malformed']).toBe(3);
    expect(await beacon(JSON.stringify({ t: token, l: true, pad: 'x'.repeat(5000) }))).toBe(413);
    expect(fallbacks()['beacon-too-large']).toBe(1);
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => beacon(JSON.stringify({ t: token, e: [{ k: 'app' }] }))),
    );
    // 20 at once per user (then 30 a minute): the rest are refused and counted.
    expect(statuses.filter((s) => s === 204).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((s) => s === 204).length).toBeLessThanOrEqual(22);
    expect(fallbacks()['beacon-rate-limited']).toBe(statuses.filter((s) => s === 429).length);
  });

  it('answers everything under /.onebox/ itself: counted, never proxied to a version', async () => {
    const before = fallbacks();
    const unknown = await get('/.onebox/x');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: 'no_route', path: '/.onebox/x' });
    expect((await get('/.onebox')).status).toBe(404);
    expect((await get('/.onebox/beacon')).status).toBe(405);
    const post = await request(`${onebox.gatewayUrl}/.onebox/browser.js`, { method: 'POST', dispatcher, body: 'x' });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
    // An absolute-form target is the same path: it is not a way around the prefix.
    const raw = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(onebox.gatewayUrl);
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.end(`GET http://shop.test/.onebox/other HTTP/1.1\r\nhost: shop.test\r\nconnection: close\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    const after = fallbacks();
    expect((after['no-route'] ?? 0) - (before['no-route'] ?? 0)).toBe(3);
    expect((after['beacon-method'] ?? 0) - (before['beacon-method'] ?? 0)).toBe(1);
    expect((after['reserved-method'] ?? 0) - (before['reserved-method'] ?? 0)).toBe(1);
    expect(seen.filter((u) => u.includes('.onebox'))).toEqual([]);
  });

  it('names the pin in Vary on every answer of a component with browser signals, pinned or not', async () => {
    const token = TOKEN.exec((await get('/products/3')).body)![1]!;
    const unpinned = await get('/app.js');
    expect(unpinned.headers.vary).toBe('x-onebox-pin');
    const res = await request(`${onebox.gatewayUrl}/app.js`, { dispatcher, headers: { 'x-onebox-pin': token } });
    await res.body.dump();
    expect(res.headers['x-onebox-version']).toBe('web:1');
    expect(res.headers.vary).toBe('x-onebox-pin');
    // A component without browser signals routes on no pin: its answers do not vary on one.
    expect((await get('/docs/x')).headers.vary).toBeUndefined();
  });

  it('bounds the users with an error one address adds, whatever identities and X-Forwarded-For it sends', async () => {
    // Its own client address (loopback), so that the other tests' users are not in its buckets.
    const client = new Agent({ localAddress: '127.0.0.3' });
    try {
      const before = browser()!.errorUsers;
      const dropped = fallbacks()['beacon-ip-error-users'] ?? 0;
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const cookie = `onebox-uid=${`fresh${i}`.padEnd(22, 'f')}`;
        const page = await request(`${onebox.gatewayUrl}/p/${i}`, { dispatcher: client, headers: { cookie } });
        const token = TOKEN.exec(await page.body.text())![1]!;
        const res = await request(`${onebox.gatewayUrl}/.onebox/beacon`, {
          dispatcher: client,
          method: 'POST',
          // Not trusted: the gateway is not configured behind a proxy (trustProxy false).
          headers: { 'x-forwarded-for': `198.51.100.${i}` },
          body: JSON.stringify({ t: token, l: true, e: [{ k: 'error' }] }),
        });
        await res.body.dump();
        statuses.push(res.statusCode);
      }
      // DEFAULT_IP_ERROR_USER_LIMITS: 5 at once (then 1 a minute, and this takes well under one).
      expect(statuses.filter((s) => s === 204).length).toBe(5);
      expect(browser()!.errorUsers - before).toBe(5);
      expect((fallbacks()['beacon-ip-error-users'] ?? 0) - dropped).toBe(7);
    } finally {
      await client.close();
    }
  });
});
