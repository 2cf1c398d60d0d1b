import { describe, expect, it } from 'vitest';
import { shadowPolicyBody } from '../../src/api/shadow-policy.js';
import { addReportDelta, shadowReportKey, type RevisionedReports } from '../../src/aws/handlers/shadow-report-store.js';
import { ShadowReport, type CapturedResponse, type ShadowReportData } from '../../src/core/shadow/index.js';

const policy = shadowPolicyBody.parse({ version: 3 });
const answer = (price: number): CapturedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ price }),
  latencyUs: 2000,
});

/** A batch's delta: `n` comparisons, the shadow's price changed in every other one. */
function batch(n: number): ShadowReportData {
  const r = new ShadowReport('api', policy);
  for (let i = 0; i < n; i++) r.add('GET /items/:id', answer(10), answer(i % 2 ? 12 : 10), answer(10));
  return r.drain();
}

/** A store whose reads and writes take turns with others' (as parallel Lambdas' would). */
function memoryStore(): RevisionedReports & { item?: { rev: number; data: ShadowReportData }; conflicts: number } {
  const store = {
    item: undefined as { rev: number; data: ShadowReportData } | undefined,
    conflicts: 0,
    async read() {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      return store.item && structuredClone(store.item);
    },
    async write(_c: string, _v: number, rev: number, data: ShadowReportData) {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      if ((store.item?.rev ?? 0) !== rev) {
        store.conflicts++;
        return false;
      }
      store.item = { rev: rev + 1, data: structuredClone(data) };
      return true;
    },
  };
  return store;
}

describe('the AWS shadow report, added to by parallel batches', () => {
  it('keys the item with the component data of the control plane', () => {
    expect(shadowReportKey('api', 3)).toEqual({ pk: 'C#api', sk: 'S#00000003' });
  });

  it('loses no batch to a race: the stored report equals one that saw every comparison', async () => {
    const store = memoryStore();
    const results = await Promise.all(Array.from({ length: 6 }, () => addReportDelta(store, policy, batch(10), 50)));
    expect(results.every(Boolean)).toBe(true);
    expect(store.conflicts).toBeGreaterThan(0);
    const whole = new ShadowReport('api', policy);
    whole.absorb(batch(60));
    expect(store.item!.data.counters).toEqual(whole.data.counters);
    expect(new ShadowReport('api', policy, store.item!.data).summary().endpoints[0]!.fields).toEqual(
      whole.summary().endpoints[0]!.fields,
    );
    expect(store.item!.rev).toBe(6);
  });

  it('gives a delta up after its attempts, saying so', async () => {
    const store: RevisionedReports = { read: async () => undefined, write: async () => false };
    expect(await addReportDelta(store, policy, batch(1), 3)).toBe(false);
  });
});
