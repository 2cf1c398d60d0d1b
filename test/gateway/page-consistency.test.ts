import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startSampleSite, type SampleSite } from '../../src/tools/sample/site.js';
import { cookieFrom } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/**
 * Seed 003's argument, measured: a page whose HTML and hashed assets come from two
 * versions is broken. 1,000 users load a page and its 12 assets through a 50% split.
 */
const USERS = 1000;

async function loadPages(gatewayUrl: string, dispatcher: Agent): Promise<{ broken: number; onNew: number }> {
  let broken = 0;
  let onNew = 0;
  const user = async (): Promise<void> => {
    const page = await request(`${gatewayUrl}/`, { dispatcher });
    const html = await page.body.text();
    const cookie = cookieFrom(page.headers['set-cookie']);
    if (String(page.headers['x-onebox-version']) === 'web:2') onNew++;
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(12);
    const statuses = await Promise.all(
      assets.map(async (a) => {
        const res = await request(`${gatewayUrl}${a}`, { dispatcher, headers: { cookie } });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    if (statuses.some((s) => s !== 200)) broken++;
  };
  const queue = Array.from({ length: USERS }, () => user);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let job = queue.pop(); job; job = queue.pop()) await job();
    }),
  );
  return { broken, onNew };
}

describe('page consistency at a 50% split', () => {
  let v1: SampleSite;
  let v2: SampleSite;
  let onebox: TestOnebox;
  const dispatcher = new Agent({ connections: 16 });

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startSampleSite('v1'), startSampleSite('v2')]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
  });
  afterAll(async () => {
    await dispatcher.close();
    await onebox.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  it('sticky routing breaks no page', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'sticky' });
    const { broken, onNew } = await loadPages(onebox.gatewayUrl, dispatcher);
    console.log(`[page test] sticky: ${broken}/${USERS} broken pages, ${onNew} users on v2`);
    expect(broken).toBe(0);
    expect(onNew).toBeGreaterThan(USERS * 0.4);
    expect(onNew).toBeLessThan(USERS * 0.6);
  });

  it('per-request routing (Lambda weighted alias) breaks most pages', async () => {
    onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 }, routing: 'request' });
    const { broken } = await loadPages(onebox.gatewayUrl, dispatcher);
    console.log(`[page test] per-request: ${broken}/${USERS} broken pages`);
    // Each of 12 assets lands on the page's version with p = 0.5: P(intact) = 2^-12.
    expect(broken).toBeGreaterThan(USERS * 0.95);
  });
});
