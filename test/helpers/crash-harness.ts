import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect } from 'vitest';
import { startServe } from './cli.js';
import { labelled, startUpstream, type TestUpstream } from './upstream.js';
import { prng } from './random.js';

/**
 * The crash-and-resume harness (test/controller/crash-resume.test.ts, test/reliability/crash.test.ts):
 * real `onebox serve` child processes with their own state folders, a traffic generator and an
 * alias watcher each; one of them can be SIGKILLed and restarted at any moment.
 */
/** backend `linear:25%:5s` is 3 holds of 5 s, then frontend `onebox:20%:12s` bakes 12 s. */
export const BACKEND_INTERVAL_MS = 5_000;
export const FRONTEND_BAKE_MS = 12_000;
/**
 * The kills are spread over both deployments: 13 over the first 90% of the backend's
 * expected 15 s, then, once the frontend has started, 7 over the first 70% of its bake.
 * The release keeps going in wall-clock time while the server is down (holds count real
 * time), so these margins are what keeps all 20 kills inside the release.
 */
export const KILLS_DURING_BACKEND = 13;
export const BACKEND_KILL_WINDOW_MS = 0.9 * 3 * BACKEND_INTERVAL_MS;
export const FRONTEND_KILL_WINDOW_MS = 0.7 * FRONTEND_BAKE_MS;
/** Each restarted server lives at least this long before the next kill. */
export const MIN_LIFE_MS = 100;
export const TOKEN = 'crash-resume-token-0123456789';
export const COMPONENTS = ['backend', 'frontend'] as const;
export const TERMINAL = ['succeeded', 'rolled-back', 'stopped', 'skipped'];
/** A safety bound on the traffic generator (it runs at ~200 requests/s per server). */
export const MAX_REQUESTS_PER_RUN = 40_000;

/**
 * Event types whose presence depends on timing rather than on the plan (read off
 * src/core/deployment.ts, `onTick`/`onCommand`):
 * - `extended`: the hold is over but the gate is still inconclusive. Gate windows are
 *   in-memory metrics, so after a restart the first ticks past a hold see no data yet
 *   and extend the step once; an uninterrupted run may or may not extend either.
 * - `proceeded` only exists with `onInconclusive: proceed` (not configured here), and
 *   `paused`/`resumed`/`promoted` need a person or an extension that ran out. They are
 *   NOT ignored: with the default `pause` policy such an event would halt the release,
 *   and the skeleton comparison reports it.
 * Every other event (started, step, bake, succeeded, rolled-back, ...) is one plan step
 * or one outcome and must appear exactly once, in order, with the same weight.
 */
export const TIMING_DEPENDENT = new Set(['extended']);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type Served = Awaited<ReturnType<typeof startServe>>;

export interface ApiAlias {
  version: number;
  additional?: { version: number; weightBp: number } | null;
}

export interface ApiDeployment {
  id: string;
  state: {
    component: string;
    status: string;
    step: number;
    weightBp: number;
    fromVersion: number;
    toVersion: number;
    createdAt: number;
    endedAt?: number;
  };
  events: { seq: number; type: string; weightBp: number; status: string }[];
}

export interface ApiRelease {
  id: string;
  createdAt: number;
  deployments: ApiDeployment[];
}

export interface EventRow {
  seq: number;
  deployment_id: string;
  at: number;
  type: string;
  status: string;
  weight_bp: number;
}

/** Weight of v2 in basis points, as users see it. */
export const weightOf = (a: ApiAlias): number =>
  a.additional?.version === 2 ? a.additional.weightBp : a.version === 2 ? 10_000 : 0;

