// npm run bench:shadow: what shadow traffic costs the primary. One onebox component with a
// live v1 (node:http, small JSON), loaded by wrk with cookies, without a shadow, with a
// slow shadow mirroring every GET (noise cancellation off, then on), and with a shadow
// that never answers; then onebox's RSS over 100,000 requests with that hung shadow.
// Reuses the gateway benchmark's helpers (process start, load generator, /proc CPU).
// See bench/README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { cpuSnapshot } from '../gateway/cpu.mjs';
import { loadGenerator } from '../gateway/load.mjs';
import { summariseProfile } from '../gateway/profile.mjs';
import { killAll, startOnebox } from '../gateway/proxies.mjs';
import { commandLine, writeReport } from '../common.mjs';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '1' },
    'process-warmup': { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    'slow-ms': { type: 'string', default: '200' },
    'slow-max-in-flight': { type: 'string', default: '10000' },
    'never-timeout-ms': { type: 'string', default: '60000' },
    'rss-requests': { type: 'string', default: '100000' },
    scenarios: { type: 'string', default: 'none,slow,slow+noise,never' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/bench-shadow.md' },
  },
});
const rounds = Number(opts.rounds);
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const processWarmup = Number(opts['process-warmup']);
const connections = Number(opts.connections);
const threads = Number(opts.threads);
const slowMs = Number(opts['slow-ms']);
const slowMaxInFlight = Number(opts['slow-max-in-flight']);
const neverTimeoutMs = Number(opts['never-timeout-ms']);
const rssRequests = Number(opts['rss-requests']);
for (const [name, v] of Object.entries({
  rounds,
  duration,
  connections,
  threads,
  slowMaxInFlight,
  neverTimeoutMs,
})) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive whole number`);
    process.exit(2);
  }
}
for (const [name, v] of Object.entries({ warmup, 'process-warmup': processWarmup, 'rss-requests': rssRequests })) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} must be a whole number (wrk takes whole seconds; 0: none)`);
    process.exit(2);
  }
}

const here = fileURLToPath(new URL('.', import.meta.url));
const USERS = 1000;
/** A run during which other work used more CPU than this (cores) is flagged. */
const NOISY_CORES = 0.25;
/** The hung shadow may cost the primary's p99 at most this much. */
const P99_BOUND = 1.1;

// The same made-up users as the gateway benchmark: 1000 cookies, round-robin.
const cookies = Array.from(
  { length: USERS },
  (_, i) => `onebox-uid=${createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22)}`,
);

/**
 * The scenarios; `version` is the shadow version (published in every onebox below:
 * v2 and v3 at the slow server, v4 at the never-answering one).
 */
const SCENARIOS = [
  { key: 'none', name: 'no shadow' },
  {
    key: 'slow',
    server: 'slow',
    name: `slow shadow (${slowMs} ms), noise off`,
    policy: { version: 2, share: 1, maxInFlight: slowMaxInFlight, timeoutMs: 5000, noise: false },
  },
  {
    key: 'slow+noise',
    server: 'slow',
    name: `slow shadow (${slowMs} ms), noise on`,
    policy: { version: 3, share: 1, maxInFlight: slowMaxInFlight, timeoutMs: 5000, noise: true },
  },
  {
    key: 'never',
    server: 'never',
    name: 'never-answering shadow',
    policy: { version: 4, share: 1, timeoutMs: neverTimeoutMs }, // maxInFlight, noise: defaults (64, on)
  },
];

/** The scenarios measured (--scenarios); the no-shadow run is always one, as the base of the ratios. */
const wanted = new Set(['none', ...opts.scenarios.split(',').map((k) => k.trim())]);
for (const key of wanted) {
  if (!SCENARIOS.some((s) => s.key === key)) {
    console.error(`--scenarios: unknown "${key}" (known: ${SCENARIOS.map((s) => s.key).join(', ')})`);
    process.exit(2);
  }
}
const ACTIVE = SCENARIOS.filter((s) => wanted.has(s.key));

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
const int = (n) => Math.round(n).toLocaleString('en-US');
const mib = (kb) => `${(kb / 1024).toFixed(1)} MiB`;

