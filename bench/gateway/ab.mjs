// npm run bench:gateway:ab -- --base <dir>: this build's gateway against another build of
// onebox (e.g. main, built in <dir>), interleaved in one run with the plain node proxy as
// the yardstick. Each round starts fresh processes and loads base, branch and plain proxy
// in the order base, branch, plain, branch, base; the figures are onebox's CPU per request
// over the plain proxy's within a round (median over rounds) for base and branch, and
// branch over base within a round. `--mode side-by-side` loads the three at once instead
// (each by its own load generator), for a machine whose speed drifts too fast for turns.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { commandLine, measuredCommit, median, row, writeReport } from '../common.mjs';
import { loadGenerator } from './load.mjs';
import { cpuSnapshot } from './cpu.mjs';
import { measureLoad, waitForQuiet } from './measure.mjs';
import { killAll, startOnebox, startPlain, startUpstreams } from './proxies.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '9' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    mode: { type: 'string', default: 'interleaved' },
    out: { type: 'string', default: 'docs/bench-gateway-ab.md' },
  },
});
if (!opts.base) {
  console.error('usage: npm run bench:gateway:ab -- --base <folder of another onebox build> [--rounds 7]');
  process.exit(2);
}
const baseCli = join(resolve(opts.base), 'dist/cli/main.js');
const rounds = Number(opts.rounds);
const timing = { warmup: Number(opts.warmup), duration: Number(opts.duration) };
const WEIGHT_BP = 2000;
const cookies = Array.from(
  { length: 1000 },
  (_, i) => `onebox-uid=${createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22)}`,
);

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};
const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-ab-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Side by side: the three proxies loaded at once, each by its own load generator, for the
 * same seconds, so that whatever else the machine does falls on all three alike; CPU per
 * request of each from /proc over the same window.
 */
async function sideBySide(loads, proxies) {
  await waitForQuiet();
  const names = Object.keys(proxies);
  await Promise.all(names.map((n) => loads[n].run(proxies[n].url, timing.warmup)));
  const before = cpuSnapshot(names.map((n) => proxies[n].pid));
  const results = await Promise.all(names.map((n) => loads[n].run(proxies[n].url, timing.duration)));
  const after = cpuSnapshot(names.map((n) => proxies[n].pid));
  const other =
    (after.machine - before.machine - after.trees.reduce((a, t, i) => a + t - before.trees[i], 0)) / timing.duration;
  return Object.fromEntries(
    names.map((n, i) => [
      n,
      {
        rps: results[i].requests / results[i].seconds,
        cpuUs: ((after.trees[i] - before.trees[i]) * 1e6) / results[i].requests,
        other,
      },
    ]),
  );
}

async function main() {
  const load = await loadGenerator({ dir, cookies, connections: Number(opts.connections), threads: 1 });
  // Side by side, each proxy has its own generator with a third of the connections.
  const third = Math.max(1, Math.round(Number(opts.connections) / 3));
  const loads = {};
  for (const name of ['base', 'branch', 'plain']) {
    mkdirSync(join(dir, name));
    loads[name] = await loadGenerator({ dir: join(dir, name), cookies, connections: third, threads: 1 });
  }
  const upstreams = await startUpstreams();
  log('# Gateway A/B: this build against a base build, the plain node proxy as yardstick');
  log();
  log(`- branch: ${measuredCommit()}; base: ${resolve(opts.base)}`);
  log(
    opts.mode === 'side-by-side'
      ? `- load: ${load.version}; ${rounds} rounds of ${timing.duration} s, the three proxies loaded at once (${third} connections each)`
      : `- load: ${load.version}, ${opts.connections} connections; ${rounds} rounds × 5 runs of ${timing.duration} s (base, branch, plain, branch, base)`,
  );
  log(`- command: \`${commandLine('bench:gateway:ab')} -- --base ${opts.base}\``);
  log();
  log(row(['round', 'proxy', 'req/s', 'CPU µs/req', 'other cores']));
  log(row(['---', '---', '---:', '---:', '---:']));
  // Each round loads base, branch, plain, branch, base: the machine's speed drifts (here by
  // up to 1.5x within minutes), and a palindromic order cancels a linear drift, where one
  // run each would charge it to whichever ran later.
  const order = ['base', 'branch', 'plain', 'branch', 'base'];
  const ratios = { base: [], branch: [], paired: [] };
  const cpu = { base: [], branch: [], plain: [] };
  for (let r = 0; r < rounds; r++) {
    const at = join(dir, `round-${r}`);
    const proxies = {
      base: await startOnebox(join(at, 'base'), upstreams, WEIGHT_BP, [], 0, baseCli),
      branch: await startOnebox(join(at, 'branch'), upstreams, WEIGHT_BP),
    };
    proxies.plain = await startPlain(upstreams, proxies.branch.seed, WEIGHT_BP);
    const got = { base: [], branch: [], plain: [] };
    if (opts.mode === 'side-by-side') {
      const at2 = await sideBySide(loads, proxies);
      for (const name of ['base', 'branch', 'plain']) {
        const m = at2[name];
        got[name].push(m.cpuUs);
        cpu[name].push(m.cpuUs);
        log(row([String(r + 1), name, Math.round(m.rps).toString(), m.cpuUs.toFixed(2), m.other.toFixed(2)]));
      }
    } else {
      for (const name of order) {
        const m = await measureLoad(load, proxies[name], upstreams, timing);
        got[name].push(m.cpuUs);
        cpu[name].push(m.cpuUs);
        log(row([String(r + 1), name, Math.round(m.rps).toString(), m.cpuUs.toFixed(2), m.other.toFixed(2)]));
      }
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [base, branch, plain] = [mean(got.base), mean(got.branch), mean(got.plain)];
    ratios.base.push(base / plain);
    ratios.branch.push(branch / plain);
    ratios.paired.push(branch / base);
    for (const p of Object.values(proxies)) await p.stop();
  }
  const b = median(ratios.base);
  const n = median(ratios.branch);
  const paired = median(ratios.paired);
  log();
  log(
    `- median CPU µs/request: base ${median(cpu.base).toFixed(2)}, branch ${median(cpu.branch).toFixed(2)}, plain proxy ${median(cpu.plain).toFixed(2)}`,
  );
  log(
    `- onebox / plain proxy, median over rounds: base ${b.toFixed(3)}×, branch ${n.toFixed(3)}× (${((n / b - 1) * 100).toFixed(1)}%)`,
  );
  log(
    `- branch / base within each round, median over rounds: ${paired.toFixed(3)} (${((paired - 1) * 100).toFixed(1)}%)`,
  );
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
