import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../../helpers/onebox.js';

const app = (label: string) => (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><html><head></head><body>${label}</body></html>`);
};

/**
 * Browser signals and skew pins in gateway workers: a page served by one worker reports to
 * any other (one key for all), its beacon is counted once in the primary, and its pinned
 * calls keep its version in every worker after the alias moved (the primary's retained set).
 */
describe('browser signals in gateway workers', () => {
  let ups: TestUpstream[];
  let onebox: TestOnebox;

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(app('v1')), startUpstream(app('v2'))]);
    onebox = await startTestOnebox(
      { gateway: { workers: 2 }, components: [{ name: 'web', route: '/', browser: { enabled: true } }] },
      { workerReportMs: 20, handlerOutput: 'ignore' },
    );
    for (const u of ups) onebox.plane.publish('web', { url: u.url });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  /** Each request on a new connection, so the cluster deals them to every worker. */
  const send = async (
    path: string,
    init: { method?: 'POST'; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const agent = new Agent({ pipelining: 0 });
    try {
      const res = await request(`${onebox.gatewayUrl}${path}`, {
        dispatcher: agent,
        method: init.method ?? 'GET',
        body: init.body,
        headers: { cookie: 'onebox-uid=eeeeeeeeeeeeeeeeeeeeee', connection: 'close', ...init.headers },
      });
      return { status: res.statusCode, version: String(res.headers['x-onebox-version']), body: await res.body.text() };
    } finally {
      await agent.close();
    }
  };

  it('counts a page’s beacons in the primary, and keeps its pinned calls on its version in every worker', async () => {
    const page = await send('/products/1');
    const token = /data-onebox="([^"]+)"/.exec(page.body)![1]!;
    for (let i = 0; i < 6; i++)
      expect(
        (await send('/.onebox/beacon', { method: 'POST', body: JSON.stringify({ t: token, l: true }) })).status,
      ).toBe(204);
    await expect.poll(() => onebox.metrics.forVersion('web', 1).snapshot().browser?.pageViews).toBe(1);
    onebox.plane.setAlias('web', { version: 2 });
    await expect.poll(async () => (await send('/x')).version).toBe('web:2');
    const pinned = await Promise.all(
      Array.from({ length: 6 }, () => send('/data', { headers: { 'x-onebox-pin': token } })),
    );
    expect(pinned.map((r) => r.version)).toEqual(Array(6).fill('web:1'));
  });
});