/** One `onebox serve` with its state folder, a traffic generator and an alias watcher. */
export class Run {
  readonly dir: string;
  serve: Served | undefined;
  readonly killedAt: number[] = [];
  readonly restartMs: number[] = [];
  readonly unexpectedExits: string[] = [];
  /** stdout + stderr of every server life that ended. */
  readonly outputs: string[] = [];
  /** Polled alias weights of v2 per component (only changes are kept). */
  readonly weights: Record<string, number[]> = { backend: [], frontend: [] };
  readonly weightDrops: string[] = [];
  /** A user once served v2 of a component and later v1 again. */
  readonly userRegressions: string[] = [];
  requests = 0;
  non200 = 0;
  connectionErrors = 0;
  released = false;
  /** The release as GET /v1/history showed it last, and once every deployment was terminal. */
  latest: ApiRelease | undefined;
  done: ApiRelease | undefined;
  private on = true;
  private readonly loops: Promise<void>[] = [];
  private readonly highest = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly agent: Agent,
    plans: { backend: string; frontend: string; maxExtension?: string } = {
      backend: `linear:25%:${BACKEND_INTERVAL_MS}ms`,
      frontend: `onebox:20%:${FRONTEND_BAKE_MS}ms`,
    },
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `onebox-crash-${name}-`));
    const extension = plans.maxExtension ? `, maxExtension: ${plans.maxExtension}` : '';
    writeFileSync(
      join(this.dir, 'onebox.yaml'),
      [
        'gateway: { listen: "127.0.0.1:0" }',
        `admin: { listen: "127.0.0.1:0", token: "${TOKEN}" }`,
        'controller: { interval: 50ms }',
        'components:',
        '  - name: backend',
        '    route: /api',
        `    deployment: { config: "${plans.backend}", alarms: { minRequests: 5 }, judge: { enabled: false }${extension} }`,
        '  - name: frontend',
        '    route: /',
        `    deployment: { config: "${plans.frontend}", alarms: { minRequests: 5 }, judge: { enabled: false }${extension} }`,
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    const served = await startServe([], { cwd: this.dir });
    served.child.on('exit', (code, signal) => {
      if (this.serve === served) this.unexpectedExits.push(`exit ${code} ${signal}: ${served.output()}`);
    });
    this.serve = served;
    this.restartMs.push(Date.now() - t0);
  }

  /** SIGKILL, then (after `downMs`) start again with the same config and state folder. */
  async crashAndRestart(downMs = 0): Promise<void> {
    const served = this.serve!;
    this.serve = undefined;
    if (served.child.exitCode !== null || served.child.signalCode !== null)
      throw new Error(`${this.name} had already exited: ${served.output()}`);
    const exited = once(served.child, 'exit');
    this.killedAt.push(Date.now());
    served.child.kill('SIGKILL');
    await exited;
    this.outputs.push(served.output());
    if (downMs) await sleep(downMs);
    await this.start();
  }

  async stop(): Promise<void> {
    const served = this.serve;
    this.serve = undefined;
    if (!served || served.child.exitCode !== null || served.child.signalCode !== null) return;
    const exited = once(served.child, 'exit');
    served.child.kill('SIGTERM');
    await exited;
    this.outputs.push(served.output());
  }

  /** SIGKILL whatever is left (cleanup after a failure). */
  kill(): void {
    const served = this.serve;
    this.serve = undefined;
    if (served && served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
  }

  async admin<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const served = this.serve;
    if (!served) throw new Error(`${this.name} is down`);
    const res = await request(`${served.adminUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }

  startLoops(): void {
    this.loops.push(this.traffic(), this.watch());
  }

  async stopLoops(): Promise<void> {
    this.on = false;
    await Promise.all(this.loops);
  }

  /** Sequential requests (so responses arrive in routing order), ~200/s, loopback only. */
  private async traffic(): Promise<void> {
    let n = 0;
    while (this.on && this.requests < MAX_REQUESTS_PER_RUN) {
      const served = this.serve;
      if (!served) {
        await sleep(5);
        continue;
      }
      const uid = `u${Math.floor(n / 2) % 400}`.padEnd(22, 'z');
      const path = n % 2 === 0 ? '/api/items' : '/';
      n++;
      try {
        const res = await request(`${served.gatewayUrl}${path}`, {
          dispatcher: this.agent,
          headers: { cookie: `onebox-uid=${uid}` },
          headersTimeout: 3_000,
          bodyTimeout: 3_000,
        });
        await res.body.dump();
        this.requests++;
        if (res.statusCode !== 200) this.non200++;
        const [component, version] = String(res.headers['x-onebox-version']).split(':');
        const key = `${component}/${uid}`;
        const before = this.highest.get(key) ?? 0;
        if (Number(version) < before) this.userRegressions.push(`${uid} got ${component} v${version} after v${before}`);
        this.highest.set(key, Math.max(before, Number(version)));
      } catch {
        // The server is being killed or is starting again.
        this.connectionErrors++;
        await sleep(10);
      }
      await sleep(3);
    }
  }

  /** Polls both aliases (weights must only rise) and the history (to see the end). */
  private async watch(): Promise<void> {
    while (this.on) {
      if (this.serve) {
        try {
          // History first: once it shows the end, the aliases read next are the final ones
          // (both are written in one transaction), so the last weight seen is the final weight.
          if (this.released && !this.done) {
            const { releases } = await this.admin<{ releases: ApiRelease[] }>('GET', '/v1/history?limit=1');
            const r = releases[0];
            this.latest = r;
            if (r && r.deployments.every((d) => TERMINAL.includes(d.state.status))) this.done = r;
          }
          for (const c of COMPONENTS) {
            const { alias } = await this.admin<{ alias: ApiAlias | null }>('GET', `/v1/components/${c}/alias`);
            if (!alias) continue;
            const w = weightOf(alias);
            const seen = this.weights[c]!;
            const last = seen[seen.length - 1];
            if (last !== undefined && w < last) this.weightDrops.push(`${c}: ${last} -> ${w}`);
            if (w !== last) seen.push(w);
          }
        } catch {
          // Down or restarting: try again.
        }
      }
      await sleep(40);
    }
  }

  async setUp(ups: { backend: TestUpstream[]; frontend: TestUpstream[] }): Promise<void> {
    for (const c of COMPONENTS) {
      for (const u of ups[c]) await this.admin('POST', `/v1/components/${c}/versions`, { url: u.url });
      await this.admin('PUT', `/v1/components/${c}/alias`, { version: 1 });
    }
  }

  async release(
    components: unknown[] = [
      { component: 'backend', version: 2 },
      { component: 'frontend', version: 2, after: ['backend'] },
    ],
  ): Promise<void> {
    await this.admin('POST', '/v1/releases', { components });
    this.released = true;
  }

  /** Waits until the watcher sees `ok(release)`. */
  async until(what: string, ok: (r: ApiRelease) => boolean, timeoutMs: number): Promise<ApiRelease> {
    const until = Date.now() + timeoutMs;
    while (!this.latest || !ok(this.latest)) {
      if (Date.now() > until)
        throw new Error(`${this.name}: ${what} did not happen within ${timeoutMs} ms: ${this.describe()}`);
      await sleep(10);
    }
    return this.latest;
  }

  /** The last release the watcher saw, for failure messages. */
  describe(): string {
    const deployments = this.latest?.deployments.map((d) => ({
      component: d.state.component,
      status: d.state.status,
      step: d.state.step,
      weightBp: d.state.weightBp,
      events: d.events.map((e) => `${e.seq} ${e.type}@${e.weightBp}/${e.status}`),
    }));
    return JSON.stringify({
      kills: this.killedAt.length,
      up: !!this.serve,
      deployments,
      output: this.serve?.output() ?? this.outputs.at(-1),
    });
  }

  /** When the watcher first saw the frontend's deployment past `created`. */
  async frontendStarted(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (
      (this.latest?.deployments.find((d) => d.state.component === 'frontend')?.state.status ?? 'created') === 'created'
    ) {
      if (Date.now() > until)
        throw new Error(`${this.name}: the frontend did not start within ${timeoutMs} ms: ${this.describe()}`);
      await sleep(10);
    }
    return Date.now();
  }

  async waitDone(timeoutMs: number): Promise<ApiRelease> {
    const until = Date.now() + timeoutMs;
    while (!this.done) {
      if (Date.now() > until)
        throw new Error(`${this.name}: the release did not end within ${timeoutMs} ms: ${this.describe()}`);
      await sleep(50);
    }
    return this.done;
  }

  /** The state file, read directly once the server has stopped. */
  readState(): {
    integrity: string;
    events: EventRow[];
    deployments: { id: string; component: string; state: ApiDeployment['state'] }[];
    aliases: { component: string; version: number; additional_version: number | null; additional_weight_bp: number }[];
  } {
    const db = new Database(join(this.dir, '.onebox', 'state.db'), { fileMustExist: true });
    try {
      return {
        integrity: String(db.pragma('integrity_check', { simple: true })),
        events: db
          .prepare('SELECT seq, deployment_id, at, type, status, weight_bp FROM deployment_events ORDER BY seq')
          .all() as EventRow[],
        deployments: (
          db.prepare('SELECT id, component, state FROM deployments ORDER BY rowid').all() as {
            id: string;
            component: string;
            state: string;
          }[]
        ).map((d) => ({ id: d.id, component: d.component, state: JSON.parse(d.state) as ApiDeployment['state'] })),
        aliases: db
          .prepare(
            'SELECT component, version, additional_version, additional_weight_bp FROM aliases ORDER BY component',
          )
          .all() as {
          component: string;
          version: number;
          additional_version: number | null;
          additional_weight_bp: number;
        }[],
      };
    } finally {
      db.close();
    }
  }
}

/** Per component: the events that follow the plan, as `type@weightBp/status`. */
export function skeletons(state: ReturnType<Run['readState']>): Record<string, string[]> {
  return Object.fromEntries(
    state.deployments.map((d) => [
      d.component,
      state.events
        .filter((e) => e.deployment_id === d.id && !TIMING_DEPENDENT.has(e.type))
        .map((e) => `${e.type}@${e.weight_bp}/${e.status}`),
    ]),
  );
}

export const finalOf = (state: ReturnType<Run['readState']>) => ({
  deployments: Object.fromEntries(
    state.deployments.map((d) => [
      d.component,
      {
        status: d.state.status,
        step: d.state.step,
        weightBp: d.state.weightBp,
        fromVersion: d.state.fromVersion,
        toVersion: d.state.toVersion,
      },
    ]),
  ),
  aliases: state.aliases,
});

/** What a scenario measured so far; filled as it goes, so a failed run still reports. */
export interface CrashFigures {
  kills: number;
  restarts: number;
  /** Events in the crashed run's state file, and in the reference's. */
  events: number;
  referenceEvents: number;
  requests: number;
  /** Plan events (not timing-dependent) of the reference missing from the crashed run's history: must be 0. */
  lost: number;
}

export const noCrashFigures = (): CrashFigures => ({
  kills: 0,
  restarts: 0,
  events: 0,
  referenceEvents: 0,
  requests: 0,
  lost: 0,
});

/** Plan events of `ref` that `got` lacks, per component, counted with multiplicity. */
export function lostEvents(ref: Record<string, string[]>, got: Record<string, string[]>): number {
  let lost = 0;
  for (const [component, events] of Object.entries(ref)) {
    const left = [...(got[component] ?? [])];
    for (const e of events) {
      const i = left.indexOf(e);
      if (i < 0) lost++;
      else left.splice(i, 1);
    }
  }
  return lost;
}

/**
 * Runs the same two-component release in two servers side by side, SIGKILLs one of them
 * `kills` times at seeded random moments (restarting it at once each time) and asserts it ends
 * exactly like the uninterrupted one. About 30 s, whatever `kills` (the release's length).
 */
export async function runCrashScenario(
  agent: Agent,
  ups: { backend: TestUpstream[]; frontend: TestUpstream[] },
  runs: Run[],
  { seed, kills }: { seed: number; kills: number },
  figures: CrashFigures = noCrashFigures(),
): Promise<string> {
  // The kills are spread over both deployments, about two thirds during the backend.
  const killsDuringBackend = Math.max(1, Math.round((kills * KILLS_DURING_BACKEND) / 20));
  const testStart = Date.now();
  const reference = new Run('reference', agent);
  const crashed = new Run('crashed', agent);
  runs.push(reference, crashed);
  await Promise.all([reference.start(), crashed.start()]);
  await Promise.all([reference.setUp(ups), crashed.setUp(ups)]);
  reference.startLoops();
  crashed.startLoops();
  await sleep(300); // both gateways warm, users placed on v1
  await Promise.all([reference.release(), crashed.release()]);
  const releaseStart = Date.now();

  // The kill clock: after each restart a seeded random delay, scaled so the kills of a
  // phase spread over what is left of its window (restarts take ~0.3-1 s).
  const random = prng(seed);
  const delays: number[] = [];
  const killPhase = async (kills: number, deadline: number): Promise<void> => {
    for (let k = 0; k < kills && !crashed.done; k++) {
      const restarts = crashed.restartMs.slice(1);
      const restartEstimate = restarts.length ? restarts.reduce((a, b) => a + b, 0) / restarts.length : 400;
      const perKill = (deadline - Date.now()) / (kills - k) - restartEstimate;
      const delay = Math.round(Math.min(1_500, Math.max(MIN_LIFE_MS, perKill * (0.2 + 1.6 * random()))));
      delays.push(delay);
      await sleep(delay);
      if (crashed.done) return;
      await crashed.crashAndRestart();
    }
  };
  await killPhase(killsDuringBackend, releaseStart + BACKEND_KILL_WINDOW_MS);
  const frontendStart = await crashed.frontendStarted(30_000);
  await killPhase(kills - killsDuringBackend, frontendStart + FRONTEND_KILL_WINDOW_MS);

  const [refDone, crashDone] = await Promise.all([reference.waitDone(45_000), crashed.waitDone(45_000)]);
  await Promise.all([reference.stopLoops(), crashed.stopLoops()]);
  await Promise.all([reference.stop(), crashed.stop()]);
  const ref = reference.readState();
  const got = crashed.readState();
  figures.kills += crashed.killedAt.length;
  figures.restarts += crashed.restartMs.length - 1;
  figures.events += got.events.length;
  figures.referenceEvents += ref.events.length;
  figures.requests += crashed.requests;
  figures.lost += lostEvents(skeletons(ref), skeletons(got));

  // The schedule: exactly KILLS kills (and restarts), all inside the release.
  const endedAt = Math.max(...crashDone.deployments.map((d) => d.state.endedAt ?? Infinity));
  const backendEnded = crashDone.deployments.find((d) => d.state.component === 'backend')!.state.endedAt!;
  expect(crashed.killedAt).toHaveLength(kills);
  expect(crashed.restartMs).toHaveLength(kills + 1);
  for (const t of crashed.killedAt) {
    expect(t).toBeGreaterThan(crashDone.createdAt);
    expect(t).toBeLessThan(endedAt);
  }
  expect(crashed.killedAt.filter((t) => t < backendEnded).length).toBeGreaterThan(0);
  expect(crashed.killedAt.filter((t) => t >= backendEnded).length).toBeGreaterThan(0);
  expect(crashed.unexpectedExits).toEqual([]);
  // No controller tick failed (e.g. on a half-written state file) in any life.
  expect(crashed.outputs).toHaveLength(kills + 1);
  expect([...crashed.outputs, ...reference.outputs].filter((o) => /onebox: controller:/.test(o))).toEqual([]);
  expect(reference.unexpectedExits).toEqual([]);

  // The reference itself did what the plan says.
  expect(finalOf(ref).deployments).toEqual({
    backend: { status: 'succeeded', step: 3, weightBp: 10_000, fromVersion: 1, toVersion: 2 },
    frontend: { status: 'succeeded', step: 1, weightBp: 10_000, fromVersion: 1, toVersion: 2 },
  });

  // Same final statuses, steps and aliases as the uninterrupted run.
  expect(got.integrity).toBe('ok');
  expect(finalOf(got)).toEqual(finalOf(ref));

  // Per deployment the same story: no step repeated or skipped, no event lost.
  expect(skeletons(got)).toEqual(skeletons(ref));

  // seq: 1..N without a gap across the whole table (only this release wrote to it),
  // strictly increasing per deployment, times never going back.
  expect(got.events.map((e) => e.seq)).toEqual(got.events.map((_, i) => i + 1));
  for (const d of got.deployments) {
    const mine = got.events.filter((e) => e.deployment_id === d.id);
    for (let i = 1; i < mine.length; i++) {
      expect(mine[i]!.seq).toBeGreaterThan(mine[i - 1]!.seq);
      expect(mine[i]!.at).toBeGreaterThanOrEqual(mine[i - 1]!.at);
      expect(mine[i]!.weight_bp, `${d.component} event weights`).toBeGreaterThanOrEqual(mine[i - 1]!.weight_bp);
    }
  }
  // What the API showed at the end is exactly what is in the file.
  expect(crashDone.deployments.flatMap((d) => d.events.map((e) => e.seq)).sort((a, b) => a - b)).toEqual(
    got.events.map((e) => e.seq),
  );

  // Traffic only ever moved forward: alias weights rose, no user went back to v1.
  expect(crashed.weightDrops).toEqual([]);
  expect(reference.weightDrops).toEqual([]);
  for (const c of COMPONENTS) {
    expect(crashed.weights[c]![0]).toBe(0);
    expect(crashed.weights[c]!.at(-1)).toBe(10_000);
  }
  expect(crashed.userRegressions.slice(0, 5)).toEqual([]);
  expect(reference.userRegressions.slice(0, 5)).toEqual([]);
  expect(crashed.non200 + reference.non200).toBe(0);

  const restarts = crashed.restartMs.slice(1);
  const extended = got.events.filter((e) => TIMING_DEPENDENT.has(e.type)).length;
  const refEnded = Math.max(...refDone.deployments.map((d) => d.state.endedAt!));
  return (
    `crash-resume seed=${seed}: kills=${crashed.killedAt.length} (${crashed.killedAt.filter((t) => t < backendEnded).length} during backend, ` +
    `${crashed.killedAt.filter((t) => t >= backendEnded).length} during frontend), restarts=${restarts.length} ` +
    `(mean ${Math.round(restarts.reduce((a, b) => a + b, 0) / restarts.length)} ms, max ${Math.max(...restarts)} ms), ` +
    `events=${got.events.length} (${extended} timing-dependent 'extended'; reference ${ref.events.length}), ` +
    `release=${((endedAt - crashDone.createdAt) / 1000).toFixed(1)}s (reference ${((refEnded - refDone.createdAt) / 1000).toFixed(1)}s), ` +
    `requests=${crashed.requests} (${crashed.connectionErrors} refused while down), delays=${delays.join(',')}ms, ` +
    `duration=${((Date.now() - testStart) / 1000).toFixed(1)}s`
  );
}

/** What every crash test needs: the four upstreams, one agent, and the runs to clean up. */
export interface CrashFixture {
  readonly agent: Agent;
  readonly ups: { backend: TestUpstream[]; frontend: TestUpstream[] };
  readonly runs: Run[];
  /** Stops, kills and deletes the runs so far (between rounds, and after all). */
  clearRuns(): Promise<void>;
}

/** Registers the fixture's beforeAll and afterAll in the calling describe block. */
export function useCrashFixture(): CrashFixture {
  const fixture: CrashFixture = {
    agent: new Agent({ connections: 8 }),
    ups: { backend: [], frontend: [] },
    runs: [],
    async clearRuns() {
      for (const r of fixture.runs.splice(0)) {
        await r.stopLoops();
        r.kill();
        rmSync(r.dir, { recursive: true, force: true });
      }
    },
  };
  beforeAll(async () => {
    fixture.ups.backend.push(await startUpstream(labelled('api v1')), await startUpstream(labelled('api v2')));
    fixture.ups.frontend.push(await startUpstream(labelled('web v1')), await startUpstream(labelled('web v2')));
  });
  afterAll(async () => {
    await fixture.clearRuns();
    await Promise.all([...fixture.ups.backend, ...fixture.ups.frontend].map((u) => u.close()));
    await fixture.agent.close();
  });
  return fixture;
}
