// npm run bench:controller: what one controller tick costs with 1,000 components deploying
// at once. The whole local engine runs in this process (startOnebox: SQLite state file in
// a temporary folder, gateway and admin API listening on 127.0.0.1), with a fake clock and
// manual ticks. Between ticks both versions of every component get metrics recorded, as
// the gateway would (latency, status, users), so every tick evaluates real alarms and the
// judge over real histograms and stores every deployment's exposure. Baseline: the same
// process's tick before the release, when no deployment is active. See bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../dist/config/load.js';
import { startOnebox } from '../../dist/engine/onebox.js';
import { resolveRelease } from '../../dist/engine/release-specs.js';
import { Controller } from '../../dist/controller/controller.js';
import { MetricsRecorder } from '../../dist/metrics/recorder.js';
import { RecorderPorts } from '../../dist/metrics/windows.js';
import { openDatabase } from '../../dist/store/database.js';
import { buildSnapshot, rebuildComponent } from '../../dist/gateway/routing-snapshot.js';
import { Agent } from 'undici';
import { DeploymentStore } from '../../dist/store/deployment-store.js';
import { StateStore } from '../../dist/store/state-store.js';
import { median, positiveInt, row, measuredCommit, commandLine, writeReport } from '../common.mjs';

const { values: opts } = parseArgs({
  options: {
    components: { type: 'string', default: '1000' },
    ticks: { type: 'string', default: '30' },
    'requests-per-tick': { type: 'string', default: '40' },
    out: { type: 'string', default: 'docs/bench-controller.md' },
  },
});
const componentCount = positiveInt('components', opts.components);
const ticks = positiveInt('ticks', opts.ticks);
const requestsPerTick = positiveInt('requests-per-tick', opts['requests-per-tick']);
/** The fake time between ticks: the controller's default interval. */
const TICK_MS = 1000;
/** Long enough that no deployment finishes during the run: every tick evaluates all of them. */
const DEPLOYMENT_CONFIG = 'linear:10%:10m';

class FakeClock {
  t = Date.UTC(2026, 0, 1);
  now() {
    return this.t;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-controller-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);

/** CPU (user + system) and wall time of fn, in ms. */
function timed(fn) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const d = process.cpuUsage(cpu);
  return { cpuMs: (d.user + d.system) / 1000, wallMs: wall };
}

const names = Array.from({ length: componentCount }, (_, i) => `c${i}`);
const configAt = (stateDir) =>
  parseConfig({
    gateway: { listen: '127.0.0.1:0' },
    admin: { listen: '127.0.0.1:0', token: 'bench-controller-token-0123456789' },
    state: { dir: stateDir },
    components: names.map((name) => ({
      name,
      route: `/${name}`,
      deployment: { config: DEPLOYMENT_CONFIG },
    })),
  });
const clock = new FakeClock();
// Never contacted: no traffic goes through the gateway here, metrics are recorded directly.
const upstream = (v) => `http://127.0.0.1:9/v${v}`;

/**
 * The state to measure, written with the product's own stores and controller but without a
 * gateway, the quickest way to set up 1,000 components (see bench/README.md). The engine
 * started afterwards resumes every deployment.
 */
function prepareState(config, withReleases) {
  const db = openDatabase(join(config.state.dir, 'state.db'));
  const state = new StateStore(db, clock);
  state.ensureComponents(names);
  for (const name of names) {
    state.publish(name, upstream(1));
    state.publish(name, upstream(2));
    state.setAlias(name, { version: 1, additional: undefined, mode: 'sticky', seed: `${name}@1` });
  }
  const recorder = new RecorderPorts(new MetricsRecorder());
  const controller = new Controller({
    deployments: new DeploymentStore(db, state),
    versions: state,
    metrics: recorder,
    exposure: recorder,
    clock,
    onAliasChange: () => {},
    runHook: () => Promise.reject(new Error('no hooks configured')),
  });
  // One release per component: a single release of all of them costs more than linear time.
  if (withReleases) {
    for (const component of names)
      controller.release(resolveRelease({ components: [{ component, version: 2 }] }, config), 'bench');
  }
  db.close();
}

