import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bucketOf, defaultSeed, isActive, RECIPES } from '../../core/index.js';
import { toApiGatewayV2Event } from '../../runtime/apigw.js';
import { startOnebox, type RunningOnebox } from '../../engine/onebox.js';
import type { DeploymentView } from '../../api/index.js';
import { parseConfig } from '../../config/load.js';
import type { Exposure, NodeRuntime } from '../../core/index.js';
import type { DeploymentRecord } from '../../core/index.js';
import { Narrator, progressLine, type DemoOutput } from './narrator.js';
import { Population, type PopulationReport } from './population.js';
import { scaledClock } from './scaled-clock.js';
import { demoConfig } from './demo-config.js';
import { formatSummary } from './summary.js';

/** The build step of examples/demo, loaded from the repository at run time. */
const DEMO_BUILD = new URL('../../../examples/demo/build.mjs', import.meta.url);

interface BuiltRelease {
  readonly release: string;
  readonly summary: string;
  readonly api: string;
  readonly web: string;
  readonly own: { readonly js: string; readonly css: string };
}

export interface DemoOptions {
  /** Time compression of holds and bakes: a minute of release time takes 60/speed s. Default 20. */
  readonly speed?: number;
  /** Simulated browsers. Default 300. */
  readonly users?: number;
  /** Mean pause between one user's page views, ms. Default 3000 (about 100 pages/s from 300 users). */
  readonly thinkMs?: number;
  /** Gateway address. Default 127.0.0.1:8080. */
  readonly listen?: string;
  /** Admin API address. Default 127.0.0.1:8081. */
  readonly adminListen?: string;
  /** State folder, emptied first. Default .onebox/demo. */
  readonly stateDir?: string;
  /** Where the admin token file goes, for the CLI to find. Default .onebox. */
  readonly tokenDir?: string;
  /** Where the story goes. Default: standard output. */
  readonly output?: DemoOutput;
  /** Longest wait for one release, real ms, before the demo gives up. Default 10 minutes. */
  readonly releaseTimeoutMs?: number;
}

export interface DeploymentOutcome {
  readonly release: string;
  readonly component: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly config: string;
  readonly status: string;
  readonly reason: string | undefined;
  readonly exposure: Exposure | undefined;
  /** Release time from its first traffic to its end (compressed by the speed). */
  readonly releaseMs: number;
  readonly newVersionRequests: number;
  readonly newVersionErrors: number;
  /** Held steps that ended with the gate passing, on evidence. */
  readonly stepsPassed: number;
  /** Held steps that ended with the gate still inconclusive (proceeding as configured). */
  readonly stepsUndecided: number;
}

export interface DemoSummary {
  readonly speed: number;
  readonly elapsedMs: number;
  readonly deployments: readonly DeploymentOutcome[];
  readonly pages: PopulationReport;
  /** The bad release's blast radius (v3, a server-side bug), checked user by user against its one-box partition. */
  readonly bad: BlastRadius;
  /** The same for the browser-only bad release (v4: every answer a 200, its pages' script fails). */
  readonly browserBad: BlastRadius;
}

export interface BlastRadius {
  readonly version: number;
  readonly oneBoxShareBp: number;
  readonly seed: string;
  /** Users of the population whose bucket puts them in the one-box partition. */
  readonly partitionUsers: number;
  readonly usersExposed: number;
  /** Exposed users outside the partition (must be 0). */
  readonly outsidePartition: number;
}

/** Who saw `version`, user by user, against the one-box partition its seed and share make. */
function blastRadius(pages: PopulationReport, version: number, seed: string, oneBoxShareBp: number): BlastRadius {
  const exposed = [...(pages.usersByVersion.get(version) ?? [])];
  return {
    version,
    oneBoxShareBp,
    seed,
    partitionUsers: pages.identities.filter((id) => bucketOf(seed, id) < oneBoxShareBp).length,
    usersExposed: exposed.length,
    outsidePartition: exposed.filter((id) => bucketOf(seed, id) >= oneBoxShareBp).length,
  };
}

