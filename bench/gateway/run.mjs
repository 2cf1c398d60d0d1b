// npm run bench:gateway: onebox's gateway vs node peers (a plain node:http + undici proxy,
// node-http-proxy, fastify + @fastify/reply-from) and native ones (nginx split_clients,
// HAProxy cookie hashing), each a child process doing the same 20% sticky split over the
// same two upstreams, loaded in alternating rounds by one load generator. See bench/README.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { bucketOf } from '../../dist/core/index.js';
import { createRequire } from 'node:module';
import { commandLine, measuredCommit, median, row, writeReport } from '../common.mjs';
import { loadGenerator } from './load.mjs';
import { measureLoad } from './measure.mjs';
import { summariseProfile } from './profile.mjs';
import {
  killAll,
  startHaproxy,
  startNginx,
  startNodePeer,
  startOnebox,
  startPlain,
  startUpstreams,
} from './proxies.mjs';

const require = createRequire(import.meta.url);

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/bench-gateway.md' },
  },
});
const rounds = Number(opts.rounds);
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const connections = Number(opts.connections);
const threads = Number(opts.threads);

const WEIGHT_BP = 2000; // v2 gets 20% of users
const USERS = 1000;
const STICKY_RECHECKS = 300;
const GOAL_US = 30;
/** Goal: onebox's CPU per request at most this many times nginx's. */
const GOAL_NGINX_RATIO = 2.5;
/** Node peers: onebox's goal is to use less CPU per request than each of them. */
const NODE_PEERS = [
  { name: 'plain proxy', script: 'plain-proxy.mjs' },
  { name: 'http-proxy', script: 'http-proxy-peer.mjs' },
  { name: 'fastify', script: 'fastify-peer.mjs' },
];
/** Native peers, from Debian packages; each is skipped (and said so) when it cannot run. */
const NATIVE_PEERS = [
  { name: 'nginx', bin: 'nginx', pkg: 'nginx-light', start: startNginx },
  { name: 'haproxy', bin: 'haproxy', pkg: 'haproxy', start: startHaproxy },
];
/** A run during which other work used more CPU than this (cores) is repeated once. */
const NOISY_CORES = 0.25;

const ids = Array.from({ length: USERS }, (_, i) =>
  createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22),
);
const cookies = ids.map((id) => `onebox-uid=${id}`);

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};
const pct = (x) => `${(x * 100).toFixed(1)}%`;

const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const has = (cmd, arg) => !spawnSync(cmd, [arg]).error;

/** Installs wrk, nginx-light and haproxy from Debian when missing (as root, unless --no-install). */
function ensureTools() {
  const tools = [{ bin: 'wrk', pkg: 'wrk' }, ...NATIVE_PEERS];
  const missing = tools.filter((t) => !has(t.bin, '-v')).map((t) => t.pkg);
  if (!missing.length || opts['no-install'] || process.getuid?.() !== 0 || !has('apt-get', '-v')) return;
  console.log(`installing ${missing.join(' ')} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'ignore', env });
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** One request per user, then again for some: v2 share, switches, agreement with bucketOf. */
async function checkSplit(url, seed) {
  const pool = new Pool(url, { connections: 16 });
  const versionOf = async (id) => {
    const res = await pool.request({ path: '/', method: 'GET', headers: { cookie: `onebox-uid=${id}` } });
    await res.body.dump();
    return res.statusCode === 200 ? res.headers['x-upstream'] : `status ${res.statusCode}`;
  };
  const first = await mapLimit(ids, 16, versionOf);
  const again = await mapLimit(ids.slice(0, STICKY_RECHECKS), 16, versionOf);
  await pool.close();
  return {
    share: first.filter((v) => v === 'v2').length / USERS,
    bad: first.filter((v) => v !== 'v1' && v !== 'v2').length,
    switched: again.filter((v, i) => v !== first[i]).length,
    agree: first.filter((v, i) => v === (bucketOf(seed, ids[i]) < WEIGHT_BP ? 'v2' : 'v1')).length,
  };
}

const measure = (load, proxy, upstreams) => measureLoad(load, proxy, upstreams, { warmup, duration });

const fmtRun = (m) => [
  Math.round(m.rps).toString(),
  m.p50Ms.toFixed(2),
  m.p99Ms.toFixed(2),
  m.cpuUs.toFixed(1),
  m.cores.toFixed(2),
  m.upstreamUs.toFixed(1),
  m.other.toFixed(2),
  String(m.errors),
];

async function profileRun(load, upstreams, name, start) {
  const profDir = join(dir, `prof-${name.replace(/\W/g, '-')}`);
  const proxy = await start(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  const m = await measure(load, proxy, upstreams);
  await proxy.stop();
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  log(
    `### ${name} under --cpu-prof (${Math.round(m.rps)} req/s, ${m.cpuUs.toFixed(1)} µs CPU/request with the profiler on)`,
  );
  log();
  log('```text');
  for (const line of file ? summariseProfile(join(profDir, file)) : ['no profile written']) log(line);
  log('```');
  log();
}

