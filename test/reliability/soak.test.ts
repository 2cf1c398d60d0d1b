import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng, randomCookieId } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report } from './figures.js';
import { startServeProcess } from './serve-process.js';

/**
 * Soak: mixed traffic (new and returning users, both components, GET and POST, baggage hops)
 * while releases follow each other, for ONEBOX_SOAK_SECONDS (default 600: the ten
 * minutes). The onebox is a real `onebox serve` child process, released through its admin
 * API; the traffic, the releases and the upstreams run here. So what is sampled is the
 * onebox alone: its RSS as the kernel counts it (/proc/<pid>/status), and its heap, active
 * resources (what `process.getActiveResourcesInfo()` lists: sockets, timers...) and open
 * file descriptors as its own `/metrics` exports them. After a warm-up, the last third's
 * medians must stay within a tolerance of the first third's.
 *
 * ONEBOX_SOAK_SNAPSHOTS=<dir> also writes a heap snapshot of the child at the end of the
 * warm-up and at the end (node's --heapsnapshot-signal), to diff by constructor.
 */
const SECONDS = envInt('ONEBOX_SOAK_SECONDS', 600);
const SEED = envInt('ONEBOX_FUZZ_SEED', 42);
const SNAPSHOTS = process.env.ONEBOX_SOAK_SNAPSHOTS || undefined;
/** Gateway worker processes (`gateway.workers`); their RSS counts with the main process's. */
const WORKERS = envInt('ONEBOX_SOAK_WORKERS', 0);
/** Parallel request loops, each pausing 2 ms between requests (a few hundred requests/s here). */
const LOOPS = 4;
/** Samples taken before this share of the run are warm-up (JIT, pools, SQLite cache filling up). */
const WARM_UP = 0.2;
/** The last third's median RSS or heap may exceed the first third's by this share plus MEMORY_SLACK_MB. */
const MEMORY_TOLERANCE = 0.2;
const MEMORY_SLACK_MB = 24;
/** The last third's median count of active resources or open descriptors may exceed the first third's by this many. */
const HANDLE_SLACK = 16;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const MiB = 2 ** 20;

/**
 * The child's resident set with its own children's (gateway workers), from the kernel:
 * nothing the child reports about itself.
 */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  const childrenMiB = children ? children.split(' ').reduce((sum, child) => sum + rssMiB(Number(child)), 0) : 0;
  return Number(m[1]) / 1024 + childrenMiB;
}