/** Waiting for data is routine in compressed time: its events are told without the numbers. */
const brief = (e: { type: string; sentence: string }): string =>
  e.type === 'extended' || e.type === 'proceeded' ? e.sentence.replace(/ \(.*\)(;|$)/, '$1') : e.sentence;

/** The runtime examples/demo/cdk gives the handlers on Lambda. */
const DEMO_RUNTIME: NodeRuntime = 'nodejs24.x';
const FRONTEND = 'web';
const BACKEND = 'api';

/** `onebox demo`: the whole story of seed 000, on this machine, in a couple of minutes. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const started = performance.now();
  const speed = options.speed ?? 20;
  const clock = scaledClock(speed);
  const out = new Narrator(options.output ?? process.stdout);
  const stateDir = options.stateDir ?? join('.onebox', 'demo');
  rmSync(stateDir, { recursive: true, force: true });

  const minute = 60_000 / speed;
  out.say(
    `onebox demo: a shop (SSR frontend "${FRONTEND}", API "${BACKEND}") released three times: a good release, a bad one, and one bad only in the browser.`,
  );
  out.say(`Time runs ${speed}x: a minute of holds and bakes takes ${(minute / 1000).toFixed(1)} s.`);
  out.say();

  const { buildDemo } = (await import(DEMO_BUILD.href)) as {
    buildDemo(outDir: string): Promise<BuiltRelease[]>;
  };
  const t0 = performance.now();
  const built = await buildDemo(join(stateDir, 'build'));
  out.say(`1. Build. examples/demo, one bundle per release (${Math.round(performance.now() - t0)} ms):`);
  for (const b of built) out.say(`     ${b.release}: ${b.own.js} ${b.own.css}  ${b.summary}`);

  let releaseStartedAt = clock.now();
  const since = (at: number): string => {
    const seconds = Math.max(0, Math.round((at - releaseStartedAt) / 1000));
    return `+${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const config = parseConfig(
    demoConfig({ stateDir, listen: options.listen, adminListen: options.adminListen, speed }),
    'the demo',
  );
  const onebox = await startOnebox(config, {
    clock,
    tokenDir: options.tokenDir ?? '.onebox',
    handlerOutput: 'ignore',
    onEvent: (e) => out.say(`     ${since(e.at)}  ${brief(e)}`),
    onError: (err) => out.say(`     onebox: controller: ${err.message} (will retry)`),
  });
  let population: Population | undefined;
  try {
    out.say(`2. Start. onebox gateway ${onebox.gatewayUrl}, admin API ${onebox.adminUrl}`);
    out.say(`     the shop:      ${onebox.gatewayUrl}/  (reload: you stay on one version)`);
    out.say(`     the dashboard: ${onebox.adminUrl}/  (token ${onebox.adminToken})`);
    out.say('     and in another terminal: npx onebox status --watch');
    const byRelease = new Map(built.map((b) => [b.release, b]));
    const publish = (release: string, component: string): number => {
      const b = byRelease.get(release)!;
      const dir = component === FRONTEND ? b.web : b.api;
      const env = { DEMO_API_ORIGIN: onebox.gatewayUrl };
      const request = { handler: dir, timeoutMs: 3000, description: `demo ${release}`, env, runtime: DEMO_RUNTIME };
      return onebox.plane.publish(component, request).number;
    };

    const api1 = publish('v1', BACKEND);
    const web1 = publish('v1', FRONTEND);
    onebox.plane.setAlias(BACKEND, { version: api1 });
    onebox.plane.setAlias(FRONTEND, { version: web1 });
    out.say(`3. Publish v1 (api version ${api1}, web version ${web1}); live for everyone.`);
    if (onebox.plane.runtimeNote(onebox.plane.version(BACKEND, api1)))
      out.say(
        `     (written for ${DEMO_RUNTIME}, as examples/demo/cdk runs them; here on onebox's Node, ${process.version})`,
      );

    population = new Population({
      gatewayUrl: onebox.gatewayUrl,
      frontend: FRONTEND,
      users: options.users,
      thinkMs: options.thinkMs,
      paths: { home: '/', products: Array.from({ length: 12 }, (_, i) => `/products/${i + 1}`) },
    });
    population.start();
    await sleep(Math.min(3000, population.thinkMs));
    const warm = population.report();
    out.say(
      `4. Users. ${warm.users} simulated browsers visit the shop: each page, its hashed assets (cached ` +
        `like a browser), then the API call its script makes. ${warm.pages} pages so far.`,
    );

    // Release v2: the seed's recipe.
    const api2 = publish('v2', BACKEND);
    const web2 = publish('v2', FRONTEND);
    await warmUp(onebox, [
      [BACKEND, api2],
      [FRONTEND, web2],
    ]);
    out.say();
    out.say(`5. Release v2: ${byRelease.get('v2')!.summary}.`);
    out.say(
      `   Recipe prod-one-box: ${BACKEND} ${RECIPES['prod-one-box'].backend}, then ${FRONTEND} ${RECIPES['prod-one-box'].frontend} ` +
        '(a one-box for 20% of users, baked, then everyone).',
    );
    releaseStartedAt = clock.now();
    const good = onebox.plane.release(
      {
        components: [
          { component: BACKEND, version: api2 },
          { component: FRONTEND, version: web2 },
        ],
        recipe: 'prod-one-box',
      },
      'demo',
    );
    const goodOutcome = await follow(onebox, good, 'v2', out, options.releaseTimeoutMs);

    // Release v3: only the frontend, with a bug.
    const web3 = publish('v3', FRONTEND);
    await warmUp(onebox, [[FRONTEND, web3]]);
    out.say();
    out.say(`6. Release v3: ${byRelease.get('v3')!.summary}.`);
    out.say(`   Same recipe; only ${FRONTEND} changes, so it goes straight to its one-box.`);
    releaseStartedAt = clock.now();
    const bad = onebox.plane.release(
      { components: [{ component: FRONTEND, version: web3 }], recipe: 'prod-one-box' },
      'demo',
    );
    // The one-box's seed, while it routes: which users the partition holds.
    const seed = onebox.plane.alias(FRONTEND)?.seed ?? defaultSeed(FRONTEND, web3);
    const badOutcome = await follow(onebox, bad, 'v3', out, options.releaseTimeoutMs);

    // Release v4: a bug only the browser sees.
    const web4 = publish('v4', FRONTEND);
    await warmUp(onebox, [[FRONTEND, web4]]);
    out.say();
    out.say(`7. Release v4: ${byRelease.get('v4')!.summary}.`);
    out.say(`   The server sees nothing wrong; the pages' beacons do (the gateway's browser signals).`);
    releaseStartedAt = clock.now();
    const browserBad = onebox.plane.release(
      { components: [{ component: FRONTEND, version: web4 }], recipe: 'prod-one-box' },
      'demo',
    );
    const browserSeed = onebox.plane.alias(FRONTEND)?.seed ?? defaultSeed(FRONTEND, web4);
    const browserOutcome = await follow(onebox, browserBad, 'v4', out, options.releaseTimeoutMs);

    // Users keep browsing for a moment on the restored version.
    await sleep(Math.min(2000, population.thinkMs));
    const pages = await population.stop();
    population = undefined;

    const summary: DemoSummary = {
      speed,
      elapsedMs: performance.now() - started,
      deployments: [...goodOutcome, ...badOutcome, ...browserOutcome],
      pages,
      bad: blastRadius(pages, web3, seed, bad[0]!.state.plan[0]!.weightBp),
      browserBad: blastRadius(pages, web4, browserSeed, browserBad[0]!.state.plan[0]!.weightBp),
    };
    out.say();
    for (const line of formatSummary(summary).split('\n')) out.say(line);
    return summary;
  } finally {
    await population?.stop();
    await onebox.close();
  }
}

/** Invocations of each page and API route a new version gets before it takes traffic. */
const WARM_UP_ROUNDS = 20;

