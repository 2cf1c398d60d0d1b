import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { openDatabase } from '../../src/store/database.js';
import { PAGE_KEY, storedSecret } from '../../src/store/secrets.js';

/**
 * The page key outlives a restart: a page served before `onebox serve` restarts still
 * reports (its beacons count) and stays pinned (its calls keep its version); a gateway on
 * another state file, whose key is another, refuses the same token.
 */
const TOKEN = /data-onebox="([^"]+)"/;
const COOKIE = 'onebox-uid=kkkkkkkkkkkkkkkkkkkkkk';

describe('the page key across restarts', () => {
  const dispatcher = new Agent({ connections: 8 });
  const dirs: string[] = [];
  let v1: TestUpstream;
  let v2: TestUpstream;

  beforeAll(async () => {
    const site = (label: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><head><title>${label}</title></head><body>${label}</body></html>`);
    };
    [v1, v2] = await Promise.all([startUpstream(site('v1')), startUpstream(site('v2'))]);
  });
  afterAll(async () => {
    await dispatcher.close();
    await Promise.all([v1.close(), v2.close()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const start = (dir: string): Promise<TestOnebox> =>
    startTestOnebox({ components: [{ name: 'web', route: '/', browser: { enabled: true } }] }, { dir });
  const newDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'onebox-pagekey-'));
    dirs.push(d);
    return d;
  };
  const call = async (onebox: TestOnebox, path: string, headers: Record<string, string>, body?: string) => {
    const res = await request(`${onebox.gatewayUrl}${path}`, {
      dispatcher,
      method: body === undefined ? 'GET' : 'POST',
      headers: { cookie: COOKIE, ...headers },
      body,
    });
    return {
      status: res.statusCode,
      version: res.headers['x-onebox-version'],
      vary: res.headers.vary,
      text: await res.body.text(),
    };
  };

  it('is made once per state file, then read back', () => {
    const dir = newDir();
    const first = openDatabase(join(dir, 'state.db'));
    const key = storedSecret(first, PAGE_KEY);
    expect(key.length).toBe(32);
    expect(storedSecret(first, PAGE_KEY).equals(key)).toBe(true);
    first.close();
    const again = openDatabase(join(dir, 'state.db'));
    expect(storedSecret(again, PAGE_KEY).equals(key)).toBe(true);
    again.close();
    const other = openDatabase(':memory:');
    expect(storedSecret(other, PAGE_KEY).equals(key)).toBe(false);
    other.close();
  });

  it("accepts a page served before a restart (beacon counted, pin honoured); another state file's gateway does not", async () => {
    const dir = newDir();
    let onebox = await start(dir);
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
    onebox.plane.setAlias('web', { version: 1 });
    const page = await call(onebox, '/products/1', {});
    expect(page.version).toBe('web:1');
    const token = TOKEN.exec(page.text)![1]!;
    await onebox.close();

    // Restarted on the same state file, with the user's assignment moved to v2 meanwhile.
    onebox = await start(dir);
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 1 } });
    try {
      const beacon = await call(onebox, '/.onebox/beacon', {}, JSON.stringify({ t: token, l: true }));
      expect(beacon.status).toBe(204);
      expect(onebox.metrics.forVersion('web', 1).snapshot().browser?.pageViews).toBe(1);
      expect((await call(onebox, '/api/cart', {})).version).toBe('web:2');
      const pinned = await call(onebox, '/api/cart', { 'x-onebox-pin': token });
      expect(pinned.version).toBe('web:1');
      // Split: the answer varies on the identity and on the pin (a shared cache keeps pinned answers apart).
      expect(pinned.vary).toBe('Cookie, x-onebox-pin');
      expect(onebox.metrics.snapshot().fallbacks['pin-forged']).toBeUndefined();
    } finally {
      await onebox.close();
    }

    const other = await start(newDir());
    other.plane.publish('web', { url: v1.url });
    other.plane.setAlias('web', { version: 1 });
    try {
      expect((await call(other, '/.onebox/beacon', {}, JSON.stringify({ t: token, l: true }))).status).toBe(400);
      await call(other, '/api/cart', { 'x-onebox-pin': token });
      expect(other.metrics.snapshot().fallbacks).toMatchObject({ 'beacon-forged': 1, 'pin-forged': 1 });
    } finally {
      await other.close();
    }
  });

  it('takes a fixed key from gateway.pageKey instead, shared by gateways on different state files', async () => {
    const pageKey = 'k'.repeat(40);
    const startKeyed = (dir: string) =>
      startTestOnebox({ gateway: { pageKey }, components: [{ name: 'web', route: '/', browser: { enabled: true } }] }, { dir });
    const a = await startKeyed(newDir());
    const b = await startKeyed(newDir());
    try {
      for (const o of [a, b]) {
        o.plane.publish('web', { url: v1.url });
        o.plane.setAlias('web', { version: 1 });
      }
      const token = TOKEN.exec((await call(a, '/', {})).text)![1]!;
      expect((await call(b, '/.onebox/beacon', {}, JSON.stringify({ t: token, l: true }))).status).toBe(204);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
