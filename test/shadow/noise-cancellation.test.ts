import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { shadowPolicyBody } from '../../src/api/shadow-policy.js';
import type { ShadowSummary } from '../../src/core/shadow/index.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Noise cancellation end to end (issue 19's acceptance): a real gateway and real HTTP servers;
 * the live version and an identical shadow answer with timestamps of "now" at millisecond,
 * second and microsecond precision, epoch milliseconds, a random id and a counter. Ten runs
 * of 1,000 requests each must give clean reports; ten runs against a shadow that changes one
 * field must report that field, and only it.
 */

/** `2026-12-02T01:02:03.456789Z`: the wall clock's millisecond and a microsecond below it. */
const isoMicro = (ms: number): string =>
  new Date(ms).toISOString().replace('Z', `${String(process.hrtime()[1] % 1000).padStart(3, '0')}Z`);

const app = (opts: { price: number; stale?: boolean; idForm?: 'uuid' | 'hex' }) => {
  let served = 0;
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      const now = opts.stale ? Date.now() - 3_600_000 : Date.now();
      const id = Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0);
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-generated-at': new Date(now).toUTCString(),
        'cache-control': 'max-age=0',
      });
      res.end(
        JSON.stringify({
          id,
          price: opts.price,
          at: new Date(now).toISOString(),
          atSecond: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          atMicro: isoMicro(now),
          epochMs: now,
          reqId: opts.idForm === 'hex' ? randomUUID().replaceAll('-', '') : randomUUID(),
          served: ++served,
        }),
      );
    });
  };
};

describe('noise cancellation: an identical shadow is clean, a changed field is reported', () => {
  const agent = new Agent({ connections: 64 });
  let onebox: TestOnebox;
  let live: TestUpstream;
  const shadows: Record<string, TestUpstream> = {};

  beforeAll(async () => {
    [live, shadows.same, shadows.price, shadows.stale, shadows.hex] = await Promise.all([
      startUpstream(app({ price: 10 }), { record: false }),
      startUpstream(app({ price: 10 }), { record: false }),
      startUpstream(app({ price: 12 }), { record: false }),
      startUpstream(app({ price: 10, stale: true }), { record: false }),
      startUpstream(app({ price: 10, idForm: 'hex' }), { record: false }),
    ]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: live.url });
    onebox.plane.setAlias('web', { version: 1 });
  });

  afterAll(async () => {
    await onebox.close();
    await Promise.all([live, ...Object.values(shadows)].map((u) => u.close()));
    await agent.close();
  });

  /** A fresh shadow version of `upstream` (so a fresh report), `n` requests from `n` users, its report. */
  const run = async (upstream: TestUpstream, n: number, noise = true): Promise<ShadowSummary> => {
    const version = onebox.plane.publish('web', { url: upstream.url }).number;
    onebox.plane.startShadow('web', shadowPolicyBody.parse({ version, maxInFlight: 1000, noise }));
    const runtime = onebox.shadows.runtimes.get('web')!;
    const batch = 50;
    for (let from = 0; from < n; from += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - from) }, async (_, k) => {
          const i = from + k;
          const res = await request(`${onebox.gatewayUrl}/items/${i % 20}`, {
            dispatcher: agent,
            // A new user on every request: the gateway issues a cookie with Cache-Control: private.
            headers: i % 2 ? { cookie: `onebox-uid=${`u${i}`.padEnd(22, 'x')}` } : {},
          });
          await res.body.dump();
        }),
      );
    }
    await expect.poll(() => runtime.inFlight, { timeout: 10_000, interval: 10 }).toBe(0);
    const report = onebox.plane.shadowReport('web');
    onebox.plane.stopShadow('web');
    return report;
  };

  const significant = (r: ShadowSummary): string[] => r.endpoints.flatMap((e) => e.fields.map((f) => f.path));

  it('an identical shadow: 0 significant fields over 1,000 requests, in 10 of 10 runs', async () => {
    const found: string[][] = [];
    for (let r = 0; r < 10; r++) {
      const report = await run(shadows.same!, 1000);
      expect(report.counters).toMatchObject({ mirrored: 1000, compared: 1000, droppedInFlight: 0 });
      found.push(significant(report));
    }
    expect(found).toEqual(Array.from({ length: 10 }, () => []));
  }, 60_000);

  it('a shadow that changes one field: that field, and only it, in 10 of 10 runs', async () => {
    const found: string[][] = [];
    for (let r = 0; r < 10; r++) found.push(significant(await run(shadows.price!, 300)));
    expect(found).toEqual(Array.from({ length: 10 }, () => ['$.price']));
  }, 60_000);

  it("without a reference copy: the gateway's own headers (cookie, Cache-Control: private, Vary) are not compared", async () => {
    // Only the values that need the live version's noise to drop out are left: the id, the counter.
    expect(significant(await run(shadows.same!, 200, false)).sort()).toEqual(['$.reqId', '$.served']);
  });

  it('a real change in a volatile value is reported: a time an hour off, an id of another form', async () => {
    const stale = await run(shadows.stale!, 200);
    expect(new Set(significant(stale))).toEqual(
      new Set(['$.at', '$.atSecond', '$.atMicro', '$.epochMs', 'header x-generated-at']),
    );
    const hex = await run(shadows.hex!, 200);
    expect(significant(hex)).toEqual(['$.reqId (format)']);
  }, 30_000);
});
