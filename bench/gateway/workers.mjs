// npm run bench:workers: how `onebox serve --workers N` scales, next to nginx with as many
// worker processes, in the same run. Each contender is a child process tree (its CPU read
// from /proc for the whole tree) in front of the same two upstreams, which nginx serves so
// that the upstream is not what runs out of CPU. Alternating rounds, medians, ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { commandLine, measuredCommit, median, positiveInt, row, writeReport } from '../common.mjs';
import { loadGenerator } from './load.mjs';
import { measureLoad } from './measure.mjs';
import { killAll, startNginx, startNginxUpstreams, startOnebox } from './proxies.mjs';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    /** The largest worker count measured; default: the machine's cores. */
    workers: { type: 'string', default: String(cpus().length) },
    out: { type: 'string', default: 'docs/bench-workers.md' },
  },
});
const rounds = positiveInt('rounds', opts.rounds);
const duration = positiveInt('duration', opts.duration);
const warmup = Number(opts.warmup);
const connections = positiveInt('connections', opts.connections);
const threads = positiveInt('threads', opts.threads);
const maxWorkers = positiveInt('workers', opts.workers);

const WEIGHT_BP = 2000;
const USERS = 1000;
const cookies = Array.from(
  { length: USERS },
  (_, i) => `onebox-uid=${createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22)}`,
);

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};

const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-workers-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** 1, 2, 4, ... up to maxWorkers (and maxWorkers itself). */
const counts = [];
for (let n = 1; n < maxWorkers; n *= 2) counts.push(n);
counts.push(maxWorkers);

const CONTENDERS = [
  {
    name: 'onebox, gateway in the main process',
    kind: 'onebox',
    n: 1,
    start: (at, up) => startOnebox(at, up, WEIGHT_BP),
  },
  ...counts.map((n) => ({
    name: `onebox --workers ${n}`,
    kind: 'onebox',
    n,
    start: (at, up) => startOnebox(at, up, WEIGHT_BP, [], n),
  })),
  ...counts.map((n) => ({
    name: `nginx, ${n} worker${n > 1 ? 's' : ''}`,
    kind: 'nginx',
    n,
    start: (at, up) => startNginx(at, up, WEIGHT_BP, n),
  })),
];

async function main() {
  if (spawnSync('nginx', ['-v']).error) {
    console.error('bench:workers needs nginx (apt-get install -y nginx-light): it serves the upstreams');
    process.exit(1);
  }
  const load = await loadGenerator({ dir, cookies, connections, threads });
  log('# Gateway workers: `onebox serve --workers N` next to nginx with N workers');
  log();
  log(`- date: ${new Date().toISOString()}`);
  log(
    `- machine: nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}, ${cpus()[0]?.model}, Linux ${release()}`,
  );
  log(`- onebox: ${measuredCommit()}; node ${process.version}`);
  log(`- upstreams: nginx (one worker), so the upstream is not the limit`);
  log(`- load: ${load.version}, ${threads} thread(s), ${connections} connections, ${USERS} cookies, 20% sticky split`);
  log(
    `- rounds: ${rounds} × ${duration} s each (after ${warmup} s warm-up), contenders alternating, restarted each round`,
  );
  log(`- command: \`${commandLine('bench:workers')}\``);
  log();
  log('The load generator and the upstreams run on the same cores: on a small machine they take');
  log('their share, so N workers cannot reach N times one worker here. nginx, measured the same way,');
  log('shows what the machine allows.');
  log();

  const upstreams = await startNginxUpstreams(dir);
  const header = ['req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'cores used'];
  log('## Rounds');
  log();
  log(row(['round', 'contender', ...header]));
  log(row(['---', '---', ...header.map(() => '---:')]));
  const runs = new Map(CONTENDERS.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < CONTENDERS.length; i++) {
      const c = CONTENDERS[(i + r) % CONTENDERS.length];
      const proxy = await c.start(join(dir, `r${r}-${i}`), upstreams);
      const m = await measureLoad(load, proxy, upstreams, { warmup, duration });
      await proxy.stop();
      runs.get(c.name).push(m);
      log(row([String(r + 1), c.name, ...fmt(m)]));
    }
  }
  log();

  log(`## Medians of ${rounds} rounds`);
  log();
  log(row(['contender', ...header]));
  log(row(['---', ...header.map(() => '---:')]));
  const med = new Map();
  for (const c of CONTENDERS) {
    const list = runs.get(c.name);
    const m = Object.fromEntries(
      ['rps', 'p50Ms', 'p99Ms', 'cpuUs', 'cores'].map((k) => [k, median(list.map((x) => x[k]))]),
    );
    med.set(c.name, m);
    log(row([c.name, ...fmt(m)]));
  }
  log();
  log('## Scaling');
  log();
  for (const n of counts.slice(1)) {
    const ob = (name) => med.get(`onebox --workers ${name}`);
    const ng = (name) => med.get(`nginx, ${name} worker${name > 1 ? 's' : ''}`);
    log(
      `- result: ${n} workers vs 1: onebox ${(ob(n).rps / ob(1).rps).toFixed(2)}× req/s ` +
        `(${ob(1).cores.toFixed(2)} → ${ob(n).cores.toFixed(2)} cores), ` +
        `nginx ${(ng(n).rps / ng(1).rps).toFixed(2)}× (${ng(1).cores.toFixed(2)} → ${ng(n).cores.toFixed(2)} cores)`,
    );
  }
  const inProcess = med.get('onebox, gateway in the main process');
  const oneWorker = med.get('onebox --workers 1');
  log(
    `- result: one worker vs the gateway in the main process: ${(oneWorker.rps / inProcess.rps).toFixed(2)}× req/s, ` +
      `${(oneWorker.cpuUs / inProcess.cpuUs).toFixed(2)}× CPU per request (what the cluster's connection hand-off and the metrics reports cost)`,
  );
  log();
  writeReport(opts.out, lines);
}

const fmt = (m) => [
  Math.round(m.rps).toString(),
  m.p50Ms.toFixed(2),
  m.p99Ms.toFixed(2),
  m.cpuUs.toFixed(1),
  m.cores.toFixed(2),
];

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