/** One unlabelled series' value from Prometheus text. */
function series(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

describe(`soak (${SECONDS} s)`, () => {
  let onebox: Awaited<ReturnType<typeof startServeProcess>>;
  const ups: TestUpstream[] = [];
  const agent = new Agent({ connections: 16 });

  beforeAll(async () => {
    // record: false, or the upstreams keep every request's headers (this process's memory, for good).
    for (const label of ['even', 'odd']) ups.push(await startUpstream(labelled(label), { record: false }));
    onebox = await startServeProcess({ v1: ups[0]!.url, v2: ups[1]!.url }, [], {
      // The soak watches resources, not gates: a step short of data goes on rather than pausing.
      deployment: 'onInconclusive: proceed',
      gateway: `workers: ${WORKERS}`,
      env: SNAPSHOTS ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOTS}` } : {},
    });
  });

  afterAll(async () => {
    await onebox?.close();
    await Promise.all(ups.map((u) => u.close()));
    await agent.close();
  });

  it(
    "keeps the onebox process's RSS, heap and open handles flat through traffic and releases",
    async () => {
      const until = Date.now() + SECONDS * 1000;
      let requests = 0;
      const bad: string[] = [];
      let errors = 0;
      const users = Array.from({ length: 2_000 }, (_, i) => randomCookieId(prng(SEED + i)));
      const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
        const res = await onebox.admin(method, path, body);
        if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${res.text}`);
        return JSON.parse(res.text) as T;
      };

      const loop = async (n: number): Promise<void> => {
        const r = prng(SEED * 31 + n);
        while (Date.now() < until) {
          const returning = r() < 0.9;
          const id = users[Math.floor(r() * users.length)]!;
          const path = r() < 0.5 ? `/api/items/${Math.floor(r() * 100)}` : `/page/${Math.floor(r() * 50)}`;
          const post = r() < 0.1;
          const headers: Record<string, string> = returning ? { cookie: `onebox-uid=${id}` } : {};
          if (r() < 0.1) headers.baggage = `onebox-uid=${id},other=1`;
          try {
            const res = await request(`${onebox.gatewayUrl}${path}`, {
              dispatcher: agent,
              method: post ? 'POST' : 'GET',
              headers: post ? { ...headers, 'content-type': 'application/json' } : headers,
              body: post ? JSON.stringify({ n: requests }) : undefined,
              headersTimeout: 5_000,
              bodyTimeout: 5_000,
            });
            await res.body.dump();
            requests++;
            if (res.statusCode !== 200) bad.push(`${path} -> ${res.statusCode}`);
          } catch (err) {
            errors++;
            bad.push(`${path}: ${(err as Error).message}`);
          }
          await sleep(2);
        }
      };

      let releases = 0;
      const failedReleases: string[] = [];
      const releaser = async (): Promise<void> => {
        await sleep(1_000);
        while (Date.now() < until - 5_000) {
          const next = releases % 2 === 0 ? ups[1]! : ups[0]!;
          const versions: number[] = [];
          for (const c of ['backend', 'frontend']) {
            const { version } = await admin<{ version: { number: number } }>('POST', `/v1/components/${c}/versions`, {
              url: next.url,
              description: `soak ${releases}`,
            });
            versions.push(version.number);
          }
          const { deployments } = await admin<{ deployments: { id: string }[] }>('POST', '/v1/releases', {
            components: [
              { component: 'backend', version: versions[0] },
              { component: 'frontend', version: versions[1], after: ['backend'] },
            ],
          });
          const deadline = Date.now() + 30_000;
          for (;;) {
            const states: string[] = [];
            for (const d of deployments)
              states.push(
                (await admin<{ deployment: { state: { status: string } } }>('GET', `/v1/deployments/${d.id}`))
                  .deployment.state.status,
              );
            if (states.every((s) => s === 'succeeded')) break;
            if (
              states.some((s) => ['rolled-back', 'stopped', 'skipped', 'paused'].includes(s)) ||
              Date.now() > deadline
            ) {
              failedReleases.push(`release ${releases}: ${states.join(',')}`);
              // Refused (409) when that component's deployment is not active any more.
              for (const c of ['backend', 'frontend'])
                await onebox.admin('POST', `/v1/components/${c}/deployment/stop`);
              break;
            }
            await sleep(50);
          }
          // Old versions are retired as a team would, so the alias history stays short.
          for (const [i, c] of ['backend', 'frontend'].entries()) {
            const { alias } = await admin<{ alias: { version: number } }>('GET', `/v1/components/${c}/alias`);
            const { versions: all } = await admin<{ versions: { number: number; retiredAt?: string | null }[] }>(
              'GET',
              `/v1/components/${c}/versions`,
            );
            for (const v of all)
              if (!v.retiredAt && v.number !== alias.version && v.number !== versions[i])
                await admin('POST', `/v1/components/${c}/versions/${v.number}/retire`);
          }
          releases++;
        }
      };

      const samples: { at: number; rss: number; heap: number; resources: number; fds: number }[] = [];
      let snapshots = 0;
      const sampler = async (): Promise<void> => {
        const every = Math.max(250, Math.round((SECONDS * 1000) / 120));
        const start = Date.now();
        while (Date.now() < until) {
          const at = (Date.now() - start) / 1000;
          if (SNAPSHOTS && snapshots === 0 && at >= SECONDS * WARM_UP) {
            process.kill(onebox.pid, 'SIGUSR2');
            snapshots++;
          }
          const scraped = await onebox.admin('GET', '/metrics').catch(() => undefined);
          const text = scraped?.status === 200 ? scraped.text : undefined;
          samples.push({
            at,
            rss: rssMiB(onebox.pid),
            heap: text ? series(text, 'nodejs_heap_size_used_bytes') / MiB : NaN,
            resources: text ? series(text, 'nodejs_active_resources_total') : NaN,
            fds: text ? series(text, 'process_open_fds') : NaN,
          });
          await sleep(every);
        }
      };

      await Promise.all([...Array.from({ length: LOOPS }, (_, i) => loop(i)), releaser(), sampler()]);
      if (SNAPSHOTS) process.kill(onebox.pid, 'SIGUSR2');

      const steady = samples.filter((s) => s.at >= SECONDS * WARM_UP);
      const third = Math.max(1, Math.floor(steady.length / 3));
      const first = steady.slice(0, third);
      const last = steady.slice(-third);
      type Key = 'rss' | 'heap' | 'resources' | 'fds';
      const of = (k: Key) => ({ first: median(first.map((s) => s[k])), last: median(last.map((s) => s[k])) });
      const rss = of('rss');
      const heap = of('heap');
      const resources = of('resources');
      const fds = of('fds');
      const flat = {
        rss: rss.last <= rss.first * (1 + MEMORY_TOLERANCE) + MEMORY_SLACK_MB,
        heap: heap.last <= heap.first * (1 + MEMORY_TOLERANCE) + MEMORY_SLACK_MB,
        resources: resources.last <= resources.first + HANDLE_SLACK,
        fds: fds.last <= fds.first + HANDLE_SLACK,
      };
      const scrapeFailures = samples.filter((s) => Number.isNaN(s.heap)).length;
      const crashed = onebox.exited();
      report(
        'soak',
        {
          tries: requests,
          failures:
            bad.length +
            failedReleases.length +
            scrapeFailures +
            (crashed ? 1 : 0) +
            Object.values(flat).filter((ok) => !ok).length,
          lost: errors,
        },
        {
          seconds: SECONDS,
          workers: WORKERS,
          releases,
          failedReleases: failedReleases.length,
          rssMiB: `${rss.first.toFixed(0)}->${rss.last.toFixed(0)}`,
          heapMiB: `${heap.first.toFixed(0)}->${heap.last.toFixed(0)}`,
          resources: `${resources.first}->${resources.last}`,
          fds: `${fds.first}->${fds.last}`,
          samples: samples.length,
          // The median RSS of each tenth of the run: where any growth happened.
          rssTenthsMiB: Array.from({ length: 10 }, (_, i) =>
            median(samples.slice((i * samples.length) / 10, ((i + 1) * samples.length) / 10).map((s) => s.rss)).toFixed(
              0,
            ),
          ).join(','),
        },
      );
      expect(crashed).toBeUndefined();
      expect(bad.slice(0, 5)).toEqual([]);
      expect(failedReleases.slice(0, 5)).toEqual([]);
      expect(scrapeFailures).toBe(0);
      expect(releases).toBeGreaterThan(0);
      expect(flat, JSON.stringify({ rss, heap, resources, fds })).toEqual({
        rss: true,
        heap: true,
        resources: true,
        fds: true,
      });
    },
    (SECONDS + 120) * 1000,
  );
});
