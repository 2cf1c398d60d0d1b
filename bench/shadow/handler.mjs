// npm run bench:shadow:handler: what a hung handler shadow costs a live handler version. Two
// `onebox serve` processes with a live handler version (small JSON, answered at once), loaded
// by wrk at the same time; in each round one of them (alternating) has a handler shadow that
// never answers (noise on: its reference copies run the live handler in the shadow's own pool).
// Prints each round's two p99s and their ratio, and the median ratio. See bench/README.md.
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

/** A fresh `onebox serve` with the live handler (the alias) and the hung one published. */
async function startBox(name, upstreams) {
  // The gateway benchmark's startOnebox publishes two URL versions (v1, v2); the handlers are v3, v4.
  const proc = await startOnebox(join(dir, name), upstreams, 0);
  const token = /token: "([0-9a-f]+)"/.exec(readFileSync(join(dir, name, 'onebox.yaml'), 'utf8'))[1];
  const box = { ...proc, token };
  const publish = async (file, timeout) =>
    (
      await admin(box, 'POST', '/v1/components/web/versions', {
        handler: `${join(dir, file)}#handler`,
        timeoutMs: timeout,
      })
    ).version.number;
  box.live = await publish('live.mjs', 3000);
  box.hung = await publish('hung.mjs', 60_000);
  await admin(box, 'PUT', '/v1/components/web/alias', { version: box.live });
  return box;
}

const counters = async (box) =>
  (await admin(box, 'GET', `/v1/components/web/shadow/report?version=${box.hung}`)).report.counters;

async function main() {
  const started = Date.now();
  writeFileSync(join(dir, 'live.mjs'), LIVE);
  writeFileSync(join(dir, 'hung.mjs'), HUNG);
  const upstreams = await startUpstreams();
  const boxes = [await startBox('a', upstreams), await startBox('b', upstreams)];
  const load = await loadGenerator({ dir, cookies, connections, threads: 1 });

  log('# Shadow benchmark: a hung handler shadow of a live handler version');
  log();
  log(`- command: \`${commandLine('bench:shadow:handler')}\`; commit ${measuredCommit()}`);
  log(`- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; load: ${load.version}`);
  log(
    `- two \`onebox serve\` processes, A and B, each with a live handler version (small JSON); in each round one ` +
      `of them (A, B, A, ...) has a shadow: a handler version that never answers, share 1, timeoutMs ${timeoutMs}, ` +
      "maxInFlight 64, noise on (reference copies run the live handler in the shadow's own pool)",
  );
  log(
    `- each round loads both at the same time (one wrk each, ${connections} connections, the same cookies), 2 s of ` +
      `warm-up with the shadow set, then ${duration} s measured: both see the same background load, which on this ` +
      'shared machine moves p99 far more than 10% from one second to the next',
  );
  log();
  await Promise.all(boxes.map((b) => load.run(b.url, 2))); // warm the live handlers and the JIT
  log(
    row([
      'round',
      'shadowed',
      'no shadow p99 ms',
      'hung shadow p99 ms',
      'ratio',
      'req/s (none / hung)',
      'mirrored / dropped',
    ]),
  );
  log(row(['---', '---', '---', '---', '---', '---', '---']));
  /** One round: `shadowed` has the hung shadow, `plain` none, both loaded at once; its table row. */
  const round = async (label, shadowed, plain) => {
    await admin(shadowed, 'POST', '/v1/components/web/shadow', { version: shadowed.hung, timeoutMs });
    // The shadow's two processes start and its 64 copies hang.
    await Promise.all([load.run(shadowed.url, 2), load.run(plain.url, 2)]);
    const before = await counters(shadowed);
    const [hung, none] = await Promise.all([load.run(shadowed.url, duration), load.run(plain.url, duration)]);
    const after = await counters(shadowed);
    await admin(shadowed, 'DELETE', '/v1/components/web/shadow');
    const ratio = hung.p99Ms / none.p99Ms;
    log(
      row([
        label,
        shadowed === boxes[0] ? 'A' : 'B',
        none.p99Ms.toFixed(2),
        hung.p99Ms.toFixed(2),
        `${ratio.toFixed(2)}×`,
        `${Math.round(none.requests / none.seconds)} / ${Math.round(hung.requests / hung.seconds)}`,
        `${after.mirrored - before.mirrored} / ${after.droppedInFlight - before.droppedInFlight}`,
      ]),
    );
    return ratio;
  };
  // Each process's first shadow is not measured: it is when the shadow's pool and its first
  // processes start in that process (a one-off), shown as the "first" rows.
  await round('first', boxes[0], boxes[1]);
  await round('first', boxes[1], boxes[0]);
  const ratios = [];
  for (let r = 0; r < rounds; r++) ratios.push(await round(String(r + 1), boxes[r % 2], boxes[1 - (r % 2)]));
  log();
  const med = median(ratios);
  log(
    `- hung handler shadow / no shadow, live p99: median of the ${rounds} paired rounds ${med.toFixed(2)}× ` +
      `(per round ${ratios.map((x) => x.toFixed(2)).join(', ')}; goal: within ${Math.round((P99_BOUND - 1) * 100)}%: ` +
      `${med <= P99_BOUND ? 'met' : 'not met'})`,
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
