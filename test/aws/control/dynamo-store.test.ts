import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore, StateConflict } from '../../../src/aws/control/dynamo-store.js';
import { EMPTY_STATE, type ControlState, type StoredDeployment } from '../../../src/aws/control/state.js';
import { startDynamo } from './dynalite.js';

/** The state store against DynamoDB's API (dynalite): conditional writes for real. */
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(() => dynamo.close());

const alias = (component: string, version: number) => ({
  component,
  name: 'live',
  version,
  mode: 'sticky' as const,
  seed: `${component}@${version}`,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const ended = (id: string, component: string, createdAt: number): StoredDeployment =>
  ({
    record: {
      id,
      releaseId: id.split('-')[0]!,
      after: [],
      state: { id, component, status: 'succeeded', createdAt, fromVersion: 1, toVersion: 2 },
      gates: {},
      hooks: {},
    },
    events: [
      {
        at: createdAt,
        type: 'succeeded',
        sentence: `${component} v2: succeeded`,
        status: 'succeeded',
        weightBp: 10000,
        seq: 1,
      },
    ],
  }) as unknown as StoredDeployment;

describe('DynamoStateStore', () => {
  it('starts empty, and writes revision by revision, each conditional on the one read', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    expect(await store.load()).toEqual({ rev: 0, applied: 0, state: EMPTY_STATE });
    const one: ControlState = { ...EMPTY_STATE, aliases: { web: alias('web', 1) } };
    expect(await store.commit(0, one, [])).toBe(1);
    // A second writer that read revision 0 too loses, and its state is not written.
    await expect(store.commit(0, { ...EMPTY_STATE, seq: 99 }, [])).rejects.toBeInstanceOf(StateConflict);
    const two: ControlState = { ...one, aliases: { ...one.aliases, api: alias('api', 3) } };
    expect(await store.commit(1, two, [])).toBe(2);
    await expect(store.commit(1, one, [])).rejects.toThrow(/changed since revision 1 was read; nothing was written/);
    expect(await store.load()).toMatchObject({ rev: 2, state: two });
  });

  it('of two overlapping writers, exactly one wins', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    const { rev, state } = await store.load();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((n) => store.commit(rev, { ...state, seq: state.seq + n }, [])),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(StateConflict),
      expect.any(StateConflict),
      expect.any(StateConflict),
    ]);
    expect((await store.load()).rev).toBe(rev + 1);
  });

  it('notes the revision whose traffic is applied, never an older one over a newer state', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    const { rev, state } = await store.load();
    await store.markApplied(rev);
    expect((await store.load()).applied).toBe(rev);
    // A new revision's traffic is not known to be applied.
    await store.commit(rev, state, []);
    expect(await store.load()).toMatchObject({ rev: rev + 1, applied: 0 });
    await store.markApplied(rev); // late: the state is at rev + 1 now
    expect(await store.load()).toMatchObject({ rev: rev + 1, applied: 0 });
  });

  it('keeps versions per component and never reuses a number', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    const v = (n: number) => ({
      component: 'shop',
      number: n,
      target: `shop-fn:${n}`,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await store.putVersion(v(2));
    await store.putVersion(v(10));
    await store.putVersion(v(1));
    await expect(store.putVersion(v(2))).rejects.toThrow(
      'shop version 2 is already published; numbers are never reused',
    );
    expect((await store.versions('shop')).map((x) => x.number)).toEqual([1, 2, 10]);
    expect(await store.versions('nothing')).toEqual([]);
  });

  it('archives ended deployments per component, in creation order, writing one again harmlessly', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    const { rev, state } = await store.load();
    const a = ended('r1-cart', 'cart', 1_000);
    const b = ended('r2-cart', 'cart', 20_000);
    const next = await store.commit(rev, state, [b, a]);
    // A losing writer archives the same immutable records again, then loses.
    await expect(store.commit(rev, state, [a])).rejects.toBeInstanceOf(StateConflict);
    expect((await store.archived('cart')).map((d) => d.record.id)).toEqual(['r1-cart', 'r2-cart']);
    expect((await store.load()).rev).toBe(next);
  });

  it('refuses a state over its size limit with the reason, writing nothing', async () => {
    const store = new DynamoStateStore(dynamo.client, dynamo.table);
    const { rev, state } = await store.load();
    const big: ControlState = {
      ...state,
      releases: [{ id: 'x', createdAt: 0, spec: { pad: 'x'.repeat(360 * 1024) } }],
    };
    await expect(store.commit(rev, big, [])).rejects.toThrow(/over 358400 \(DynamoDB's item limit is 400 KB\)/);
    expect((await store.load()).rev).toBe(rev);
  });
});
