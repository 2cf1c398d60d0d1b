// npm run bench: every benchmark, one after the other, each in its own process (so one's
// JIT state, heap and sockets do not weigh on the next) and each comparing onebox with its
// peers in that same run. Prints each benchmark's report as it goes, then a summary of the
// goal lines, and writes that summary to docs/benchmarks.md. See bench/README.md.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measuredCommit } from './common.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Each benchmark: its script, its report in docs/, the arguments of a `--long` run (the
 * defaults keep the whole suite near 8 minutes on 2 cores), and whether it runs by default.
 */
const BENCHMARKS = [
  {
    name: 'gateway',
    script: 'gateway/run.mjs',
    doc: 'docs/bench-gateway.md',
    long: ['--rounds', '5', '--duration', '10'],
    what: 'onebox vs plain undici proxy, http-proxy, fastify + reply-from, nginx, HAProxy: CPU/request, req/s, p50/p99, split and stickiness',
  },
  {
    name: 'workers',
    script: 'gateway/workers.mjs',
    doc: 'docs/bench-workers.md',
    long: ['--rounds', '5', '--duration', '10'],
    what: 'onebox serve --workers N vs nginx with N workers: req/s and CPU per request, scaling',
  },
  {
    name: 'decision',
    script: 'decision/run.mjs',
    doc: 'docs/bench-decision.md',
    long: ['--rounds', '15'],
    what: 'ns per routing decision vs unleash-client flexibleRollout',
  },
  {
    name: 'shadow',
    script: 'shadow/run.mjs',
    doc: 'docs/bench-shadow.md',
    long: ['--rounds', '5', '--duration', '10'],
    what: 'primary latency and CPU with mirroring on vs off, slow and never-answering shadows',
  },
  {
    name: 'controller',
    script: 'controller/run.mjs',
    doc: 'docs/bench-controller.md',
    long: ['--ticks', '100'],
    what: 'one tick with 1,000 components deploying: CPU and memory',
  },
  {
    name: 'metrics',
    script: 'metrics/run.mjs',
    optional: true,
    long: ['15'],
    what: 'recording one request in per-version metrics vs prom-client',
  },
  {
    name: 'simulate',
    script: 'simulate/run.mjs',
    doc: 'docs/bench-simulate.md',
    optional: true,
    long: ['--runs', '5000'],
    what: 'release strategies simulated: users exposed, detection time',
  },
];
const names = BENCHMARKS.map((b) => b.name);

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    metrics: { type: 'boolean', default: false },
    simulate: { type: 'boolean', default: false },
    long: { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/benchmarks.md' },
  },
});
let chosen = BENCHMARKS.filter((b) => !b.optional || opts[b.name]);
if (opts.only !== undefined) {
  const wanted = opts.only.split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !names.includes(w));
  if (unknown.length) {
    console.error(`--only: unknown benchmark ${unknown.join(', ')} (known: ${names.join(', ')})`);
    process.exit(2);
  }
  chosen = BENCHMARKS.filter((b) => wanted.includes(b.name));
}

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

/** Runs one benchmark, its output shown as it comes; resolves with its stdout and exit code. */
function runOne(b) {
  const args = [join(here, b.script), ...(opts.long ? b.long : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ONEBOX_BENCH_COMMAND: command },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    // Ctrl-C reaches the child too (same process group); this only waits for it to end.
    child.on('close', (code, signal) => resolve({ out, code: code ?? (signal ? 1 : 0) }));
  });
}

const started = Date.now();
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(', ');
const summary = [];
let failed = 0;
for (const b of chosen) {
  console.log(`\n=== ${b.name}: ${b.what} ===\n`);
  const t = Date.now();
  const { out, code } = await runOne(b);
  if (code !== 0) failed++;
  const goals = out
    .split('\n')
    .filter((l) => /goal/i.test(l) || l.startsWith('- result:'))
    .map((l) => l.replace(/^\s*-?\s*/, ''));
  summary.push({ b, seconds: (Date.now() - t) / 1000, code, goals });
}

const lines = [
  '# Benchmarks: summary of one run',
  '',
  `- date: ${new Date(started).toISOString()}`,
  `- machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}; load average before the run ${load}`,
  `- onebox: ${measuredCommit()}; node ${process.version}`,
  `- command: \`${command}\` (${Math.round((Date.now() - started) / 1000)} s in all)`,
  `- load average after the run: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')} (the load benchmarks' "other cores" column shows what else ran during each run)`,
  '',
  'Each benchmark compares onebox with its peers in the same run, as medians of several rounds; the full reports, with',
  'every round, are linked. Goals are reported, not enforced: a goal not met does not fail the run.',
  '',
];
for (const { b, seconds, code, goals } of summary) {
  const title = b.doc ? `[${b.name}](${b.doc.replace('docs/', '')})` : b.name;
  lines.push(`## ${title} (${Math.round(seconds)} s${code === 0 ? '' : `, exited with ${code}`})`, '');
  lines.push(`${b.what}.`, '');
  for (const g of goals.length ? goals : ['(no goal line printed)']) lines.push(`- ${g}`);
  lines.push('');
}
console.log(`\n${lines.join('\n')}`);
if (opts.out && opts.only === undefined) {
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${lines.join('\n')}`);
  console.log(`(summary written to ${opts.out})`);
}
process.exit(failed ? 1 : 0);
