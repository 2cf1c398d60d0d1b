import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';
import { DynamoShadowReports } from '../../../src/aws/control/shadow-reports.js';
import { addReportDelta } from '../../../src/aws/handlers/shadow-report-store.js';
import { ShadowReport, type CapturedResponse, type ShadowReportData } from '../../../src/core/shadow/index.js';
import { startDynamo } from './dynalite.js';

/** The comparer's report store against DynamoDB's API (dynalite): its conditional writes for real. */
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(() => dynamo.close());

const policy = (version: number) => shadowPolicyBody.parse({ version });
const answer = (price: number): CapturedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ price }),
  latencyUs: 2000,
});

/** A batch's delta: `n` comparisons, the shadow's price changed in every other one. */
function batch(n: number, version = 3, component = 'api'): ShadowReportData {
  const r = new ShadowReport(component, policy(version));
  for (let i = 0; i < n; i++) r.add('GET /items/:id', answer(10), answer(i % 2 ? 12 : 10), answer(10));
  return r.drain();
}

describe('the shadow reports in the control plane table', () => {
  it('loses no batch when batches race: the stored report equals one that saw every comparison', async () => {
    const reports = new DynamoShadowReports(dynamo.client, dynamo.table);
    let conflicts = 0;
    const counting = {
      read: reports.read.bind(reports),
      write: async (c: string, v: number, rev: number, data: ShadowReportData) => {
        const won = await reports.write(c, v, rev, data);
        if (!won) conflicts++;
        return won;
      },
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => addReportDelta(counting, policy(3), batch(10), 50)),
    );
    expect(results).toEqual(Array(8).fill(true));
    expect(conflicts).toBeGreaterThan(0);
    const whole = new ShadowReport('api', policy(3));
    whole.absorb(batch(80));
    const stored = await reports.read('api', 3);
    expect(stored!.rev).toBe(8);
    expect(stored!.data.counters).toEqual(whole.data.counters);
    expect(new ShadowReport('api', policy(3), stored!.data).summary()).toEqual(whole.summary());
  });

  it('refuses a write on a stale revision, and a first write over an existing item', async () => {
    const reports = new DynamoShadowReports(dynamo.client, dynamo.table);
    expect(await reports.write('web', 1, 0, batch(1, 1, 'web'))).toBe(true);
    expect(await reports.write('web', 1, 0, batch(1, 1, 'web'))).toBe(false);
    expect(await reports.write('web', 1, 2, batch(1, 1, 'web'))).toBe(false);
    expect(await reports.write('web', 1, 1, batch(2, 1, 'web'))).toBe(true);
    expect((await reports.read('web', 1))!.rev).toBe(2);
  });

  it("reads a version's report, else the highest version's, else nothing", async () => {
    const reports = new DynamoShadowReports(dynamo.client, dynamo.table);
    await addReportDelta(reports, policy(9), batch(2, 9, 'shop'));
    await addReportDelta(reports, policy(10), batch(3, 10, 'shop'));
    await addReportDelta(reports, policy(2), batch(4, 2, 'shop'));
    expect((await reports.report('shop'))!.version).toBe(10);
    expect((await reports.report('shop', 9))!.counters.compared).toBe(2);
    expect(await reports.report('shop', 4)).toBeUndefined();
    expect(await reports.report('nobody')).toBeUndefined();
  });
});
