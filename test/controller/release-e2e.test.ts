import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { bucketOf } from '../../src/core/index.js';

/** An upstream that fails `errorRate` of its requests with 500. */
const app = (label: string, errorRate = 0) => {
  let n = 0;
  return (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    n++;
    const fail = errorRate > 0 && n % Math.round(1 / errorRate) === 0;
    res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(label);
  };
};

describe('releases end to end (real gateway and upstreams, fake clock)', () => {
  const clock = new FakeClock();
  const agent = new Agent({ connections: 32 });
  let onebox: TestOnebox;
  let ups: TestUpstream[];
  let userSeq = 0;
  /** Which distinct users reached each "component:version". */
  const seen = new Map<string, Set<string>>();

  const traffic = async (users: number, path: string): Promise<void> => {
    await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const uid = `user-${(userSeq + i) % 2000}`.padEnd(22, 'x');
        const res = await request(`${onebox.gatewayUrl}${path}`, {
          dispatcher: agent,
          headers: { cookie: `onebox-uid=${uid}` },
        });
        await res.body.dump();
        const v = String(res.headers['x-onebox-version']);
        if (!seen.has(v)) seen.set(v, new Set());
        seen.get(v)!.add(uid);
      }),
    );
    userSeq += users;
  };

  /** Traffic, then 10 s of fake time, then a controller tick, until nothing is active. */
  const runUntilDone = async (maxRounds = 500, stepMs = 10_000): Promise<void> => {
    for (let round = 0; round < maxRounds; round++) {
      const active = onebox.plane
        .status()
        .components.filter(
          (c) =>
            c.deployment &&
            ['created', 'before-hook', 'in-progress', 'baking', 'after-hook', 'paused'].includes(
              c.deployment.state.status,
            ),
        );
      if (active.length === 0) return;
      await traffic(100, '/api/items');
      await traffic(100, '/');
      clock.advance(stepMs);
      onebox.controller.tick();
      await onebox.controller.settled();
    }
    throw new Error('release did not finish');
  };

  beforeEach(async () => {
    seen.clear();
    ups = await Promise.all([
      startUpstream(app('api v1')),
      startUpstream(app('api v2')),
      startUpstream(app('api v3 (5% errors)', 0.05)),
      startUpstream(app('web v1')),
      startUpstream(app('web v2')),
    ]);
    onebox = await startTestOnebox(
      {
        components: [
          { name: 'backend', route: '/api', deployment: { alarms: { minRequests: 50 }, judge: { enabled: false } } },
          { name: 'frontend', route: '/', deployment: { alarms: { minRequests: 50 }, judge: { enabled: false } } },
        ],
      },
      { clock },
    );
    const p = onebox.plane;
    for (const i of [0, 1, 2]) p.publish('backend', { url: ups[i]!.url });
    for (const i of [3, 4]) p.publish('frontend', { url: ups[i]!.url });
    p.setAlias('backend', { version: 1 });
    p.setAlias('frontend', { version: 1 });
  });
  afterEach(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('takes a good two-component release to 100%, frontend only after the backend', async () => {
    const deployments = onebox.plane.release(
      {
        components: [
          { component: 'backend', version: 2, config: 'linear:25%:1m' },
          { component: 'frontend', version: 2, config: 'onebox:20%:2m', after: ['backend'] },
        ],
      },
      'test',
    );
    expect(deployments.map((d) => [d.state.component, d.state.status])).toEqual([
      ['backend', 'in-progress'],
      ['frontend', 'created'],
    ]);
    await runUntilDone();
    const status = Object.fromEntries(onebox.plane.status().components.map((c) => [c.name, c]));
    expect(status.backend!.alias).toMatchObject({ version: 2, additional: undefined });
    expect(status.frontend!.alias).toMatchObject({ version: 2, additional: undefined });
    expect(status.backend!.deployment!.state.status).toBe('succeeded');
    expect(status.frontend!.deployment!.state.status).toBe('succeeded');
    // The frontend started in the tick that ended the backend: its users were counted from then on, exactly.
    expect(status.frontend!.deployment!.exposure).toMatchObject({ exact: true });
    expect(status.frontend!.deployment!.exposure!.usersOnNew).toBeGreaterThan(0);

    const [release] = onebox.plane.history(1);
    const backendEvents = release!.deployments.find((d) => d.state.component === 'backend')!.events;
    const frontendEvents = release!.deployments.find((d) => d.state.component === 'frontend')!.events;
    expect(backendEvents.map((e) => e.weightBp).filter((w, i, a) => a.indexOf(w) === i)).toEqual([
      0, 2500, 5000, 7500, 10000,
    ]);
    const backendDone = backendEvents.find((e) => e.type === 'succeeded')!.at;
    const frontendStart = frontendEvents.find((e) => e.type === 'started')!.at;
    expect(frontendStart).toBeGreaterThanOrEqual(backendDone);
    expect(frontendEvents.map((e) => e.type)).toEqual(['started', 'bake', 'step', 'succeeded']);
    for (const e of [...backendEvents, ...frontendEvents]) expect(e.sentence).toMatch(/^(backend|frontend) v2: /);
  });

  it("runs seed 000's prod-one-box recipe from one request: backend linear 10%/1m, then frontend one-box 20% baking 10m", async () => {
    const [backend, frontend] = onebox.plane.release(
      {
        recipe: 'prod-one-box',
        components: [
          { component: 'backend', version: 2, alarms: { minRequests: 10 } },
          { component: 'frontend', version: 2, alarms: { minRequests: 10 } },
        ],
      },
      'test',
    );
    expect(backend!.state.plan.map((p) => p.weightBp)).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000,
    ]);
    expect(backend!.state.plan.slice(0, -1).every((p) => p.holdMs === 60_000)).toBe(true);
    expect(frontend!.after).toEqual(['backend']);
    expect(frontend!.state.plan).toEqual([
      { weightBp: 2000, holdMs: 600_000, bake: true },
      { weightBp: 10000, holdMs: 0, bake: false },
    ]);
    const started = clock.now();
    await runUntilDone(200, 30_000);
    const [release] = onebox.plane.history(1);
    const events = release!.deployments.flatMap((d) => d.events).sort((a, b) => a.seq - b.seq);
    const frontendBake = events.find((e) => e.sentence.startsWith('frontend') && e.type === 'bake')!;
    const backendDone = events.find((e) => e.sentence.startsWith('backend') && e.type === 'succeeded')!;
    const frontendDone = events.find((e) => e.sentence.startsWith('frontend') && e.type === 'succeeded')!;
    expect(backendDone.at - started).toBeGreaterThanOrEqual(9 * 60_000);
    expect(frontendBake.at).toBeGreaterThanOrEqual(backendDone.at);
    expect(frontendDone.at - frontendBake.at).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('rolls back a backend answering 5% of requests with 500 in its first step; the frontend never starts', async () => {
    onebox.plane.release(
      {
        components: [
          { component: 'backend', version: 3, config: 'LambdaCanary10Percent5Minutes' },
          { component: 'frontend', version: 2, after: ['backend'] },
        ],
      },
      'test',
    );
    await runUntilDone();
    const status = Object.fromEntries(onebox.plane.status().components.map((c) => [c.name, c]));
    const backend = status.backend!.deployment!.state;
    expect(backend.status).toBe('rolled-back');
    expect(backend.step).toBe(0);
    expect(backend.reason).toMatch(/error rate|errors in its first/);
    expect(status.backend!.alias).toMatchObject({ version: 1, additional: undefined });
    const frontend = status.frontend!.deployment!.state;
    expect(frontend.status).toBe('skipped');
    expect(frontend.reason).toBe('backend v3 rolled-back');
    expect(status.frontend!.alias).toMatchObject({ version: 1 });
    expect(seen.has('frontend:2')).toBe(false);

    const reached = seen.get('backend:3')?.size ?? 0;
    const all = new Set([...(seen.get('backend:1') ?? []), ...(seen.get('backend:3') ?? [])]).size;
    console.log(
      `[e2e] bad backend v3 reached ${reached} of ${all} users (${((reached / all) * 100).toFixed(1)}%) before rollback`,
    );
    // Exactly the users whose bucket is inside the 10% step, and no one else.
    const seed = `backend@3:${status.backend!.deployment!.id}`;
    for (const uid of seen.get('backend:3') ?? []) expect(bucketOf(seed, uid)).toBeLessThan(1000);
    const admitted = [...new Set([...(seen.get('backend:1') ?? []), ...(seen.get('backend:3') ?? [])])].filter(
      (u) => bucketOf(seed, u) < 1000,
    );
    expect(reached).toBe(admitted.length);
    // The deployment's own record of its blast radius says the same.
    const [release] = onebox.plane.history(1);
    const record = release!.deployments.find((d) => d.state.component === 'backend')!;
    expect(record.exposure).toEqual({ usersOnNew: reached, activeUsers: all, share: reached / all, exact: true });
  });
});