const pkgVersion = (name) => require(`${name}/package.json`).version;

async function main() {
  ensureTools();
  const load = await loadGenerator({ dir, cookies, connections, threads });
  const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  const haproxyVersion = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();

  log('# Gateway benchmark: onebox vs node and native proxies');
  log();
  log(`- date: ${new Date().toISOString()}`);
  log(`- machine: nproc ${nproc}, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`);
  log(`- onebox: ${measuredCommit()}`);
  log(`- node: ${process.version}`);
  log(`- nginx: ${nginxVersion.error ? 'not installed' : nginxVersion.stderr.trim().replace('nginx version: ', '')}`);
  log(
    `- haproxy: ${haproxyVersion.error ? 'not installed' : haproxyVersion.stdout.split('\n')[0].replace('HAProxy version ', '')}`,
  );
  log(
    `- node peers: ${NODE_PEERS.map((p) => p.name).join(', ')} (http-proxy ${pkgVersion('http-proxy')}, fastify ${pkgVersion('fastify')}, @fastify/reply-from ${pkgVersion('@fastify/reply-from')})`,
  );
  log(
    `- load: ${load.version}, ${threads} thread(s), ${connections} connections, ${USERS} distinct cookies round-robin`,
  );
  log(
    `- rounds: ${rounds} × ${duration} s per proxy (after ${warmup} s warm-up each), proxies alternating and restarted each round`,
  );
  log(`- command: \`${commandLine('bench:gateway')}\``);
  log();

  const upstreams = await startUpstreams();
  const skipped = new Set();
  for (const peer of NATIVE_PEERS) {
    if (!has(peer.bin, '-v')) {
      skipped.add(peer.name);
      log(`${peer.name}: skipped (not installed; \`apt-get install -y ${peer.pkg}\`)`);
    }
  }
  /** Fresh proxy processes for each round, so rounds also differ in JIT state and placement. */
  const startProxies = async (round) => {
    const at = join(dir, `round-${round}`);
    const onebox = await startOnebox(join(at, 'onebox'), upstreams, WEIGHT_BP);
    const proxies = [{ name: 'onebox', ...onebox }];
    for (const peer of NODE_PEERS) {
      proxies.push({
        name: peer.name,
        ...(await startNodePeer(peer.name, peer.script, upstreams, onebox.seed, WEIGHT_BP)),
      });
    }
    for (const peer of NATIVE_PEERS) {
      if (skipped.has(peer.name)) continue;
      try {
        proxies.push({ name: peer.name, ...(await peer.start(at, upstreams, WEIGHT_BP)) });
      } catch (err) {
        skipped.add(peer.name);
        log(`${peer.name}: skipped (${err.message.split('\n').join(' ')})`);
      }
    }
    return { seed: onebox.seed, proxies };
  };
  const first = await startProxies(1);
  const seed = first.seed;

  const expected = ids.filter((id) => bucketOf(seed, id) < WEIGHT_BP).length / USERS;
  log(`## Split check (before the load; seed "${seed}", ${WEIGHT_BP / 100}% target)`);
  log();
  log(
    `${USERS} users, one request each, then ${STICKY_RECHECKS} of them again. bucketOf puts ${pct(expected)} of them on v2.`,
  );
  log();
  log(row(['proxy', 'users on v2', 'switched on re-request', 'same choice as bucketOf', 'bad responses']));
  log(row(['---', '---:', '---:', '---:', '---:']));
  for (const p of first.proxies) {
    const c = await checkSplit(p.url, seed);
    const native = NATIVE_PEERS.some((n) => n.name === p.name);
    const agree = native ? 'n/a (own hash)' : `${c.agree}/${USERS}`;
    log(row([p.name, pct(c.share), `${c.switched}/${STICKY_RECHECKS}`, agree, String(c.bad)]));
  }
  log();

  log(`## Load rounds`);
  log();
  const header = ['req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'proxy cores', 'upstream µs/req', 'other cores', 'errors'];
  log(row(['round', 'proxy', ...header]));
  log(row(['---', '---', ...header.map(() => '---:')]));
  const runs = Object.fromEntries(first.proxies.map((p) => [p.name, []]));
  let retries = rounds; // keeps a noisy machine from stretching the run much
  for (let r = 0; r < rounds; r++) {
    const started = r === 0 ? first : await startProxies(r + 1);
    // A native peer that failed to start in a later round is left out of all rounds' figures.
    const proxies = started.proxies.filter((p) => runs[p.name]);
    for (let i = 0; i < proxies.length; i++) {
      const p = proxies[(i + r) % proxies.length];
      let m = await measure(load, p, upstreams);
      let round = String(r + 1);
      if (m.other > NOISY_CORES && retries > 0) {
        retries--;
        const again = await measure(load, p, upstreams);
        if (again.other < m.other) m = again;
        round += '*';
      }
      runs[p.name].push(m);
      log(row([round, p.name, ...fmtRun(m)]));
    }
    for (const p of proxies) await p.stop();
  }
  log();
  if (retries < rounds) {
    log(`\\* repeated once: other work used over ${NOISY_CORES} cores; the quieter of the two runs is kept.`);
    log();
  }

  log(`## Medians of ${rounds} rounds`);
  log();
  log(row(['proxy', ...header]));
  log(row(['---', ...header.map(() => '---:')]));
  const med = {};
  for (const [name, list] of Object.entries(runs)) {
    const keys = ['rps', 'p50Ms', 'p99Ms', 'cpuUs', 'cores', 'upstreamUs', 'other', 'errors'];
    med[name] = Object.fromEntries(keys.map((k) => [k, median(list.map((m) => m[k]))]));
    log(row([name, ...fmtRun(med[name])]));
  }
  log();
  const ob = med.onebox;
  const others = Object.keys(med).filter((n) => n !== 'onebox');
  /**
   * The machine's speed can drift during a run (here every proxy, nginx included, and the
   * upstreams have been seen to need up to 1.5× the CPU per request a few minutes later),
   * which moves each proxy's median by when its runs fell. A ratio within one round pairs
   * runs a minute apart at most; the goals are judged on the median of those.
   */
  const cpuRatio = (name) =>
    runs[name].length === runs.onebox.length
      ? median(runs.onebox.map((m, r) => m.cpuUs / runs[name][r].cpuUs))
      : ob.cpuUs / med[name].cpuUs;
  log(
    `- onebox CPU per request, ratio of the medians: ${others.map((n) => `${(ob.cpuUs / med[n].cpuUs).toFixed(2)}× ${n}`).join(', ')} (run-to-run noise here is about ±10%)`,
  );
  log(
    `- onebox CPU per request, median of the ratios within each round: ${others.map((n) => `${cpuRatio(n).toFixed(2)}× ${n}`).join(', ')}; the goals below use these`,
  );
  log(`- onebox throughput: ${others.map((n) => `${(ob.rps / med[n].rps).toFixed(2)}× ${n}`).join(', ')}`);
  log(`- goal ≤ ${GOAL_US} µs CPU/request: ${ob.cpuUs <= GOAL_US ? 'met' : 'not met'} (${ob.cpuUs.toFixed(1)} µs)`);
  // Called met or not met only outside the ±10% run-to-run noise.
  const verdict = (ratio) => (ratio < 0.9 ? 'met' : ratio > 1.1 ? 'not met' : 'not shown (within the noise)');
  for (const peer of NODE_PEERS) {
    if (med[peer.name])
      log(
        `- goal less CPU per request than ${peer.name}: ${verdict(cpuRatio(peer.name))} (${cpuRatio(peer.name).toFixed(2)}×)`,
      );
  }
  if (med.nginx) {
    const r = cpuRatio('nginx');
    log(
      `- goal CPU per request ≤ ${GOAL_NGINX_RATIO}× nginx's: ${r <= GOAL_NGINX_RATIO ? 'met' : 'not met'} (${r.toFixed(2)}×)`,
    );
  } else log(`- goal CPU per request ≤ ${GOAL_NGINX_RATIO}× nginx's: not measured (nginx skipped)`);
  const floor = median([...runs.onebox, ...runs['plain proxy']].map((m) => m.upstreamUs));
  log(`- for scale: the node:http upstreams (fixed body, no proxying) used ${floor.toFixed(1)} µs CPU/request`);
  const busy = median(Object.values(runs).flatMap((list) => list.map((m) => m.other)));
  if (busy > NOISY_CORES) log(`- warning: other work used ${busy.toFixed(2)} cores in a typical run; rerun when idle`);
  log();

  if (opts.profile) {
    log('## CPU profiles (node --cpu-prof, same load, one run each)');
    log();
    await profileRun(load, upstreams, 'onebox', (args) =>
      startOnebox(join(dir, 'onebox-prof'), upstreams, WEIGHT_BP, args),
    );
    await profileRun(load, upstreams, 'plain proxy', (args) => startPlain(upstreams, seed, WEIGHT_BP, args));
  }

  await upstreams.stop();
  writeReport(opts.out, lines);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
