// npm run bench:simulate: issue 4's acceptance figures for the release simulator, in one
// table with the seed of every row. Each row is `onebox simulate` with the options shown
// under the table; the figures depend only on the seed (and the run count), not on the
// machine or the number of threads.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultWorkers, describeGate, PRESETS, runJobs, table, throughput } from '../../dist/tools/sim/index.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: String(defaultWorkers()) },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const seed = Number(opts.seed);
const workers = Number(opts.workers);
if (!(runs >= 1) || !Number.isInteger(seed) || seed < 0 || !(workers >= 1)) {
  console.error('usage: node bench/simulate/run.mjs [--runs 1000] [--seed 1] [--workers N] [--json]');
  process.exit(2);
}

const pct = (x) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const int = (n) => Math.round(n).toLocaleString('en-US');
const secs = (ms) =>
  ms < 60_000
    ? `${+(ms / 1000).toFixed(1)}s`
    : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
const rate = (r) => r.rollbacks / r.runs;

/**
 * The rows. `target` decides met / missed; rows without one are printed beside the others
 * for comparison (what the fixed alarm does, per-request routing's exposure).
 */
const MIN1000 = { alarms: { minRequests: 1000 }, note: ', alarm min 1,000 req', flag: ' --alarm min-requests=1000' };
const ROWS = [
  { check: 'A/A: false rollbacks', scenario: 'aa', gate: 'judge-only', target: ['<= 1%', (r) => rate(r) <= 0.01] },
  { check: '', scenario: 'aa', gate: 'judge', target: ['<= 1%', (r) => rate(r) <= 0.01] },
  { check: '', scenario: 'aa', gate: 'judge', ...MIN1000, target: ['<= 1%', (r) => rate(r) <= 0.01] },
  { check: '', scenario: 'aa', gate: 'alarm' },
  { check: '', scenario: 'aa', gate: 'alarm+p99' },
  {
    check: 'errors 1% -> 3%, 10% one-box: caught',
    scenario: 'errors',
    gate: 'judge-only',
    target: ['>= 95%', (r) => rate(r) >= 0.95],
  },
  { check: '', scenario: 'errors', gate: 'judge', target: ['>= 95%', (r) => rate(r) >= 0.95] },
  { check: '', scenario: 'errors', gate: 'judge', ...MIN1000, target: ['>= 95%', (r) => rate(r) >= 0.95] },
  { check: '', scenario: 'errors', gate: 'alarm' },
  {
    check: 'p99 +50%, same errors: caught',
    scenario: 'p99',
    gate: 'judge-only',
    target: ['>= 95%', (r) => rate(r) >= 0.95],
  },
  { check: '', scenario: 'p99', gate: 'judge', target: ['>= 95%', (r) => rate(r) >= 0.95] },
  { check: '', scenario: 'p99', gate: 'alarm' },
  { check: '', scenario: 'p99', gate: 'alarm+p99' },
  {
    check: 'users exposed at a 20% step',
    scenario: 'exposure',
    gate: 'judge-only',
    routing: 'sticky',
    target: ['20 ± 0.5%', (r) => Math.abs(r.exposedShare.median - 0.2) <= 0.005],
  },
  { check: '', scenario: 'exposure', gate: 'judge-only', routing: 'request' },
  { check: 'context: A/A, linear 10% every 1m', scenario: 'linear-aa', gate: 'judge-only' },
  {
    check: '',
    scenario: 'linear-aa',
    gate: 'judge-only',
    onInconclusive: 'proceed',
    note: ', undecided proceeds',
    flag: ' --on-inconclusive proceed',
  },
  { check: '', scenario: 'linear-aa', gate: 'alarm' },
];

const PRESET_BY_NAME = Object.fromEntries(PRESETS.map((p) => [p.name, p]));
const jobs = ROWS.map((row) => ({
  spec: {
    ...PRESET_BY_NAME[row.scenario],
    gate: row.gate,
    routing: row.routing ?? 'sticky',
    ...(row.alarms ? { alarms: row.alarms } : {}),
    ...(row.onInconclusive ? { onInconclusive: row.onInconclusive } : {}),
  },
  seed,
  runs,
}));

const load = loadavg()[0];
const run = await runJobs(jobs, workers);

const header = [
  '#',
  'check',
  'gate',
  'routing',
  'releases',
  'seed',
  'rolled back',
  'what failed',
  'exposed med (p95)',
  'detection: time',
  'new-version req',
  'target',
  '',
];
const rows = [header];
run.results.forEach(({ report: r }, i) => {
  const row = ROWS[i];
  const causes =
    Object.entries(r.causes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || '-';
  const met = row.target ? (row.target[1](r) ? 'met' : 'MISSED') : '';
  rows.push([
    String(i + 1),
    row.check,
    r.gate + (row.note ?? ''),
    r.routing === 'request' ? 'per-request' : r.routing,
    int(r.runs),
    String(r.seed),
    `${r.bad ? 'caught' : 'false'} ${int(r.rollbacks)} (${pct(rate(r))})`,
    causes,
    `${pct(r.exposedShare.median)} (${pct(r.exposedShare.p95)})`,
    r.detection ? secs(r.detection.timeMs.median) : '-',
    r.detection ? int(r.detection.newRequests.median) : '-',
    row.target ? row.target[0] : '',
    met,
  ]);
});

if (opts.json) {
  console.log(
    JSON.stringify(
      {
        seed,
        runs,
        rows: run.results.map((x, i) => ({ ...ROWS[i], target: ROWS[i].target?.[0], report: x.report })),
        seconds: run.seconds,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

console.log(`onebox simulate: issue 4 acceptance (${int(runs)} releases per row, seed ${seed})\n`);
console.log(table(rows));
console.log('\nGates (as in the A/A rows; a bad release proceeds where a good one rolls back):');
for (const gate of ['judge', 'judge-only', 'alarm', 'alarm+p99']) {
  const x = run.results.find((r) => r.scenario.gate.label === gate && r.scenario.name === 'aa');
  if (x) console.log(`  ${describeGate(x.scenario)}`);
}
console.log(
  '\nScenarios (100 req/s of virtual time, 20,000 users, Zipf 0.8, sessions of 8 requests 15s apart, 5 routes, base error rate 1%):',
);
for (const name of [...new Set(ROWS.map((r) => r.scenario))]) {
  const p = PRESET_BY_NAME[name];
  console.log(`  ${name.padEnd(10)} ${p.config} with fault ${p.fault}: ${p.summary}`);
}
console.log(
  '\nEach row again, alone (the command lists the runs that went wrong; add --replay RUN to see one release):',
);
ROWS.forEach((row, i) => {
  console.log(
    `  ${String(i + 1).padStart(2)}  onebox simulate --scenario ${row.scenario} --gate ${row.gate} --routing ${row.routing ?? 'sticky'}${row.flag ?? ''} --runs ${runs} --seed ${seed}`,
  );
});
console.log(`\n${throughput(run, workers)} (load average ${load.toFixed(2)} before the run)`);
