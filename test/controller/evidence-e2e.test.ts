import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { formatDeployment, formatHistory } from '../../src/cli/format.js';

/** An upstream that answers after `coldMs` for its first `coldRequests` requests (a cold start), then at once. */
const app = (coldRequests: number, coldMs: number) => {
  let n = 0;
  return (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    n++;
    setTimeout(
      () => {
        res.writeHead(200);
        res.end('ok');
      },
      n <= coldRequests ? coldMs : 0,
    );
  };
};

/**
 * The gate on a real onebox: the gateway's own metrics, the controller's windows, the
 * reducer's banked evidence, under a fake clock.
 */
describe('the gate proves a good version good', () => {
  const clock = new FakeClock();
  const agent = new Agent({ connections: 64 });
  let onebox: TestOnebox;
  let ups: TestUpstream[] = [];

  const start = async (config: string, judge: Record<string, number> = {}, candidate = app(0, 0), dir?: string) => {
    ups = await Promise.all([startUpstream(app(0, 0)), startUpstream(candidate)]);
    onebox = await startTestOnebox(
      { components: [{ name: 'api', route: '/', deployment: { config, judge, alarms: { minRequests: 50 } } }] },
      { clock, ...(dir ? { dir } : {}) },
    );
    onebox.plane.publish('api', { url: ups[0]!.url });
    onebox.plane.publish('api', { url: ups[1]!.url });
    onebox.plane.setAlias('api', { version: 1 });
    onebox.plane.release({ components: [{ component: 'api', version: 2 }] }, 'test');
  };
  afterEach(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  /** One round: `users` users, one request each, then `ms` of fake time and a tick. */
  const round = async (r: number, users: number, ms: number) => {
    await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const res = await request(`${onebox.gatewayUrl}/x`, {
          dispatcher: agent,
          headers: { cookie: `onebox-uid=${`r${r}u${i}`.padEnd(22, 'q')}` },
        });
        await res.body.dump();
      }),
    );
    clock.advance(ms);
    onebox.controller.tick();
  };
  const deployment = () => onebox.plane.status().components[0]!.deployment!;
  const drive = async (users: number, ms: number, rounds = 60) => {
    for (let r = 0; r < rounds && ['in-progress', 'baking', 'paused'].includes(deployment().state.status); r++)
      await round(r, users, ms);
    return deployment();
  };

  it('a cold start is not a regression: the warm-up keeps it out of the latency checks', async () => {
    // The new version answers its first 60 requests in 80 ms, then as fast as stable.
    await start('onebox:20%:5m', {}, app(60, 80));
    const d = await drive(400, 30_000);
    expect(d.state.status, d.state.reason).toBe('succeeded');
  });

  it('... where without the warm-up the same cold start reads as a slower tail and is rolled back', async () => {
    await start('onebox:20%:5m', { warmupRequests: 0 }, app(60, 80));
    const d = await drive(400, 30_000);
    expect(d.state.status).toBe('rolled-back');
    expect(d.state.reason).toMatch(/slower than/);
  });

  it('while a step waits, status and history say how many more requests it needs, and how long that takes', async () => {
    // A 1-minute one-box at ~16 requests a minute on the new version: too few for the judge.
    await start('onebox:20%:1m');
    await drive(40, 20_000, 4);
    const d = deployment();
    expect(d.state).toMatchObject({ status: 'baking', extended: true });
    expect(d.waiting).toMatch(/^needs ~[\d,]+ more requests on v2, ~\d+ (s|min|h) at 0\.\d req\/s$/);
    expect(formatDeployment(d).join('\n')).toContain(`the gate ${d.waiting}`);
    const history = formatHistory(onebox.plane.history(1));
    expect(history).toMatch(
      /api v2: hold over but the gate is inconclusive \(.*\); it needs ~[\d,]+ more requests on v2, ~\d+ (s|min|h) at 0\.\d req\/s; waiting up to 30m more/,
    );
  });

  it('resumes a deployment stored before evidence and the newer judge settings existed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onebox-resume-'));
    await start('canary:20%:5m', {}, app(0, 0), dir);
    await round(0, 100, 1000);
    const id = deployment().id;
    await onebox.close();
    // Strip what this version adds, as an older onebox would have written the row.
    const db = new Database(join(dir, 'state.db'));
    const row = db.prepare('SELECT state, gates FROM deployments WHERE id = ?').get(id) as {
      state: string;
      gates: string;
    };
    const state = JSON.parse(row.state) as Record<string, unknown>;
    delete state.evidence;
    const gates = JSON.parse(row.gates) as { judge: Record<string, unknown> };
    delete gates.judge.tailFloor;
    delete gates.judge.warmupRequests;
    db.prepare('UPDATE deployments SET state = ?, gates = ? WHERE id = ?').run(
      JSON.stringify(state),
      JSON.stringify(gates),
      id,
    );
    db.close();
    onebox = await startTestOnebox(
      { components: [{ name: 'api', route: '/', deployment: { config: 'canary:20%:5m' } }] },
      { clock, dir },
    );
    try {
      expect(deployment().state.evidence).toBeUndefined();
      expect(deployment().gates.judge).toMatchObject({ tailFloor: 0.01, warmupRequests: 100 });
      const d = await drive(400, 30_000);
      expect(d.state.status, d.state.reason).toBe('succeeded');
      expect(d.state.evidence?.errors?.accepted).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
