import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../../helpers/onebox.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { runCli, startServe } from '../../helpers/cli.js';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';

/**
 * `gateway.workers`: real worker processes (node:cluster) sharing the gateway's port, the
 * controller and state in this process. Needs the build (dist/cluster/gateway-worker.js),
 * which `npm test` makes first.
 */
const answer =
  (label: string, status = 200) =>
  (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ label }));
  };

/** CPU ticks (user + system) a process has used, from /proc. */
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('gateway in worker processes', () => {
  let onebox: TestOnebox | undefined;
  let ups: TestUpstream[] = [];
  const exits: string[] = [];

  const start = async (handlers: ReturnType<typeof answer>[], over: object = {}, clock?: FakeClock) => {
    ups = await Promise.all(handlers.map((h) => startUpstream(h)));
    onebox = await startTestOnebox(
      {
        gateway: { workers: 2 },
        components: [
          { name: 'web', route: '/', deployment: { alarms: { minRequests: 20 }, judge: { enabled: false } } },
        ],
        ...over,
      },
      { workerReportMs: 20, onWorkerExit: (d) => exits.push(d), handlerOutput: 'ignore', ...(clock ? { clock } : {}) },
    );
    for (const u of ups) onebox.plane.publish('web', { url: u.url });
    onebox.plane.setAlias('web', { version: 1 });
  };

  /** Each request on a new connection, so the cluster deals them to every worker. */
  const get = async (user: string, path = '/'): Promise<{ status: number; version: string }> => {
    const agent = new Agent({ pipelining: 0 });
    try {
      const res = await request(`${onebox!.gatewayUrl}${path}`, {
        dispatcher: agent,
        headers: { cookie: `onebox-uid=${user.padEnd(22, 'x')}`, connection: 'close' },
      });
      await res.body.dump();
      return { status: res.statusCode, version: String(res.headers['x-onebox-version']) };
    } finally {
      await agent.close();
    }
  };
  const requestsSeen = (): number => onebox!.metrics.snapshot().versions.reduce((n, v) => n + v.requests, 0);

  afterEach(async () => {
    await onebox?.close();
    onebox = undefined;
    await Promise.all(ups.map((u) => u.close()));
    exits.length = 0;
  });

  it('serves one port from every worker; the primary counts each request and each user once', async () => {
    await start([answer('v1')]);
    const pids = onebox!.workers!.pids();
    expect(pids).toHaveLength(2);
    const before = pids.map(cpuTicks);
    const agent = new Agent({ connections: 8 });
    const statuses = await Promise.all(
      Array.from({ length: 1200 }, async (_, i) => {
        const res = await request(`${onebox!.gatewayUrl}/p${i}`, {
          dispatcher: agent,
          headers: { cookie: `onebox-uid=${`u${i % 150}`.padEnd(22, 'x')}` },
        });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    await agent.close();
    expect(new Set(statuses)).toEqual(new Set([200]));
    await expect.poll(requestsSeen, { timeout: 5000, interval: 20 }).toBe(1200);
    expect(onebox!.metrics.snapshot().versions[0]).toMatchObject({ version: 1, requests: 1200, users: 150 });
    // Both workers did the work (the cluster deals connections in turn).
    pids.forEach((pid, i) => expect(cpuTicks(pid)).toBeGreaterThan(before[i]!));
  });

  it('every worker routes by the alias the primary sets, sticky per user, and never to a retired version', async () => {
    await start([answer('v1'), answer('v2')]);
    onebox!.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    await expect
      .poll(async () =>
        (await Promise.all([1, 2, 3, 4, 5, 6].map((i) => get(`probe${i}`)))).some((r) => r.version === 'web:2'),
      )
      .toBe(true);
    // The same user on new connections (so on both workers) sees one version.
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      const versions = new Set((await Promise.all(Array.from({ length: 8 }, () => get(user)))).map((r) => r.version));
      expect(versions.size).toBe(1);
    }
    onebox!.plane.setAlias('web', { version: 2 });
    onebox!.plane.retire('web', 1);
    await expect.poll(async () => (await get('alice')).version).toBe('web:2');
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`after${i}`)));
    expect(new Set(after.map((r) => r.version))).toEqual(new Set(['web:2']));
  });

  it("rolls a bad release back on the workers' metrics, and the workers follow", async () => {
    const clock = new FakeClock();
    await start([answer('v1'), answer('v2 broken', 500)], {}, clock);
    const [d] = onebox!.plane.release(
      { components: [{ component: 'web', version: 2, config: 'canary:50%:5m' }] },
      'test',
    );
    for (let round = 0; round < 20 && onebox!.plane.deployment(d!.id).state.status === 'in-progress'; round++) {
      const sent = requestsSeen();
      await Promise.all(Array.from({ length: 40 }, (_, i) => get(`r${round}-${i}`)));
      await expect.poll(requestsSeen, { timeout: 5000, interval: 20 }).toBe(sent + 40);
      clock.advance(10_000);
      onebox!.controller.tick();
      await onebox!.controller.settled();
    }
    expect(onebox!.plane.deployment(d!.id).state.status).toBe('rolled-back');
    await expect
      .poll(async () =>
        (await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => get(`late${i}`)))).every((r) => r.version === 'web:1'),
      )
      .toBe(true);
  });

  it('replaces a worker that dies; the others go on serving', async () => {
    await start([answer('v1')]);
    const [victim, survivor] = onebox!.workers!.pids();
    process.kill(victim!, 'SIGKILL');
    await expect.poll(() => exits.length, { timeout: 5000 }).toBe(1);
    expect(exits[0]).toMatch(new RegExp(`gateway worker ${victim} exited \\(code null, signal SIGKILL\\)`));
    await expect.poll(() => onebox!.workers!.size, { timeout: 10_000 }).toBe(2);
    expect(onebox!.workers!.pids()).toContain(survivor);
    expect(onebox!.workers!.pids()).not.toContain(victim);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`after-kill${i}`)));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
  });

  it("adds the workers' shadow comparisons into the primary's report", async () => {
    await start([answer('v1'), answer('v2')]);
    onebox!.plane.startShadow('web', shadowPolicyBody.parse({ version: 2 }));
    await expect
      .poll(
        async () => {
          await Promise.all(Array.from({ length: 10 }, (_, i) => get(`s${i}`, `/items/${i}`)));
          return onebox!.plane.shadowReport('web').counters.compared;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(20);
    const report = onebox!.plane.shadowReport('web');
    expect(report.endpoints.find((e) => e.endpoint === 'GET /items/:id')?.fields.map((f) => f.path)).toEqual([
      '$.label',
    ]);
  });

  it('runs handler versions in the workers, counted in the primary', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onebox-worker-handler-'));
    try {
      writeFileSync(join(src, 'package.json'), '{"type":"module"}');
      writeFileSync(
        join(src, 'index.js'),
        'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.rawPath, pid: process.pid }) });\n',
      );
      await start([answer('v1')]);
      const v = onebox!.plane.publish('web', { handler: `${src}#handler`, timeoutMs: 2000 });
      onebox!.plane.setAlias('web', { version: v.number });
      await expect.poll(async () => (await get('h0')).version).toBe(`web:${v.number}`);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => get(`h${i}`, `/fn/${i}`)));
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
      // The one answer that showed the switch, and these 30.
      const onHandler = (): number | undefined =>
        onebox!.metrics.snapshot().versions.find((m) => m.version === v.number)?.requests;
      await expect.poll(onHandler, { timeout: 5000, interval: 20 }).toBe(31);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('stops its workers when it closes', async () => {
    await start([answer('v1')]);
    const pids = onebox!.workers!.pids();
    await onebox!.close();
    onebox = undefined;
    expect(pids.filter(alive)).toEqual([]);
    expect(exits).toEqual([]);
  });
});