const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-shadow-'));
let upstreamChild;
process.on('exit', () => {
  killAll();
  upstreamChild?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** upstreams.mjs as a child process (its own CPU in /proc); resolves with the three origins. */
function startUpstreams() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'upstreams.mjs'), String(slowMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    upstreamChild = child;
    let out = '';
    child.once('exit', (code) => reject(new Error(`upstreams exited (${code})`)));
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const ports = JSON.parse(out.split('\n')[0]);
      const origin = (port) => `http://127.0.0.1:${port}`;
      resolve({ pid: child.pid, live: origin(ports.live), slow: origin(ports.slow), never: origin(ports.never) });
    });
  });
}

/** Connections each upstream accepted, has open, and had open at most since the last call. */
async function upstreamStats(upstreams) {
  const res = await request(`${upstreams.live}/__stats`);
  return res.body.json();
}

async function admin(box, method, path, body) {
  const res = await request(`${box.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${box.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.body.json();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/**
 * A fresh `onebox serve` (the gateway benchmark's startOnebox publishes v1 and v2 and sets
 * the alias; here it goes back to v1 alone), then v3 and v4 published for the shadows.
 */
async function startBox(at, upstreams, nodeArgs = []) {
  const proc = await startOnebox(at, { v1: upstreams.live, v2: upstreams.slow }, 0, nodeArgs);
  const token = /token: "([0-9a-f]+)"/.exec(readFileSync(join(at, 'onebox.yaml'), 'utf8'))[1];
  const box = { ...proc, token, shadow: undefined };
  await admin(box, 'PUT', '/v1/components/web/alias', { version: 1 });
  await admin(box, 'POST', '/v1/components/web/versions', { url: upstreams.slow });
  await admin(box, 'POST', '/v1/components/web/versions', { url: upstreams.never });
  return box;
}

async function setShadow(box, policy) {
  if (box.shadow) await admin(box, 'DELETE', '/v1/components/web/shadow');
  box.shadow = undefined;
  if (!policy) return;
  await admin(box, 'POST', '/v1/components/web/shadow', policy);
  box.shadow = policy;
}

async function report(box) {
  if (!box.shadow) return undefined;
  return (await admin(box, 'GET', `/v1/components/web/shadow/report?version=${box.shadow.version}`)).report;
}

const COUNTERS = [
  'mirrored',
  'compared',
  'droppedInFlight',
  'shadowTimeouts',
  'shadowErrors',
  'skippedBodyCap',
  'primaryIncomplete',
];
const counterDiff = (a, b) =>
  Object.fromEntries(COUNTERS.map((k) => [k, (b?.counters[k] ?? 0) - (a?.counters[k] ?? 0)]));

/** VmRSS and VmHWM (peak) of a process, in kB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** Waits (at most `seconds`) until the machine is nearly idle. */
async function waitForQuiet(seconds = 3) {
  for (const until = Date.now() + seconds * 1000; Date.now() < until;) {
    const before = cpuSnapshot([]).machine;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if ((cpuSnapshot([]).machine - before) / 0.5 < 0.2) return;
  }
}

/**
 * One load run after a warm-up, with CPU per request, the report counters of the measured
 * window, and the connections the shadow's server (`server`: slow or never) accepted from
 * the start of the warm-up and had open at most.
 */
async function measure(load, box, upstreams, server, extraWarmup = 0) {
  await waitForQuiet();
  const s0 = await upstreamStats(upstreams);
  if (warmup + extraWarmup > 0) await load.run(box.url, warmup + extraWarmup);
  const r0 = await report(box);
  const before = cpuSnapshot([box.pid, upstreams.pid]);
  const r = await load.run(box.url, duration);
  const after = cpuSnapshot([box.pid, upstreams.pid]);
  const s1 = await upstreamStats(upstreams);
  const r1 = await report(box);
  const cpu = after.trees[0] - before.trees[0];
  const upstream = after.trees[1] - before.trees[1];
  const other = Math.max(0, (after.machine - before.machine - cpu - upstream - after.self + before.self) / r.seconds);
  return {
    ...r,
    rps: r.requests / r.seconds,
    cpuUs: (cpu * 1e6) / r.requests,
    cores: cpu / r.seconds,
    upstreamUs: (upstream * 1e6) / r.requests,
    other,
    counters: counterDiff(r0, r1),
    report: r1,
    conns: server && { opened: s1[server].accepted - s0[server].accepted, peak: s1[server].peak },
  };
}

const HEADER = ['req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'proxy cores', 'upstream µs/req', 'other cores', 'errors'];
const fmtRun = (m) => [
  int(m.rps),
  m.p50Ms.toFixed(2),
  m.p99Ms.toFixed(2),
  m.cpuUs.toFixed(1),
  m.cores.toFixed(2),
  m.upstreamUs.toFixed(1),
  m.other.toFixed(2),
  String(m.errors),
];
const fmtCounters = (m, s) =>
  s.policy
    ? [
        int(m.counters.mirrored),
        int(m.counters.compared),
        int(m.counters.droppedInFlight),
        int(m.counters.shadowTimeouts + m.counters.shadowErrors),
        `${int(m.conns.opened)} / ${int(m.conns.peak)}`,
      ]
    : ['–', '–', '–', '–', '–'];

/** The commit measured, and whether src/ differed from it. */
function measuredCommit() {
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'not a git checkout';
  return git('status', '--porcelain', '--', 'src') ? `${commit} with uncommitted changes in src/` : commit;
}

/** Fields the report flags (significant) and those it puts down to noise, for one line. */
function findings(rep) {
  const ep = rep?.endpoints[0];
  if (!ep) return 'no comparison';
  const flagged = ep.fields.map((f) => `${f.path} (${int(f.differed)})`).join(', ') || 'none';
  const noise = ep.noiseOnly.join(', ') || 'none';
  return `${ep.endpoint}: ${int(ep.compared)} compared; flagged ${flagged}; noise only: ${noise}; shadow p50 ${ep.latency.shadow.p50Ms} ms`;
}

/**
 * A fresh onebox, the shadow policy (or none), then load in chunks of 1–2 s until
 * `rssRequests` requests have been answered, reading VmRSS after each chunk.
 */
async function rssRun(load, upstreams, label, policy) {
  const box = await startBox(join(dir, `rss-${label}`), upstreams);
  await setShadow(box, policy);
  await waitForQuiet();
  const samples = [{ requests: 0, ...memory(box.pid) }];
  let total = 0;
  let rate = 0;
  while (total < rssRequests) {
    const left = rssRequests - total;
    const seconds = rate ? Math.max(1, Math.min(2, Math.ceil(left / rate))) : 1;
    const r = await load.run(box.url, seconds);
    total += r.requests;
    rate = r.requests / r.seconds;
    samples.push({ requests: total, ...memory(box.pid) });
  }
  const rep = await report(box);
  await box.stop();
  return { samples, counters: rep?.counters };
}

/** Section 4: RSS of a fresh onebox over `rssRequests` requests, without and with the hung shadow. */
async function memoryRuns(load, upstreams) {
  log(`## Memory: onebox RSS over ${int(rssRequests)} requests`);
  log();
  log(
    `A fresh onebox each, the same load in chunks of 1–2 s until ${int(rssRequests)} requests are answered; ` +
      'VmRSS from /proc/<pid>/status after each chunk (VmHWM: the peak).',
  );
  log();
  const never = SCENARIOS.find((s) => s.key === 'never');
  const rss = [
    { name: 'no shadow', ...(await rssRun(load, upstreams, 'none', undefined)) },
    { name: never.name, ...(await rssRun(load, upstreams, 'never', never.policy)) },
  ];
  log(
    row(['onebox', 'requests', 'VmRSS before', 'VmRSS after', 'growth', 'VmHWM after', 'VmRSS after each chunk (MiB)']),
  );
  log(row(['---', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const r of rss) {
    const first = r.samples[0];
    const last = r.samples.at(-1);
    const trail = r.samples
      .slice(1)
      .map((x) => (x.rssKb / 1024).toFixed(0))
      .join(' ');
    log(
      row([
        r.name,
        int(last.requests),
        mib(first.rssKb),
        mib(last.rssKb),
        mib(last.rssKb - first.rssKb),
        mib(last.hwmKb),
        trail,
      ]),
    );
  }
  log();
  const c = rss[1].counters;
  log(
    `Report counters after the never-answering run: ${COUNTERS.map((k) => `${k} ${int(c[k])}`).join(', ')} ` +
      `(the ${int(c.mirrored - c.droppedInFlight)} copies not dropped wait for their ${neverTimeoutMs / 1000} s timeout).`,
  );
  log();
}

async function main() {
  const load = await loadGenerator({ dir, cookies, connections, threads });
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const started = Date.now();

  log('# Shadow traffic benchmark: what a shadow costs the primary');
  log();
  log(`- date: ${new Date().toISOString()}`);
  log(`- machine: nproc ${nproc}, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`);
  log(`- onebox: ${measuredCommit()}`);
  log(`- node: ${process.version}`);
  log(
    `- load: ${load.version}, ${threads} thread(s), ${connections} connections, GET /, ${USERS} distinct cookies round-robin`,
  );
  log(
    `- rounds: ${rounds} × ${duration} s per scenario (after ${warmup} s warm-up each, ${warmup + processWarmup} s for ` +
      'the first run of a process); each round starts one onebox ' +
      'for the no-shadow and never-answering runs (paired, order alternating) and one for each slow scenario',
  );
  log(`- command: \`${commandLine('bench:shadow')}\``);
  log();
  log('Shadow policies (POST /v1/components/web/shadow):');
  log();
  for (const s of ACTIVE) if (s.policy) log(`- ${s.name}: \`${JSON.stringify(s.policy)}\``);
  log();

  const upstreams = await startUpstreams();

  log('## Load rounds');
  log();
  const counterHeader = [
    'mirrored',
    'compared',
    'dropped (in flight)',
    'shadow timeouts+errors',
    'shadow conns opened / peak open',
  ];
  log(row(['round', 'scenario', ...HEADER, ...counterHeader]));
  log(row(['---', '---', ...HEADER.map(() => '---:'), ...counterHeader.map(() => '---:')]));
  const runs = Object.fromEntries(ACTIVE.map((s) => [s.key, []]));
  const lastReport = {};
  for (let r = 0; r < rounds; r++) {
    // Onebox processes of this round: the no-shadow and never-answering runs share one (a
    // paired comparison, in alternating order; the hung shadow leaves only its 64 copies
    // behind), each slow scenario gets its own, since a slow shadow leaves hundreds of pooled
    // connections, pending timers and garbage behind that would be charged to the next run.
    const groups = [['none', 'never'], ['slow'], ['slow+noise']]
      .map((keys) => keys.filter((k) => wanted.has(k)))
      .filter((keys) => keys.length);
    for (let g = 0; g < groups.length; g++) {
      const keys = groups[(g + r) % groups.length];
      if (r % 2) keys.reverse();
      const box = await startBox(join(dir, `round-${r + 1}-${g + 1}`), upstreams);
      for (const [i, key] of keys.entries()) {
        const s = SCENARIOS.find((x) => x.key === key);
        await setShadow(box, s.policy);
        // A fresh process needs a few seconds of load before its JIT settles.
        const m = await measure(load, box, upstreams, s.server, i === 0 ? processWarmup : 0);
        runs[s.key].push(m);
        if (m.report) lastReport[s.key] = m.report;
        const flag = m.other > NOISY_CORES ? ' (busy)' : '';
        log(row([`${r + 1}${flag}`, s.name, ...fmtRun(m), ...fmtCounters(m, s)]));
      }
      await box.stop();
    }
  }
  log();
  log(
    'Counters are those of the measured run: mirrored and dropped count its requests, compared counts the comparisons ' +
      "finished in it, which trail the copies by the shadow's answer time (so compared can exceed mirrored a little).",
  );
  log();

  log(`## Medians of ${rounds} rounds`);
  log();
  log(row(['scenario', ...HEADER, 'CPU/req vs none', 'p99 vs none', 'req/s vs none']));
  log(row(['---', ...HEADER.map(() => '---:'), '---:', '---:', '---:']));
  const keys = ['rps', 'p50Ms', 'p99Ms', 'cpuUs', 'cores', 'upstreamUs', 'other', 'errors'];
  const med = {};
  for (const s of ACTIVE) {
    med[s.key] = Object.fromEntries(keys.map((k) => [k, median(runs[s.key].map((m) => m[k]))]));
  }
  const base = med.none;
  for (const s of ACTIVE) {
    const m = med[s.key];
    const ratios = [m.cpuUs / base.cpuUs, m.p99Ms / base.p99Ms, m.rps / base.rps].map((x) => `${x.toFixed(2)}×`);
    log(row([s.name, ...fmtRun(m), ...ratios]));
  }
  log();
  /** The same ratio in each round (runs of one onebox process), for the spread. */
  const perRound = (key, field) => runs[key].map((m, i) => (m[field] / runs.none[i][field]).toFixed(2)).join(', ');
  for (const s of ACTIVE.slice(1)) {
    log(
      `- ${s.name}: CPU/request ${(med[s.key].cpuUs / base.cpuUs).toFixed(2)}× (per round ${perRound(s.key, 'cpuUs')}), ` +
        `p99 ${(med[s.key].p99Ms / base.p99Ms).toFixed(2)}× (per round ${perRound(s.key, 'p99Ms')})`,
    );
  }
  if (med.never) {
    const p99Ratio = med.never.p99Ms / base.p99Ms;
    const paired = runs.never.map((m, i) => m.p99Ms / runs.none[i].p99Ms);
    const within = paired.filter((x) => x <= P99_BOUND).length;
    const noneP99 = runs.none.map((m) => m.p99Ms);
    const verdict = (x) => (x <= P99_BOUND ? 'met' : 'NOT met');
    log(
      `- goal: with the never-answering shadow the primary's p99 stays within ${Math.round((P99_BOUND - 1) * 100)}% of ` +
        `the no-shadow run: ${verdict(p99Ratio)} on the medians (${base.p99Ms.toFixed(2)} ms → ` +
        `${med.never.p99Ms.toFixed(2)} ms, ${p99Ratio.toFixed(2)}×); ${verdict(median(paired))} on the median of the ` +
        `paired per-round ratios (${median(paired).toFixed(2)}×); within it in ${within} of ${rounds} rounds ` +
        `(the no-shadow p99 alone ranged ${Math.min(...noneP99).toFixed(2)}–${Math.max(...noneP99).toFixed(2)} ms over the rounds)`,
    );
    // The live upstream does the same work per request with or without the hung shadow, so
    // onebox's CPU per request over the upstream's cancels slowdowns of the whole machine.
    const relative = (m) => m.cpuUs / m.upstreamUs;
    const rel = runs.never.map((m, i) => relative(m) / relative(runs.none[i]));
    const upstream = runs.never.map((m, i) => (m.upstreamUs / runs.none[i].upstreamUs).toFixed(2));
    log(
      `- never-answering vs no shadow, onebox CPU per request relative to the live upstream's (which does the same ` +
        `work in both): ${median(rel).toFixed(2)}× (per round ${rel.map((x) => x.toFixed(2)).join(', ')}; the ` +
        `upstream's own CPU per request moved ${upstream.join(', ')}× between the same runs)`,
    );
  }
  const busy = median(Object.values(runs).flatMap((list) => list.map((m) => m.other)));
  if (busy > NOISY_CORES) log(`- warning: other work used ${busy.toFixed(2)} cores in a typical run; rerun when idle`);
  log();
  const slows = ACTIVE.filter((x) => x.key.startsWith('slow'));
  if (slows.length) {
    log('Report of the last round, per slow scenario (GET /v1/components/web/shadow/report):');
    log();
    for (const s of slows) log(`- ${s.name}: ${findings(lastReport[s.key])}`);
    log();
  }
  if (rssRequests > 0) await memoryRuns(load, upstreams);

  if (opts.profile) {
    const slow = SCENARIOS.find((s) => s.key === 'slow');
    const at = join(dir, 'profile');
    const box = await startBox(at, upstreams, ['--cpu-prof', `--cpu-prof-dir=${join(at, 'prof')}`]);
    await setShadow(box, slow.policy);
    const m = await measure(load, box, upstreams, slow.server);
    await box.stop();
    const file = readdirSync(join(at, 'prof')).find((f) => f.endsWith('.cpuprofile'));
    log(`## CPU profile: ${slow.name}, under --cpu-prof`);
    log();
    log(`${int(m.rps)} req/s, ${m.cpuUs.toFixed(1)} µs CPU/request with the profiler on; self time:`);
    log();
    log('```text');
    for (const line of file ? summariseProfile(join(at, 'prof', file)) : ['no profile written']) log(line);
    log('```');
    log();
  }
  log(`(took ${Math.round((Date.now() - started) / 1000)} s)`);

  upstreamChild.kill('SIGTERM');
  writeReport(opts.out, lines);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
