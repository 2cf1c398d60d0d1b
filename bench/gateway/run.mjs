// npm run bench: onebox's gateway vs a plain node:http + undici proxy vs nginx, each a
// child process doing the same 20% sticky split over the same two upstreams, loaded in
// alternating rounds by one load generator. See bench/README.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { bucketOf } from '../../dist/core/index.js';
import { cpuSnapshot } from './cpu.mjs';
import { loadGenerator } from './load.mjs';
import { summariseProfile } from './profile.mjs';
import { killAll, startNginx, startOnebox, startPlain, startUpstreams } from './proxies.mjs';

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
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const row = (cells) => `| ${cells.join(' | ')} |`;
const pct = (x) => `${(x * 100).toFixed(1)}%`;

const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const has = (cmd, arg) => !spawnSync(cmd, [arg]).error;

/** Installs wrk and nginx-light from Debian when missing (as root, unless --no-install). */
function ensureTools() {
  const missing = [has('wrk', '-v') ? [] : ['wrk'], has('nginx', '-v') ? [] : ['nginx-light']].flat();
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

/** Waits (at most `seconds`) until the machine is nearly idle, so runs overlap less with other work. */
async function waitForQuiet(seconds = 3) {
  for (const until = Date.now() + seconds * 1000; Date.now() < until;) {
    const before = cpuSnapshot([]).machine;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if ((cpuSnapshot([]).machine - before) / 0.5 < 0.2) return;
  }
}

/**
 * One load run after a warm-up. `other` is the CPU (in cores) that neither the proxy, the
 * upstreams nor the load generator used meanwhile: other work on the machine, a warning
 * sign for that run.
 */
async function measure(load, proxy, upstreams) {
  await waitForQuiet();
  if (warmup > 0) await load.run(proxy.url, warmup);
  const before = cpuSnapshot([proxy.pid, upstreams.pid]);
  const r = await load.run(proxy.url, duration);
  const after = cpuSnapshot([proxy.pid, upstreams.pid]);
  const cpu = after.trees[0] - before.trees[0];
  const upstream = after.trees[1] - before.trees[1];
  const other = Math.max(0, (after.machine - before.machine - cpu - upstream - after.self + before.self) / r.seconds);
  const perRequest = (seconds) => (seconds * 1e6) / r.requests;
  return {
    ...r,
    rps: r.requests / r.seconds,
    cpuUs: perRequest(cpu),
    cores: cpu / r.seconds,
    upstreamUs: perRequest(upstream),
    other,
  };
}

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

/** The commit measured, and whether the work tree differed from it. */
function measuredCommit() {
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'not a git checkout';
  return git('status', '--porcelain', '--', 'src') ? `${commit} with uncommitted changes in src/` : commit;
}

async function main() {
  ensureTools();
  const load = await loadGenerator({ dir, cookies, connections, threads });
  const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();

  log('# Gateway benchmark: onebox vs plain undici proxy vs nginx');
  log();
  log(`- date: ${new Date().toISOString()}`);
  log(`- machine: nproc ${nproc}, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`);
  log(`- onebox: ${measuredCommit()}`);
  log(`- node: ${process.version}`);
  log(`- nginx: ${nginxVersion.error ? 'not installed' : nginxVersion.stderr.trim().replace('nginx version: ', '')}`);
  log(
    `- load: ${load.version}, ${threads} thread(s), ${connections} connections, ${USERS} distinct cookies round-robin`,
  );
  log(
    `- rounds: ${rounds} × ${duration} s per proxy (after ${warmup} s warm-up each), proxies alternating and restarted each round`,
  );
  log(`- command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``);
  log();

  const upstreams = await startUpstreams();
  let nginxSkipped = nginxVersion.error !== undefined;
  if (nginxSkipped) log('nginx: skipped (not installed; `apt-get install -y nginx-light`)');
  /** Fresh proxy processes for each round, so rounds also differ in JIT state and placement. */
  const startProxies = async (round) => {
    const at = join(dir, `round-${round}`);
    const onebox = await startOnebox(join(at, 'onebox'), upstreams, WEIGHT_BP);
    const proxies = [
      { name: 'onebox', ...onebox },
      { name: 'plain proxy', ...(await startPlain(upstreams, onebox.seed, WEIGHT_BP)) },
    ];
    if (!nginxSkipped) {
      try {
        proxies.push({ name: 'nginx', ...(await startNginx(at, upstreams, WEIGHT_BP)) });
      } catch (err) {
        nginxSkipped = true;
        log(`nginx: skipped (${err.message.split('\n').join(' ')})`);
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
    const agree = p.name === 'nginx' ? 'n/a (own hash)' : `${c.agree}/${USERS}`;
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
    const { proxies } = r === 0 ? first : await startProxies(r + 1);
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
  const vs = (name) => (med[name] ? `${(ob.cpuUs / med[name].cpuUs).toFixed(2)}× ${name}` : `${name} not measured`);
  log(`- onebox CPU per request: ${vs('plain proxy')}, ${vs('nginx')} (run-to-run noise here is about ±10%)`);
  log(`- onebox throughput: ${(ob.rps / med['plain proxy'].rps).toFixed(2)}× plain proxy`);
  log(`- goal ≤ ${GOAL_US} µs CPU/request: ${ob.cpuUs <= GOAL_US ? 'met' : 'not met'} (${ob.cpuUs.toFixed(1)} µs)`);
  const ratio = ob.cpuUs / med['plain proxy'].cpuUs;
  const ahead = ratio < 0.9 ? 'met' : ratio > 1.1 ? 'not met' : 'not shown (within the noise)';
  log(`- goal ahead of the plain proxy: ${ahead}`);
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
  if (opts.out) {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${lines.join('\n')}\n`);
    console.log(`(written to ${opts.out})`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