let userSeq = 0;
/** Requests recorded so far per version's metrics: every 200th is a 5xx, on both versions alike. */
const served = new WeakMap();
/**
 * What the gateway records for `requestsPerTick` requests per component, 20% on v2. Both
 * versions are equally healthy (0.5% 5xx, the same latencies), so no gate fails and every
 * deployment stays in progress: each tick evaluates all of them.
 */
function recordTraffic(onebox) {
  for (const name of names) {
    const stable = onebox.metrics.forVersion(name, 1);
    const fresh = onebox.metrics.forVersion(name, 2);
    for (let i = 0; i < requestsPerTick; i++) {
      const user = `user-${userSeq++ % 50_000}`;
      const m = i % 5 === 0 ? fresh : stable;
      const n = (served.get(m) ?? 0) + 1;
      served.set(m, n);
      // The same sequence of latencies (2–22 ms) on both versions.
      m.record(n % 200 === 0 ? 500 : 200, 2000 + ((n * 7919) % 20_000), 'response', user);
    }
  }
}

const memory = () => ({ rss: process.memoryUsage.rss(), heap: process.memoryUsage().heapUsed });

/**
 * A whole engine (gateway, admin API, controller) over a prepared state; `count` times one
 * fake interval of recorded traffic, then a tick. Returns each tick's cost and memory.
 */
async function measureEngine(withReleases, count) {
  const config = configAt(join(dir, withReleases ? 'deploying' : 'idle'));
  const setup = timed(() => prepareState(config, withReleases));
  const onebox = await startOnebox(config, {
    clock,
    manualTicks: true,
    handlerOutput: 'ignore',
    feedIntervalMs: 3_600_000,
  });
  const runs = [];
  const before = memory();
  for (let i = 0; i < count; i++) {
    recordTraffic(onebox);
    clock.t += TICK_MS;
    runs.push({ ...timed(() => onebox.controller.tick()), ...memory() });
  }
  const after = memory();
  const deployments = onebox.plane.status().components.map((c) => c.deployment);
  const active = deployments.filter((d) => d?.state.status === 'in-progress').length;
  // Why the first one that is no longer in progress stopped, if any (a gate should not fail here).
  const ended = deployments.find((d) => d && d.state.status !== 'in-progress');
  const endedWhy = ended && onebox.plane.deployment(ended.id).events.at(-1)?.sentence;
  const recordOnly = timed(() => recordTraffic(onebox));
  await onebox.close();
  return { setup, runs, before, after, active, endedWhy, recordOnly };
}

/**
 * What one alias change costs the gateway's routing: the engine (src/engine/onebox.ts) rebuilds
 * only the changed component's entry (rebuildComponent, its alias and versions read from
 * SQLite); before, it rebuilt every component's (buildSnapshot, all aliases and versions).
 * Both are measured here over the busy run's state file, as the engine calls them.
 */
async function measureRebuild(stateDir, repeats) {
  const db = openDatabase(join(stateDir, 'state.db'));
  const state = new StateStore(db, clock);
  const config = configAt(stateDir);
  const agent = new Agent(); // never connected: a snapshot only holds each origin's dispatcher
  const sources = {
    version: (c, n) => state.findVersion(c, n),
    dispatcherFor: () => agent,
    metrics: new MetricsRecorder(),
  };
  const full = () => buildSnapshot({ ...sources, components: config.components, aliases: state.aliasRoutings() });
  let snapshot = full();
  const fullRuns = [];
  for (let i = 0; i < repeats; i++) fullRuns.push(timed(() => (snapshot = full())));
  const oneRuns = [];
  for (let i = 0; i < repeats * 10; i++) {
    const component = config.components[(i * 37) % config.components.length];
    oneRuns.push(
      timed(() => (snapshot = rebuildComponent(snapshot, sources, component, state.getAlias(component.name)))),
    );
  }
  db.close();
  await agent.close();
  return { full: fullRuns, one: oneRuns };
}