/**
 * Exercises each new version on its real routes before it takes traffic, as a pre-traffic
 * hook or provisioned concurrency would: users (and the judge) should not see a cold
 * process's first, slower requests as the release's own latency.
 */
async function warmUp(onebox: RunningOnebox, versions: [string, number][]): Promise<void> {
  const ids = Array.from({ length: 12 }, (_, i) => i + 1);
  for (const [component, version] of versions) {
    const paths =
      component === BACKEND
        ? ['/api/products', ...ids.map((i) => `/api/products/${i}`)]
        : ['/', ...ids.map((i) => `/products/${i}`)];
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      for (const path of paths) {
        const event = toApiGatewayV2Event({
          method: 'GET',
          rawPath: path,
          rawQueryString: '',
          headers: [],
          sourceIp: '127.0.0.1',
          requestId: randomUUID(),
          timeEpoch: Date.now(),
        });
        const r = await onebox.plane.invoke(component, String(version), event);
        if (r.functionError)
          throw new Error(`${component} v${version} failed its warm-up: ${JSON.stringify(r.payload)}`);
      }
    }
  }
}

/**
 * How a deployment's held steps ended: undecided ones say so ('proceeded'), a person's
 * promotion too; every other completed held step passed on its gate.
 */
function stepsOf(
  s: DeploymentRecord['state'],
  events: readonly { type: string }[],
): { stepsPassed: number; stepsUndecided: number } {
  const completed = s.plan.slice(0, s.status === 'succeeded' ? s.plan.length : s.step).filter((p) => p.holdMs > 0);
  const undecided = events.filter((e) => e.type === 'proceeded').length;
  const promoted = events.filter((e) => e.type === 'promoted').length;
  return { stepsPassed: completed.length - undecided - promoted, stepsUndecided: undecided };
}

