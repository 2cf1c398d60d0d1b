// npm run bench:shadow:handler: what a hung handler shadow costs a live handler version. One
// `onebox serve` with a live handler version (small JSON, answered at once) loaded by wrk with
// cookies, in interleaved rounds without a shadow and with a handler shadow that never answers
// (noise on: its reference copies run the live handler in the shadow's own pool), in the same
// process; prints each round's p99 and the paired ratio, and their median. See bench/README.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { loadGenerator } from '../gateway/load.mjs';
import { killAll, startOnebox, startUpstreams } from '../gateway/proxies.mjs';
import { commandLine, measuredCommit, median, positiveInt, row, writeReport } from '../common.mjs';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '16' },
    'timeout-ms': { type: 'string', default: '5000' },
    out: { type: 'string', default: 'docs/bench-shadow-handler.md' },
  },
});
const rounds = positiveInt('rounds', opts.rounds);
const duration = positiveInt('duration', opts.duration);
const connections = positiveInt('connections', opts.connections);
const timeoutMs = positiveInt('timeout-ms', opts['timeout-ms']);
/** The hung shadow may cost the live version's p99 at most this much. */
const P99_BOUND = 1.1;

const cookies = Array.from(
  { length: 1000 },
  (_, i) => `onebox-uid=${createHash('sha256').update(`bench-user-${i}`).digest('base64url').slice(0, 22)}`,
);
const dir = mkdtempSync(join(tmpdir(), 'onebox-bench-shadow-handler-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const LIVE = `export async function handler(event) {
  return { statusCode: 200, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: event.rawPath, price: 10, at: new Date().toISOString() }) };
}`;
const HUNG = 'export async function handler() { await new Promise(() => undefined); }';

const lines = [];
const log = (line = '') => {
  console.log(line);
  lines.push(line);
};

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

async function main() {
  const started = Date.now();
  writeFileSync(join(dir, 'live.mjs'), LIVE);
  writeFileSync(join(dir, 'hung.mjs'), HUNG);
  // The gateway benchmark's startOnebox publishes two URL versions (v1, v2); the handlers are v3, v4.
  const upstreams = await startUpstreams();
  const proc = await startOnebox(join(dir, 'box'), upstreams, 0);
  const token = /token: "([0-9a-f]+)"/.exec(readFileSync(join(dir, 'box', 'onebox.yaml'), 'utf8'))[1];
  const box = { ...proc, token };
  const publish = async (file, timeout) =>
    (
      await admin(box, 'POST', '/v1/components/web/versions', {
        handler: `${join(dir, file)}#handler`,
        timeoutMs: timeout,
      })
    ).version.number;
  const live = await publish('live.mjs', 3000);
  const hung = await publish('hung.mjs', 60_000);
  await admin(box, 'PUT', '/v1/components/web/alias', { version: live });
  const load = await loadGenerator({ dir, cookies, connections, threads: 1 });

  log('# Shadow benchmark: a hung handler shadow of a live handler version');
  log();
  log(`- command: \`${commandLine('bench:shadow:handler')}\`; commit ${measuredCommit()}`);
  log(`- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; load: ${load.version}`);
  log(
    `- live: handler v${live} (small JSON); shadow: handler v${hung} that never answers, share 1, ` +
      `timeoutMs ${timeoutMs}, maxInFlight 64, noise on (reference copies run v${live} in the shadow's own pool)`,
  );
  log(`- ${rounds} rounds × (no shadow, hung shadow) × ${duration} s, ${connections} connections, order alternating`);
  log();
  await load.run(box.url, 2); // warm the live handler's process and the gateway's JIT
  log(row(['round', 'no shadow p99 ms', 'hung shadow p99 ms', 'ratio', 'req/s (none / hung)', 'mirrored / dropped']));
  log(row(['---', '---', '---', '---', '---', '---']));
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['hung', 'none'] : ['none', 'hung'];
    const m = {};
    for (const scenario of order) {
      let before;
      if (scenario === 'hung') {
        await admin(box, 'POST', '/v1/components/web/shadow', { version: hung, timeoutMs });
        await load.run(box.url, 1); // the shadow's processes start and its 64 copies hang
        before = (await admin(box, 'GET', `/v1/components/web/shadow/report?version=${hung}`)).report.counters;
      }
      const run = await load.run(box.url, duration);
      if (scenario === 'hung') {
        const after = (await admin(box, 'GET', `/v1/components/web/shadow/report?version=${hung}`)).report.counters;
        run.mirrored = after.mirrored - before.mirrored;
        run.dropped = after.droppedInFlight - before.droppedInFlight;
        await admin(box, 'DELETE', '/v1/components/web/shadow');
      }
      m[scenario] = run;
    }
    const ratio = m.hung.p99Ms / m.none.p99Ms;
    ratios.push(ratio);
    log(
      row([
        String(r + 1),
        m.none.p99Ms.toFixed(2),
        m.hung.p99Ms.toFixed(2),
        `${ratio.toFixed(2)}×`,
        `${Math.round(m.none.requests / m.none.seconds)} / ${Math.round(m.hung.requests / m.hung.seconds)}`,
        `${m.hung.mirrored} / ${m.hung.dropped}`,
      ]),
    );
  }
  log();
  const med = median(ratios);
  log(
    `- hung handler shadow / no shadow, live p99: median of paired rounds ${med.toFixed(2)}× ` +
      `(goal: within ${Math.round((P99_BOUND - 1) * 100)}%: ${med <= P99_BOUND ? 'met' : 'not met'})`,
  );
  log(`(took ${Math.round((Date.now() - started) / 1000)} s)`);
  writeReport(opts.out, lines);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
