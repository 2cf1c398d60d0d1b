import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ControllerAnswer } from '../../../src/aws/handlers/controller.js';
import type { StoredDeployment } from '../../../src/aws/control/state.js';
import { bucketOf } from '../../../src/core/index.js';
import { describeExposure, type StatusAnswer } from '../../../src/api/index.js';
import { formatStatus } from '../../../src/cli/format.js';
import { awsWorld, WEB_FN } from './aws-world.js';
import { localReplay, type Timeline } from './local-replay.js';

/**
 * The demo's story on the AWS control plane, offline, through the controller function's
 * handler with the real reducer: v2 (good) passes its one-box on evidence, v3 (its handled
 * 500s on products without a list price) is rolled back inside its one-box with the split
 * at 0 in the tick of the verdict; two ticks overlap (one wins), a release dies between its
 * commit and its traffic (the next tick finishes it); and the history is the local
 * engine's, sentence for sentence. Figures are printed for docs/aws.md.
 */
const USERS_PER_MINUTE = 300;

let w: Awaited<ReturnType<typeof awsWorld>>;
const timeline: Timeline = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  // v3's render errors, which its handler logs before answering 500.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  w = await awsWorld();
}, 60_000);
afterAll(async () => {
  console.log(`onebox aws story figures: ${JSON.stringify(figures)}`);
  await w.close();
});

const ok = (answer: ControllerAnswer) => {
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
  return answer;
};
const tick = async () => {
  timeline.push({ at: w.clock.now(), action: 'tick' });
  return ok(await w.invoke({ action: 'tick' }));
};
const active = async () =>
  (await w.store.load()).state.deployments.find(
    (d) =>
      d.record.state.status !== 'succeeded' &&
      d.record.state.status !== 'rolled-back' &&
      d.record.state.status !== 'skipped' &&
      d.record.state.status !== 'stopped',
  );
const release = async (version: number) => {
  timeline.push({ at: w.clock.now(), action: 'release', version });
  return w.invoke({ action: 'release', by: 'alice', components: [{ component: 'web', version }] });
};

/** A barrier: holds `n` metric reads until all n arrived, so n ticks read the same state. */
function overlap(n: number): () => Promise<void> {
  let waiting: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === n) {
        waiting.forEach((r) => r());
        waiting = [];
      }
    });
}