describe('onebox serve --workers', () => {
  it('serves through its workers from the built command, and takes them down with it on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onebox-workers-'));
    const up = await startUpstream(answer('v1'));
    writeFileSync(
      join(dir, 'onebox.yaml'),
      'gateway: { listen: "127.0.0.1:0" }\nadmin: { listen: "127.0.0.1:0", token: "workers-test-token-0123" }\ncomponents: [{ name: web, route: / }]\n',
    );
    const served = await startServe(['--workers', '2'], { cwd: dir });
    try {
      expect(served.output()).toContain('(2 worker processes)');
      const workerPids = readFileSync(`/proc/${served.child.pid}/task/${served.child.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(workerPids.length).toBeGreaterThanOrEqual(2);
      const admin = ['--admin-url', served.adminUrl, '--token', 'workers-test-token-0123'];
      expect(await runCli(['publish', 'web', '--url', up.url, ...admin], { cwd: dir })).toMatchObject({ code: 0 });
      expect(await runCli(['alias', 'web', '--version', '1', ...admin], { cwd: dir })).toMatchObject({ code: 0 });
      await expect.poll(async () => (await request(`${served.gatewayUrl}/`)).statusCode).toBe(200);
      // As Ctrl-C does: the signal reaches the workers too; only the primary acts on it.
      for (const pid of workerPids) process.kill(pid, 'SIGINT');
      const exited = once(served.child, 'exit');
      served.child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
      expect(served.output()).not.toMatch(/starting another/);
      expect(workerPids.filter(alive)).toEqual([]);
    } finally {
      served.child.kill('SIGKILL');
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
