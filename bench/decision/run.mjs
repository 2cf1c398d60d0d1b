// npm run bench:decision: nanoseconds per routing decision. onebox's (the gateway's
// AliasRouter.route: identity from the Cookie header, murmur3 bucket against a 20% weight) vs
// unleash-client's flexibleRollout strategy evaluated directly (no server, no SDK
// polling), with the same users. Hand-rolled micro-benchmark: warm-up rounds, then
// measured rounds alternating between the contenders, medians; every result goes into a
// sink that is checked at the end, so the JIT cannot drop the work. See bench/README.md.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import {
  AliasRouter,
  bucketOf,
  chooseVersion,
  readCookie,
  resolveIdentity,
  IDENTITY_COOKIE,
} from '../../dist/core/index.js';
import { cookieValueStart } from '../../dist/core/identity.js';
import { decideViewer } from '../../dist/core/viewer-decision.js';
import { median, positiveInt, row, measuredCommit, commandLine, writeReport } from '../common.mjs';

const require = createRequire(import.meta.url);
const FlexibleRolloutStrategy = require('unleash-client/lib/strategy/flexible-rollout-strategy.js').default;
const unleashVersion = require('unleash-client/package.json').version;

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'warmup-rounds': { type: 'string', default: '3' },
    iterations: { type: 'string', default: '1000000' },
    out: { type: 'string', default: 'docs/bench-decision.md' },
  },
});
const rounds = positiveInt('rounds', opts.rounds);
const warmupRounds = positiveInt('warmup-rounds', opts['warmup-rounds']);
const iterations = positiveInt('iterations', opts.iterations);

/** The speed-up over unleash-client the project aims for. */
const GOAL_RATIO = 3;
const USERS = 1000;
const WEIGHT = 0.2;

// Flat strings, as node's HTTP parser hands header values over: a template literal or a
// slice would give V8 rope or sliced strings, slower to read for both contenders.
const flat = (s) => Buffer.from(s, 'latin1').toString('latin1');
const ids = Array.from({ length: USERS }, (_, i) =>
  flat(createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22)),
);
// A browser's Cookie header: the identity among a site's other cookies.
const headers = ids.map((id, i) => flat(`_ga=GA1.2.${1000 + i}.1700000000; onebox-uid=${id}; theme=dark`));

const alias = { version: 1, additional: { version: 2, weightBp: WEIGHT * 10_000 }, mode: 'sticky', seed: 'web@2' };
// Built once per alias change, as the gateway's routing snapshot does.
const router = new AliasRouter(alias);
// The gateway's live part of a route, as decideViewer reads it (targets are plain labels here).
const live = { router, stable: 'v1', additional: 'v2', split: true };
const viewerSettings = {
  cookieMaxAgeSeconds: 400 * 86_400,
  varyFields: ['Cookie'],
  newId: () => ids[0],
  draw: Math.random,
};
const viewerInputs = headers.map((cookie) => ({ header: undefined, cookie, baggage: undefined, https: false }));
const flexible = new FlexibleRolloutStrategy();
const parameters = { rollout: String(WEIGHT * 100), stickiness: 'userId', groupId: 'web' };
const contexts = ids.map((userId) => ({ userId }));