/** Shows a release's deployments until each has ended; returns how each ended. */
async function follow(
  onebox: RunningOnebox,
  records: readonly DeploymentRecord[],
  release: string,
  out: Narrator,
  timeoutMs = 600_000,
): Promise<DeploymentOutcome[]> {
  const ids = new Set(records.map((r) => r.id));
  const deadline = performance.now() + timeoutMs;
  let views: DeploymentView[] = [];
  for (;;) {
    views = onebox.plane
      .status()
      .components.flatMap((c) => (c.deployment && ids.has(c.deployment.id) ? [c.deployment] : []));
    out.progress(
      views.map((d) => ({ id: d.id, state: `${d.state.status}:${d.state.weightBp}`, line: progressLine(d) })),
    );
    if (views.length === ids.size && views.every((d) => !isActive(d.state.status))) break;
    if (performance.now() > deadline) throw new Error(`release ${release} did not finish in ${timeoutMs / 1000} s`);
    await sleep(200);
  }
  out.settle();
  const metrics = new Map(onebox.plane.status().components.map((c) => [c.name, c.metrics]));
  return views.map((d) => {
    const s = d.state;
    const events = onebox.plane.deployment(d.id).events;
    const firstTraffic = events.find((e) => e.weightBp > 0)?.at ?? s.createdAt;
    const m = metrics.get(s.component)?.find((v) => v.version === s.toVersion);
    return {
      release,
      component: s.component,
      fromVersion: s.fromVersion,
      toVersion: s.toVersion,
      config: s.component === FRONTEND ? RECIPES['prod-one-box'].frontend : RECIPES['prod-one-box'].backend,
      status: s.status,
      reason: s.reason,
      exposure: d.exposure,
      releaseMs: (s.endedAt ?? firstTraffic) - firstTraffic,
      newVersionRequests: m?.requests ?? 0,
      newVersionErrors: m?.errors5xx ?? 0,
      ...stepsOf(s, events),
    };
  });
}