describe("the demo's story on the AWS control plane", () => {
  it('publishes v1..v3: v1 is live, its split at 0 on the stable alias', async () => {
    for (const version of [1, 2, 3]) ok(await w.invoke({ action: 'publish', component: 'web', version }));
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, seed: 'web@1', stable: 1 });
    expect((await w.store.versions('web')).map((v) => v.target)).toEqual([`${WEB_FN}:1`, `${WEB_FN}:2`, `${WEB_FN}:3`]);
    const refused = await w.invoke({ action: 'publish', component: 'web', version: 2 });
    expect(refused.ok).toBe(false);
    await expect(
      w.invoke({ action: 'release', by: 'alice', components: [{ component: 'web', version: 9 }] }),
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringMatching(/no version 9/) },
    });
  });

  it('a release that dies after its commit, before its traffic: the next tick moves the traffic, once', async () => {
    w.kvs.failNext = new Error('Task timed out after 30.00 seconds');
    await expect(release(2)).rejects.toThrow('Task timed out');
    const stored = await active();
    expect(stored?.record.state).toMatchObject({ toVersion: 2, weightBp: 2000 });
    expect(w.kvs.split('web')).toMatchObject({ percent: 0 }); // traffic never moved
    expect(w.lambda.version(WEB_FN, 'canary')).toBe(2); // the alias (first) did
    await w.minute(USERS_PER_MINUTE);
    const next = await tick();
    expect(next.traffic).toEqual([
      expect.stringMatching(/^kvs web=\{"percent":20,"seed":"web@2:r1-web","stable":1,"canary":2,"rev":\d+\}$/),
    ]);
    expect(w.kvs.split('web')).toMatchObject({ percent: 20, canary: 2 });
    expect(next.events.map((e) => e.type)).not.toContain('started');
  });

  it(
    'v2 passes its one-box on evidence, with two overlapping ticks every minute and one write each time',
    { timeout: 60_000 },
    async () => {
      const outcomes: string[] = [];
      let ticks = 0;
      let v2Requests = 0;
      while (await active()) {
        expect(ticks++).toBeLessThan(40);
        v2Requests += (await w.minute(USERS_PER_MINUTE)).get(2)?.requests ?? 0;
        w.cloudwatch.gate = overlap(2);
        timeline.push({ at: w.clock.now(), action: 'tick' });
        const both = await Promise.all([w.invoke({ action: 'tick' }), w.invoke({ action: 'tick' })]);
        w.cloudwatch.gate = undefined;
        outcomes.push(
          both
            .map((a) => ok(a).outcome)
            .sort()
            .join('+'),
        );
      }
      // Whenever the state changed, exactly one of the two committed and the other lost.
      expect(outcomes.filter((o) => o.includes('committed'))).not.toHaveLength(0);
      for (const o of outcomes) expect(['committed+lost', 'unchanged+unchanged']).toContain(o);
      const d = (await w.store.load()).state.deployments.find((x) => x.record.id === 'r1-web')!;
      expect(d.record.state.status).toBe('succeeded');
      const types = d.events.map((e) => e.type);
      expect(types).not.toContain('proceeded');
      expect(new Set(types).size).toBe(types.length); // no event twice
      expect(d.events.map((e) => e.seq)).toEqual(d.events.map((_, i) => d.events[0]!.seq + i));
      expect(w.lambda.version(WEB_FN, 'stable')).toBe(2);
      expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 2 });
      figures['v2 ticks'] = ticks + 1;
      figures['v2 requests judged'] = v2Requests;
      figures['v2 events'] = d.events.map((e) => e.sentence);
      figures['v2 overlapping ticks lost'] = outcomes.filter((o) => o === 'committed+lost').length;
    },
  );

  it('v3 is rolled back inside its one-box, the split at 0 in the very tick of the verdict', async () => {
    ok(await release(3));
    expect(w.kvs.split('web')).toMatchObject({ percent: 20, stable: 2, canary: 3 });
    let verdict: ControllerAnswer | undefined;
    let ticks = 0;
    let v3Requests = 0;
    while (!verdict) {
      expect(ticks++).toBeLessThan(20);
      const served = await w.minute(USERS_PER_MINUTE);
      v3Requests += served.get(3)?.requests ?? 0;

      const kvsWrites = w.kvs.writes.length;
      const started = performance.now();
      const answer = await tick();

      if (answer.events.some((e) => e.type === 'rolled-back')) {
        verdict = answer;
        figures['v3 verdict to split 0 (ms, in the same invocation)'] = Math.round(performance.now() - started);
        expect(w.kvs.writes.length).toBe(kvsWrites + 1);
      }
    }
    if (!verdict.ok) throw new Error('unreachable');
    expect(verdict.traffic).toEqual([
      expect.stringMatching(/^kvs web=\{"percent":0,"seed":"web@3:r2-web","stable":2,"rev":\d+\}$/),
    ]);
    expect(w.kvs.split('web')).toMatchObject({ percent: 0, stable: 2 });
    expect(w.lambda.version(WEB_FN, 'stable')).toBe(2); // the stable alias never moved
    const sentence = verdict.events.find((e) => e.type === 'rolled-back')!.sentence;
    expect(sentence).toMatch(/^web v3: rolled back: .*all traffic on v2$/);
    // Users are back on v2 at once.
    for (let u = 0; u < 30; u++) expect((await w.view(u, '/products/2')).version).toBe(2);
    // Users exposed, counted from the handlers' log lines: exactly the users in v3's one-box share.
    const uid = (u: number) => `user${String(u).padStart(20, '0')}`;
    const share = Array.from({ length: USERS_PER_MINUTE }, (_, u) => uid(u)).filter(
      (id) => bucketOf('web@3:r2-web', id) < 2000,
    ).length;
    const stored = (await w.store.archived('web')).concat((await w.store.load()).state.deployments);
    const exposure = stored.find((d) => d.record.id === 'r2-web')!.record.exposure!;
    expect(exposure).toEqual({
      usersOnNew: share,
      activeUsers: USERS_PER_MINUTE,
      share: share / USERS_PER_MINUTE,
      exact: true,
    });
    figures['v3 users exposed'] =
      `${describeExposure(exposure)}; its one-box share holds ${share} of the ${USERS_PER_MINUTE} users`;
    // `onebox status --aws` after the rollback: both versions over v3's window, in the local shape.
    const status = ok(await w.invoke({ action: 'status' })).answer as StatusAnswer;
    const totals = status.components[0]!.metrics;
    expect(totals.map((m) => [m.version, m.requests, m.users])).toEqual([
      [2, USERS_PER_MINUTE * ticks - v3Requests, USERS_PER_MINUTE - share],
      [3, v3Requests, share],
    ]);
    expect(totals[1]!.errors5xx).toBe(Math.round((v3Requests * 34.8) / 100));
    figures['status after v3'] = formatStatus(status.components).split('\n').slice(-3);
    figures['Logs Insights bytes scanned (whole story)'] = w.logs.bytesScanned;
    figures['Logs Insights queries (whole story)'] = w.logs.started.length;
    figures['v3 ticks to verdict'] = ticks;
    figures['v3 requests judged'] = v3Requests;
    figures['v3 verdict'] = sentence;
  });

  it("has the local engine's history for the same scenario, event for event, sentence for sentence", async () => {
    const { state } = await w.store.load();
    const archived = await w.store.archived('web');
    const byId = new Map<string, StoredDeployment>([...archived, ...state.deployments].map((d) => [d.record.id, d]));
    const local = await localReplay(w.cloudwatch, w.logs, WEB_FN, timeline, w.clock.now());
    for (const id of ['r1-web', 'r2-web']) {
      const aws = byId.get(id)!.events.map((e) => ({ at: e.at, type: e.type, sentence: e.sentence }));
      const there = local.get(id)!.events.map((e) => ({ at: e.at, type: e.type, sentence: e.sentence }));
      expect(aws.length).toBeGreaterThan(2);
      expect(aws).toEqual(there);
      // Users exposed: Logs Insights over the lines, as the local ExposureTracker counted them.
      expect(byId.get(id)!.record.exposure).toEqual(local.get(id)!.exposure);
    }
    figures['events compared'] = [...local.values()].reduce((n, e) => n + e.events.length, 0);
    figures['v2 users exposed (AWS = local)'] = describeExposure(byId.get('r1-web')!.record.exposure!);
  });
});