/** Each contender takes the i-th request and returns 1 when the new version serves it. */
const contenders = {
  // The gateway's call: identity (its id string sliced out) and version from the raw header.
  'onebox: AliasRouter.route (from the Cookie header)': (i) =>
    router.route(undefined, headers[i], undefined, Math.random)?.choice.additional ? 1 : 0,
  // The whole viewer decision the gateway makes per request: the route above, plus the
  // decision object with its reason, Set-Cookie and Vary.
  "onebox: decideViewer (the gateway's whole decision, reason included)": (i) =>
    decideViewer(live, viewerInputs[i], viewerSettings).target === 'v2' ? 1 : 0,
  'unleash-client flexibleRollout (userId read from the same Cookie header)': (i) =>
    flexible.isEnabled(parameters, { userId: readCookie(headers[i], IDENTITY_COOKIE) }) ? 1 : 0,
  'unleash-client flexibleRollout (context built beforehand)': (i) =>
    flexible.isEnabled(parameters, contexts[i]) ? 1 : 0,
  // Where onebox's time goes: finding the cookie, and hashing an id given as a string.
  'onebox part: cookieValueStart alone (indexOf)': (i) =>
    cookieValueStart(headers[i], IDENTITY_COOKIE) === -1 ? 0 : 1,
  'onebox part: AliasRouter.bucketOf alone (identity given)': (i) =>
    router.bucketOf(ids[i]) < alias.additional.weightBp ? 1 : 0,
  // The unprepared path (what the gateway ran before AliasRouter), for comparison.
  'onebox before: resolveIdentity + chooseVersion': (i) =>
    chooseVersion(alias, resolveIdentity({ cookie: headers[i] })?.id, Math.random).additional ? 1 : 0,
  'onebox before, part: bucketOf alone (identity given)': (i) =>
    bucketOf(alias.seed, ids[i]) < alias.additional.weightBp ? 1 : 0,
};
// The prepared router must decide exactly as the plain functions do, for every user.
for (const header of headers) {
  const want = chooseVersion(alias, resolveIdentity({ cookie: header })?.id, Math.random);
  const got = router.route(undefined, header, undefined, Math.random);
  if (got?.choice.version !== want.version) throw new Error(`AliasRouter disagrees with chooseVersion on ${header}`);
}
const names = Object.keys(contenders);
const [ONEBOX, , UNLEASH_COOKIE, UNLEASH_CONTEXT] = names;

/** The sink: results are summed and printed, so no call is dead code. */
const sinks = Object.fromEntries(names.map((n) => [n, 0]));

/**
 * A measuring loop of its own per contender, compiled separately (new Function), so that
 * no call site in it sees more than one contender and turns megamorphic: each contender is
 * measured as it would run inlined in its own hot path.
 */
const loops = Object.fromEntries(
  names.map((n) => [
    n,
    new Function(
      'fn',
      'iterations',
      'users',
      `let admitted = 0;
       for (let i = 0, u = 0; i < iterations; i++, u = u + 1 === users ? 0 : u + 1) admitted += fn(u);
       return admitted;`,
    ),
  ]),
);

function round(name) {
  const start = process.hrtime.bigint();
  const admitted = loops[name](contenders[name], iterations, USERS);
  const ns = Number(process.hrtime.bigint() - start);
  sinks[name] += admitted;
  return ns / iterations;
}

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};

log('# Decision benchmark: onebox vs unleash-client flexibleRollout');
log();
log(`- date: ${new Date().toISOString()}`);
log(`- machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`);
log(`- onebox: ${measuredCommit()}`);
log(`- node: ${process.version}; unleash-client ${unleashVersion}`);
log(
  `- ${USERS} users (22-character ids in a 3-cookie header) cycled; ${WEIGHT * 100}% on the new version; ${warmupRounds} warm-up and ${rounds} measured rounds of ${iterations.toLocaleString('en-US')} decisions per contender, alternating`,
);
log(`- command: \`${commandLine('bench:decision')}\``);
log();

for (let r = 0; r < warmupRounds; r++) for (const n of names) round(n);
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  // Rotate the order so that no contender always runs right after another's garbage.
  for (let k = 0; k < names.length; k++) {
    const n = names[(k + r) % names.length];
    results[n].push(round(n));
  }
}

log(row(['contender', 'median ns/decision', 'min', 'max', 'share of 1s in the sink']));
log(row(['---', '---:', '---:', '---:', '---:']));
const med = {};
const total = (warmupRounds + rounds) * iterations;
for (const n of names) {
  med[n] = median(results[n]);
  const share = `${((sinks[n] / total) * 100).toFixed(1)}%`;
  const min = Math.min(...results[n]).toFixed(1);
  const max = Math.max(...results[n]).toFixed(1);
  log(row([n, med[n].toFixed(1), min, max, share]));
}
log();
const vsCookie = med[UNLEASH_COOKIE] / med[ONEBOX];
const vsContext = med[UNLEASH_CONTEXT] / med[ONEBOX];
log(`- onebox is ${vsCookie.toFixed(2)}× as fast as unleash-client from the same Cookie header`);
log(`- onebox is ${vsContext.toFixed(2)}× as fast as unleash-client given a ready context (no cookie parsing)`);
log(
  `- goal routing decision ≥ ${GOAL_RATIO}× as fast as unleash-client's: ${vsCookie >= GOAL_RATIO ? 'met' : 'not met'} (${vsCookie.toFixed(2)}×)`,
);

writeReport(opts.out, lines);
