import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { shadowPolicyBody } from '../../src/api/shadow-policy.js';
import type { ShadowSummary } from '../../src/core/shadow/index.js';
import { SHADOW_HANDLER_NICENESS } from '../../src/gateway/shadow-mirror.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Shadows of handler versions: the demo's API (a Lambda-style handler) shadowed by its next
 * release, HTTP and handler versions mirrored both ways, and a hung handler shadow that the
 * live version's processes never notice (the shadow's copies run in a pool of its own).
 */

interface BuiltRelease {
  readonly release: string;
  readonly api: string;
}
const DEMO_BUILD = new URL('../../examples/demo/build.mjs', import.meta.url);

/** A handler and an HTTP server that answer alike: the path, a price, the time, the process. */
const HANDLER = (price: number, hang = false) => `
export async function handler(event) {
  ${hang ? 'await new Promise(() => undefined);' : ''}
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ path: event.rawPath, price: ${price}, at: new Date().toISOString() }),
  };
}
`;
const server = (price: number) => (req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ path: req.url, price, at: new Date().toISOString() }));
};
const PID_HANDLER = `
export async function handler() {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pid: process.pid }) };
}
`;

describe('shadows of handler versions', () => {
  const agent = new Agent({ connections: 32 });
  let onebox: TestOnebox;
  let dir: string;
  let demo: Map<string, string>;
  let http: { ten: TestUpstream; twelve: TestUpstream };
  /** Handler modules by name (`file#handler`). */
  const handlers: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-handler-shadow-'));
    const { buildDemo } = (await import(DEMO_BUILD.href)) as {
      buildDemo(outDir: string): Promise<BuiltRelease[]>;
    };
    demo = new Map((await buildDemo(join(dir, 'demo'))).map((b) => [b.release, b.api]));
    for (const [name, code] of Object.entries({
      ten: HANDLER(10),
      twelve: HANDLER(12),
      hung: HANDLER(10, true),
      pid: PID_HANDLER,
    })) {
      writeFileSync(join(dir, `${name}.mjs`), code);
      handlers[name] = `${join(dir, `${name}.mjs`)}#handler`;
    }
    const [ten, twelve] = await Promise.all([startUpstream(server(10)), startUpstream(server(12))]);
    http = { ten: ten!, twelve: twelve! };
    onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
  }, 60_000);

  afterAll(async () => {
    await onebox.close();
    await Promise.all([http.ten.close(), http.twelve.close()]);
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A handler version (default timeout 3 s) or a URL one. */
  const publish = (t: { handler: string; timeoutMs?: number } | { url: string }): number =>
    onebox.plane.publish('web', 'handler' in t ? { timeoutMs: 3000, ...t } : t).number;

  /** `live` serves, `shadow` gets the copies of `n` requests to `path(i)`; the shadow's report. */
  const run = async (
    live: number,
    shadow: number,
    n: number,
    path: (i: number) => string,
    over: Record<string, unknown> = {},
  ): Promise<ShadowSummary> => {
    onebox.plane.setAlias('web', { version: live });
    onebox.plane.startShadow('web', shadowPolicyBody.parse({ version: shadow, ...over }));
    const runtime = onebox.shadows.runtimes.get('web')!;
    const statuses = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await request(`${onebox.gatewayUrl}${path(i)}`, { dispatcher: agent });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await expect.poll(() => runtime.inFlight, { timeout: 10_000, interval: 10 }).toBe(0);
    const report = onebox.plane.shadowReport('web');
    onebox.plane.stopShadow('web');
    return report;
  };
  const significant = (r: ShadowSummary): string[] => r.endpoints.flatMap((e) => e.fields.map((f) => f.path)).sort();

  it("reports the field the demo API's next release adds, and nothing for the same release", async () => {
    const v1 = publish({ handler: demo.get('v1')!, timeoutMs: 3000 });
    const v1again = publish({ handler: demo.get('v1')!, timeoutMs: 3000 });
    const v2 = publish({ handler: demo.get('v2')!, timeoutMs: 3000 });
    const changed = await run(v1, v2, 60, (i) => `/api/products/${(i % 6) + 1}`);
    expect(changed.counters).toMatchObject({ mirrored: 60, compared: 60, shadowErrors: 0, shadowTimeouts: 0 });
    const product = changed.endpoints.find((e) => e.endpoint === 'GET /api/products/:id')!;
    expect(product.fields.map((f) => f.path).sort()).toEqual(['$.rating', 'header x-api-release']);
    expect(product.fields.find((f) => f.path === '$.rating')).toMatchObject({ differed: 60, kinds: { extra: 60 } });
    const same = await run(v1, v1again, 60, (i) => `/api/products/${(i % 6) + 1}`);
    expect(same.clean).toBe(true);
    expect(same.counters.compared).toBe(60);
  }, 30_000);

  it('mirrors from an HTTP version to a handler one and back: clean when alike, the changed field when not', async () => {
    const [h10, h12, u10, u12] = [
      publish({ handler: handlers.ten! }),
      publish({ handler: handlers.twelve! }),
      publish({ url: http.ten.url }),
      publish({ url: http.twelve.url }),
    ];
    const path = (i: number): string => `/items/${i}`;
    expect(significant(await run(u10, h10, 40, path))).toEqual([]);
    expect(significant(await run(h10, u10, 40, path))).toEqual([]);
    expect(significant(await run(u10, h12, 40, path))).toEqual(['$.price']);
    expect(significant(await run(h10, u12, 40, path))).toEqual(['$.price']);
  }, 30_000);

  it('holds a hung handler shadow to its caps; the live handler process is never touched', async () => {
    const live = publish({ handler: handlers.pid! });
    const hung = publish({ handler: handlers.hung!, timeoutMs: 1000 });
    onebox.plane.setAlias('web', { version: live });
    const pids = async (n: number): Promise<Set<number>> => {
      const seen = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await request(`${onebox.gatewayUrl}/p/${i}`, { dispatcher: agent });
          return ((await res.body.json()) as { pid: number }).pid;
        }),
      );
      return new Set(seen);
    };
    const before = await pids(5);
    onebox.plane.startShadow('web', shadowPolicyBody.parse({ version: hung, maxInFlight: 4, timeoutMs: 300 }));
    const runtime = onebox.shadows.runtimes.get('web')!;
    const during = await pids(40);
    expect(runtime.report.data.counters).toMatchObject({ mirrored: 40, droppedInFlight: 36 });
    // The shadow's processes (the hung one, and live's code for the reference copies) are its
    // own, at a lower CPU priority than live's.
    const shadowPids = runtime.handlerProcesses().map((p) => p.pid!);
    expect(shadowPids).toHaveLength(2);
    expect(shadowPids.some((pid) => before.has(pid))).toBe(false);
    const ours = getPriority(process.pid);
    for (const pid of shadowPids) expect(getPriority(pid)).toBe(Math.max(SHADOW_HANDLER_NICENESS, ours));
    expect(getPriority([...before][0]!)).toBe(ours);
    // The policy's 300 ms bounds each copy; the shadow's process is killed, not live's.
    await expect.poll(() => runtime.report.data.counters.shadowTimeouts, { timeout: 5000 }).toBe(4);
    await expect.poll(() => runtime.inFlight, { timeout: 5000 }).toBe(0);
    const after = await pids(5);
    expect(before.size).toBe(1);
    expect(during).toEqual(before);
    expect(after).toEqual(before);
    onebox.plane.stopShadow('web');
  }, 30_000);

  it('skips and counts answers over the body cap', async () => {
    const v1 = publish({ handler: demo.get('v1')! });
    const v2 = publish({ handler: demo.get('v2')! });
    const report = await run(v1, v2, 5, () => '/api/products', { bodyCapBytes: 64 });
    expect(report.counters).toMatchObject({ mirrored: 5, compared: 0, skippedBodyCap: 5 });
  }, 30_000);
});
