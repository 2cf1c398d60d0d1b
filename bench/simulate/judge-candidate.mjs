// node bench/simulate/judge-candidate.mjs [--runs 500] [--seed 1]   (after npm run build)
//
// A proposed change to src/core/judge.ts, measured with the simulator's gate hook. It is
// not used by onebox. Today's judge tests the new version against the stable version's
// observed error rate and p99 as if they were known exactly; when the stable arm is
// small (late steps of a linear deployment, or the start of any step) its noise becomes
// false rollbacks. The candidate compares the two arms symmetrically:
//   errors: of the errors both versions made in the window, the share made by the new one
//     is Binomial(errors, n_new / (n_new + n_stable)) when the rates are equal; Wald's SPRT
//     on that share against the same "worse" (errorRatio, errorFloor) as today;
//   tail: the edge is the p99 bucket of both arms pooled (exchangeable when the versions
//     are equal), and the same conditional SPRT is run on the requests beyond it
//     (tailRatio as today).
// Same alpha, beta, minimums and rank test as DEFAULT_JUDGE; alarms off (judge-only).
import { parseArgs } from 'node:util';
import {
  BUCKETS,
  combineVerdicts,
  DEFAULT_JUDGE,
  judge,
  LATENCY_BUCKETS,
  quantileBucket,
} from '../../dist/core/index.js';
import { presetSpec, resolveScenario, Simulator, table } from '../../dist/sim/index.js';

const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '500' }, seed: { type: 'string', default: '1' } },
});
const runs = Number(opts.runs);
const seed = Number(opts.seed);

const s = DEFAULT_JUDGE;
const upper = Math.log((1 - s.beta) / s.alpha);
const lower = Math.log(s.beta / (1 - s.alpha));

/** SPRT on how many of k = kNew + kStable events are the new version's. */
function conditionalSprt(kNew, kStable, nNew, nStable, ratio) {
  const pi0 = nNew / (nNew + nStable);
  const pi1 = (ratio * nNew) / (ratio * nNew + nStable);
  const llr = kNew * Math.log(pi1 / pi0) + kStable * Math.log((1 - pi1) / (1 - pi0));
  return llr >= upper ? 'fail' : llr <= lower ? 'pass' : 'inconclusive';
}

function errors(fresh, stable) {
  if (fresh.requests < s.minRequests || stable.requests < s.minRequests) return 'inconclusive';
  const p0 = (stable.errors + 0.5) / (stable.requests + 1);
  return conditionalSprt(
    fresh.errors,
    stable.errors,
    fresh.requests,
    stable.requests,
    Math.max(s.errorRatio, (p0 + s.errorFloor) / p0),
  );
}

const pooled = new Float64Array(LATENCY_BUCKETS);
function tail(fresh, stable) {
  if (stable.requests < s.minTailSample || fresh.requests < s.minRequests) return 'inconclusive';
  for (let i = 0; i < LATENCY_BUCKETS; i++) pooled[i] = fresh.latency[i] + stable.latency[i];
  const edge = quantileBucket(pooled, s.tailQuantile);
  let beyondNew = 0;
  let beyondStable = 0;
  for (let i = edge + 1; i < LATENCY_BUCKETS; i++) {
    beyondNew += fresh.latency[i];
    beyondStable += stable.latency[i];
  }
  return conditionalSprt(beyondNew, beyondStable, fresh.requests, stable.requests, s.tailRatio);
}

/** The candidate gate: today's findings, with errors and tail replaced. */
function candidate(fresh, stable, weightBp) {
  if (weightBp <= 0 || weightBp >= BUCKETS)
    return { verdict: { result: 'pass', sentence: 'one version only' }, failed: [] };
  const findings = judge(fresh, stable, s, 'v2').findings.map((f) => ({ check: f.check, result: f.result }));
  findings[0].result = errors(fresh, stable);
  findings[1].result = tail(fresh, stable);
  const verdict = combineVerdicts(findings.map((f) => ({ result: f.result, sentence: f.check })));
  return { verdict, failed: findings.filter((f) => f.result === 'fail').map((f) => f.check) };
}

const CASES = [
  ['aa', {}],
  ['exposure', {}],
  ['canary-aa', {}],
  ['linear-aa', { onInconclusive: 'proceed' }],
  ['errors', {}],
  ['p99', {}],
  ['linear-errors', {}],
];

const rows = [
  ['scenario', 'judge', 'releases', 'rolled back', 'what failed', 'new-version requests to rollback (median)'],
];
const started = performance.now();
for (const [name, over] of CASES) {
  const scenario = resolveScenario({ ...presetSpec(name), gate: 'judge-only', ...over });
  for (const [label, gate] of [
    ['today', undefined],
    ['candidate', candidate],
  ]) {
    const sim = new Simulator(scenario, seed, gate ? { gate } : {});
    const causes = {};
    const requests = [];
    for (let i = 0; i < runs; i++) {
      const r = sim.run(i);
      if (r.status !== 'rolled-back') continue;
      causes[r.cause] = (causes[r.cause] ?? 0) + 1;
      requests.push(r.newRequests);
    }
    requests.sort((a, b) => a - b);
    const what =
      Object.entries(causes)
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || '-';
    rows.push([
      `${name}${over.onInconclusive ? ' (undecided proceeds)' : ''}`,
      label,
      String(runs),
      `${requests.length} (${((requests.length / runs) * 100).toFixed(1)}%)`,
      what,
      requests.length ? requests[requests.length >> 1].toLocaleString('en-US') : '-',
    ]);
  }
}
console.log(`Judge today vs the candidate (two-sample errors and pooled-edge tail), judge-only gate, seed ${seed}\n`);
console.log(table(rows));
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
