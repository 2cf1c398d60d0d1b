import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: an example's plain ES module, without types.
import { buildOrderFlow } from '../../examples/order-flow/build.mjs';
import type { RoutingMode } from '../../src/core/index.js';
import { LocalQueue } from '../../src/events/local-queue.js';
import { startTestOnebox } from '../helpers/onebox.js';
import { distinctIds } from '../helpers/random.js';

/**
 * Seed 003's order flow: the order API publishes order_placed to a queue; fulfilment reads
 * it, and fulfilment v2 needs the delivery window that only the API's v2 writes; notify reads
 * it too. All three are released at once, 10% -> 50% -> 100%, with orders in flight across
 * every raise (produced before it, consumed after). Split per request, as Lambda's weighted
 * aliases do, v2 of fulfilment gets orders from v1 of the API; with onebox (sticky users,
 * records processed by their user's version, a record keeping its writer's side) none fail.
 */
const USERS = 300;
const STEPS = [0.1, 0.5, 1];

type Dirs = Record<'api-v1' | 'api-v2' | 'fulfil-v1' | 'fulfil-v2' | 'notify', string>;

interface FlowFigures {
  readonly orders: number;
  readonly placed: number;
  readonly fulfilFailures: number;
  readonly notifyFailures: number;
  readonly fulfilV2Records: number;
  /** What fulfilment v2's own metrics counted: requests and 5xx. */
  readonly fulfilV2Metrics: { readonly requests: number; readonly errors5xx: number };
}

async function runFlow(dirs: Dirs, routing: RoutingMode): Promise<FlowFigures> {
  const queue = new LocalQueue('order_placed');
  const front = await queue.listen();
  const onebox = await startTestOnebox(
    {
      components: [
        { name: 'api', route: '/api' },
        { name: 'fulfil', route: '/_events/fulfil' },
        { name: 'notify', route: '/_events/notify' },
      ],
    },
    { handlerOutput: 'ignore' },
  );
  const dispatcher = new Agent({ connections: 8 });
  try {
    const publish = (component: string, handler: string, env?: Record<string, string>) =>
      onebox.plane.publish(component, { handler, timeoutMs: 3000, env });
    const env = { ORDER_QUEUE_URL: front.url };
    publish('api', dirs['api-v1'], env);
    publish('api', dirs['api-v2'], env);
    publish('fulfil', dirs['fulfil-v1']);
    publish('fulfil', dirs['fulfil-v2']);
    publish('notify', dirs.notify, { WORDING: 'v1' });
    publish('notify', dirs.notify, { WORDING: 'v2' });
    const components = ['api', 'fulfil', 'notify'];
    const fulfil = onebox.consumer('fulfil');
    const notify = onebox.consumer('notify');
    const users = distinctIds(USERS, routing === 'sticky' ? 1 : 2);
    let orders = 0;
    let placed = 0;
    let fulfilFailures = 0;
    let notifyFailures = 0;
    let fulfilV2Records = 0;
    const placeOrders = async (step: number): Promise<void> => {
      const queueOfUsers = [...users];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let id = queueOfUsers.pop(); id; id = queueOfUsers.pop()) {
            orders++;
            const res = await request(`${onebox.gatewayUrl}/api/orders`, {
              dispatcher,
              method: 'POST',
              headers: { cookie: `onebox-uid=${id}`, 'content-type': 'application/json' },
              body: JSON.stringify({ orderId: `${step}-${id}`, items: ['pizza'], deliveryWindow: '18:00-19:00' }),
            });
            await res.body.dump();
            if (res.statusCode === 201) placed++;
          }
        }),
      );
    };
    const drain = async (): Promise<void> => {
      // Both subscribers see every record, as two functions on one stream do.
      for (let batch = queue.receive(10); batch.length; batch = queue.receive(10)) {
        const [f, n] = await Promise.all([fulfil.process(batch), notify.process(batch)]);
        fulfilFailures += f.failed.length;
        notifyFailures += n.failed.length;
        fulfilV2Records += f.versions.find((v) => v.version === 2)?.records ?? 0;
      }
    };
    for (const [i, weight] of STEPS.entries()) {
      for (const c of components) onebox.plane.setAlias(c, { version: 1, weights: { '2': weight }, routing });
      // Orders placed before this raise are consumed after it.
      if (i > 0) await drain();
      await placeOrders(i);
    }
    await drain();
    const m = onebox.metrics.forVersion('fulfil', 2).snapshot();
    return {
      orders,
      placed,
      fulfilFailures,
      notifyFailures,
      fulfilV2Records,
      fulfilV2Metrics: { requests: m.requests, errors5xx: m.errors5xx },
    };
  } finally {
    await dispatcher.close();
    await onebox.close();
    await front.close();
  }
}

describe("seed 003's order flow, released 10% -> 50% -> 100% with orders in flight", () => {
  let dir: string;
  let dirs: Dirs;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-order-flow-'));
    dirs = (await buildOrderFlow(dir)) as Dirs;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails orders when every function splits per request, and none with onebox', async () => {
    const perRequest = await runFlow(dirs, 'request');
    const onebox = await runFlow(dirs, 'sticky');
    for (const [mode, f] of [
      ['per-request', perRequest],
      ['onebox', onebox],
    ] as const) {
      console.log(
        `[order flow] ${mode}: ${f.fulfilFailures} of ${f.orders} orders failed in fulfilment ` +
          `(${f.fulfilV2Records} processed by fulfil v2; its metrics: ${f.fulfilV2Metrics.errors5xx} errors in ${f.fulfilV2Metrics.requests}), ` +
          `${f.notifyFailures} failed in notify`,
      );
      expect(f.placed).toBe(f.orders);
      expect(f.notifyFailures).toBe(0);
      // Fulfilment v2's own metrics count every record it failed: the gate would see them.
      expect(f.fulfilV2Metrics.requests).toBe(f.fulfilV2Records);
      expect(f.fulfilV2Metrics.errors5xx).toBe(f.fulfilFailures);
    }
    expect(perRequest.fulfilFailures).toBeGreaterThan(0);
    expect(onebox.fulfilFailures).toBe(0);
    // Not by keeping v2 idle: it processed every order placed at 100% and the admitted ones before.
    expect(onebox.fulfilV2Records).toBeGreaterThan(USERS);
  }, 120_000);
});