// Baseline: the same engine and traffic with nothing deploying.
const idle = await measureEngine(false, Math.min(ticks, 10));
const busy = await measureEngine(true, ticks);
const rebuild = await measureRebuild(join(dir, 'deploying'), 20);
const { runs, recordOnly } = busy;

log('# Controller benchmark: one tick with 1,000 components deploying');
log();
log(`- date: ${new Date().toISOString()}`);
log(`- machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`);
log(`- onebox: ${measuredCommit()}`);
log(`- node: ${process.version}`);
log(
  `- ${componentCount} components, each with v1 live and a \`${DEPLOYMENT_CONFIG}\` deployment to v2 with alarms and the judge on; SQLite state file in a temporary folder; fake clock, ${TICK_MS} ms per tick`,
);
log(
  `- between ticks ${requestsPerTick} requests per component recorded in the per-version metrics (20% on v2, 0.5% 5xx on both versions, 50,000 users); the recording is not counted in the tick`,
);
log(`- command: \`${commandLine('bench:controller')}\``);
log();
log(
  `Setup (not measured): ${componentCount} components published twice, aliased and released (one release each) in ${(busy.setup.wallMs / 1000).toFixed(1)} s; ${busy.active} deployments still in progress after the last tick.`,
);
log();
log(row(['tick', 'median CPU ms', 'median wall ms', 'max wall ms', 'CPU µs per deployment']));
log(row(['---', '---:', '---:', '---:', '---:']));
const baseline = idle.runs;
const base = median(baseline.map((r) => r.cpuMs));
const cpu = median(runs.map((r) => r.cpuMs));
log(
  row([
    `no deployment active (${baseline.length} ticks)`,
    base.toFixed(2),
    median(baseline.map((r) => r.wallMs)).toFixed(2),
    Math.max(...baseline.map((r) => r.wallMs)).toFixed(2),
    '',
  ]),
);
log(
  row([
    `${componentCount} deployments (${runs.length} ticks)`,
    cpu.toFixed(2),
    median(runs.map((r) => r.wallMs)).toFixed(2),
    Math.max(...runs.map((r) => r.wallMs)).toFixed(2),
    (((cpu - base) * 1000) / componentCount).toFixed(1),
  ]),
);
log();
log(
  `- memory: RSS ${mb(busy.before.rss)} MB when the engine had resumed the deployments, ${mb(busy.after.rss)} MB after ${ticks} ticks (the idle engine: ${mb(idle.after.rss)} MB); JS heap ${mb(busy.before.heap)} → ${mb(busy.after.heap)} MB`,
);
log(
  `- JS heap growth between consecutive ticks (median; garbage not yet collected included): ${(median(runs.slice(1).map((r, i) => r.heap - runs[i].heap)) / 1024).toFixed(0)} KB`,
);
log(
  `- for scale: recording one interval of metrics (${(componentCount * requestsPerTick).toLocaleString('en-US')} requests) took ${recordOnly.cpuMs.toFixed(1)} ms CPU`,
);
if (busy.active < componentCount)
  log(
    `- warning: only ${busy.active} of ${componentCount} deployments were still in progress at the end; some ticks measured deployments ending (e.g. "${busy.endedWhy}")`,
  );
const rebuildFull = median(rebuild.full.map((r) => r.wallMs));
const rebuildOne = median(rebuild.one.map((r) => r.wallMs));
log(
  `- routing after one alias change (wall, median): ${rebuildOne.toFixed(3)} ms rebuilding only that component's entry (${rebuild.one.length} changes), against ${rebuildFull.toFixed(2)} ms rebuilding all ${componentCount} (${rebuild.full.length} builds; what every alias change cost before), ${(rebuildFull / rebuildOne).toFixed(0)}× less`,
);
log(
  `- result: one tick with ${componentCount} deployments: ${cpu.toFixed(1)} ms CPU (median), ${(((cpu - base) * 1000) / componentCount).toFixed(0)} µs per deployment; RSS ${mb(busy.after.rss)} MB`,
);
log(`- share of the ${TICK_MS} ms interval one tick keeps a core busy: ${((cpu / TICK_MS) * 100).toFixed(1)}%`);

writeReport(opts.out, lines);
