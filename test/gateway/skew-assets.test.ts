import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/** A release with its own hashed asset. */
const build =
  (label: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.url === `/assets/app-${label}.js`) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(`/* ${label} */`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`${label}: not found`);
  };

/** Skew protection for what a page loads without its script: a hashed asset goes to the release that has it. */
describe('hashed assets of a retained version', () => {
  let ups: TestUpstream[];
  let onebox: TestOnebox;

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(build('v1')), startUpstream(build('v2')), startUpstream(build('v3'))]);
    onebox = await startTestOnebox({
      components: [{ name: 'web', route: '/', browser: { enabled: true } }],
    });
    for (const u of ups) onebox.plane.publish('web', { url: u.url });
    // v3 was in a one-box and was rolled back: v2 serves everyone, v3 is retained.
    onebox.plane.setAlias('web', { version: 2, weights: { '3': 0.2 } });
    onebox.plane.setAlias('web', { version: 2 });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${onebox.gatewayUrl}${path}`, {
      headers: { cookie: 'onebox-uid=dddddddddddddddddddddd', ...headers },
    });
    return { status: res.statusCode, version: res.headers['x-onebox-version'], body: await res.body.text() };
  };

  it('serves a rolled-back release’s asset from that release, and the live one’s from the live one', async () => {
    expect(await get('/assets/app-v3.js')).toEqual({ status: 200, version: 'web:3', body: '/* v3 */' });
    expect(await get('/assets/app-v2.js')).toEqual({ status: 200, version: 'web:2', body: '/* v2 */' });
  });

  it('answers 404 when no retained release has the file (the last one asked answers it)', async () => {
    expect(await get('/assets/app-v9.js')).toEqual({ status: 404, version: 'web:3', body: 'v3: not found' });
    // Each version asked once: the live one, then the retained one; the first 404 was not counted.
    expect(onebox.metrics.forVersion('web', 2).snapshot().requests).toBe(1);
    // v1 was never routed by this gateway's alias since it started: it is not retained.
    expect((await get('/assets/app-v1.js')).status).toBe(404);
  });

  it('does not look elsewhere for a navigation', async () => {
    expect((await get('/assets/app-v3.js', { 'sec-fetch-mode': 'navigate' })).status).toBe(404);
    expect((await get('/assets/app-v3.js', { accept: 'text/html,*/*' })).status).toBe(404);
  });

  it('stops at a retired release', async () => {
    onebox.plane.retire('web', 3);
    expect((await get('/assets/app-v3.js')).status).toBe(404);
  });
});
