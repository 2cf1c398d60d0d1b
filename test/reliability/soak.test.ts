import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { prng, randomCookieId } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report } from './figures.js';

/**
 * Soak: mixed traffic (new and returning users, both components, GET and POST, baggage hops)
 * while releases follow each other, for ONEBOX_SOAK_SECONDS (default 600: the ten
 * minutes). The onebox runs in this process with its real controller and clock, so RSS and
 * open handles (process.getActiveResourcesInfo()) are sampled here; after a warm-up, the
 * last third's medians must stay within a tolerance of the first third's.
 */
const SECONDS = envInt('ONEBOX_SOAK_SECONDS', 600);
const SEED = envInt('ONEBOX_FUZZ_SEED', 42);
/** Parallel request loops, each pausing 2 ms between requests (a few hundred requests/s here). */
const LOOPS = 4;
/** Samples taken before this share of the run are warm-up (JIT, pools, SQLite cache filling up). */
const WARM_UP = 0.2;
/** The last third's median RSS may exceed the first third's by this share plus RSS_SLACK_MB. */
const RSS_TOLERANCE = 0.2;
const RSS_SLACK_MB = 24;
/** The last third's median count of open handles may exceed the first third's by this many. */
const HANDLE_SLACK = 16;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

describe(`soak (${SECONDS} s)`, () => {
  let onebox: TestOnebox;
  const ups: TestUpstream[] = [];
  const agent = new Agent({ connections: 16 });

  beforeAll(async () => {
    for (const label of ['even', 'odd']) ups.push(await startUpstream(labelled(label)));
    const deployment = (config: string) => ({
      config,
      alarms: { minRequests: 5 },
      judge: { enabled: false },
      // The soak watches resources, not gates: a step short of data goes on rather than pausing.
      onInconclusive: 'proceed' as const,
    });
    onebox = await startTestOnebox(
      {
        controller: { interval: '50ms' },
        components: [
          { name: 'backend', route: '/api', deployment: deployment('linear:50%:1s') },
          { name: 'frontend', route: '/', deployment: deployment('onebox:20%:1s') },
        ],
      },
      { manualTicks: false, feedIntervalMs: 1000 },
    );
    for (const c of ['backend', 'frontend']) {
      onebox.plane.publish(c, ups[0]!.url, 'v1');
      onebox.plane.setAlias(c, { version: 1 });
    }
  });

  afterAll(async () => {
    await onebox?.close();
    await Promise.all(ups.map((u) => u.close()));
    await agent.close();
  });

  it(
    'keeps RSS and open handles flat through traffic and releases',
    async () => {
      const until = Date.now() + SECONDS * 1000;
      let requests = 0;
      const bad: string[] = [];
      let errors = 0;
      const users = Array.from({ length: 2_000 }, (_, i) => randomCookieId(prng(SEED + i)));

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
          const versions = ['backend', 'frontend'].map(
            (c) => onebox.plane.publish(c, next.url, `soak ${releases}`).number,
          );
          const records = onebox.plane.release(
            {
              components: [
                { component: 'backend', version: versions[0]! },
                { component: 'frontend', version: versions[1]!, after: ['backend'] },
              ],
            },
            'soak',
          );
          const deadline = Date.now() + 30_000;
          for (;;) {
            const states = records.map((d) => onebox.plane.deployment(d.id).state.status);
            if (states.every((s) => s === 'succeeded')) break;
            if (
              states.some((s) => ['rolled-back', 'stopped', 'skipped', 'paused'].includes(s)) ||
              Date.now() > deadline
            ) {
              failedReleases.push(`release ${releases}: ${states.join(',')}`);
              for (const c of ['backend', 'frontend']) {
                try {
                  onebox.plane.command(c, 'stop', 'soak');
                } catch {
                  // not active any more
                }
              }
              break;
            }
            await sleep(50);
          }
          // Old versions are retired as a team would, so the alias history stays short.
          for (const [i, c] of ['backend', 'frontend'].entries()) {
            const live = onebox.plane.alias(c)!.version;
            for (const v of onebox.plane.versions(c))
              if (!v.retiredAt && v.number !== live && v.number !== versions[i]) onebox.plane.retire(c, v.number);
          }
          releases++;
        }
      };

      const samples: { at: number; rss: number; heap: number; handles: number }[] = [];
      const sampler = async (): Promise<void> => {
        const every = Math.max(250, Math.round((SECONDS * 1000) / 120));
        const start = Date.now();
        const gc = (globalThis as { gc?: () => void }).gc;
        while (Date.now() < until) {
          gc?.(); // what is retained, not what awaits collection (vitest.reliability.config.ts exposes it)
          const m = process.memoryUsage();
          samples.push({
            at: (Date.now() - start) / 1000,
            rss: m.rss / 2 ** 20,
            heap: m.heapUsed / 2 ** 20,
            handles: process.getActiveResourcesInfo().length,
          });
          await sleep(every);
        }
      };

      await Promise.all([...Array.from({ length: LOOPS }, (_, i) => loop(i)), releaser(), sampler()]);

      const steady = samples.filter((s) => s.at >= SECONDS * WARM_UP);
      const third = Math.max(1, Math.floor(steady.length / 3));
      const first = steady.slice(0, third);
      const last = steady.slice(-third);
      const of = (xs: typeof samples, k: 'rss' | 'heap' | 'handles'): number => median(xs.map((s) => s[k]));
      const rss = { first: of(first, 'rss'), last: of(last, 'rss') };
      const heap = { first: of(first, 'heap'), last: of(last, 'heap') };
      const handles = { first: of(first, 'handles'), last: of(last, 'handles') };
      const rssFlat = rss.last <= rss.first * (1 + RSS_TOLERANCE) + RSS_SLACK_MB;
      const handlesFlat = handles.last <= handles.first + HANDLE_SLACK;
      report(
        'soak',
        {
          tries: requests,
          failures: bad.length + failedReleases.length + (rssFlat ? 0 : 1) + (handlesFlat ? 0 : 1),
          lost: errors,
        },
        {
          seconds: SECONDS,
          releases,
          failedReleases: failedReleases.length,
          rssMiB: `${rss.first.toFixed(0)}->${rss.last.toFixed(0)}`,
          heapMiB: `${heap.first.toFixed(0)}->${heap.last.toFixed(0)}`,
          handles: `${handles.first}->${handles.last}`,
          samples: samples.length,
        },
      );
      expect(bad.slice(0, 5)).toEqual([]);
      expect(failedReleases.slice(0, 5)).toEqual([]);
      expect(releases).toBeGreaterThan(0);
      expect(rss.last, `RSS medians (MiB) first third ${rss.first}, last third ${rss.last}`).toBeLessThanOrEqual(
        rss.first * (1 + RSS_TOLERANCE) + RSS_SLACK_MB,
      );
      expect(handles.last).toBeLessThanOrEqual(handles.first + HANDLE_SLACK);
    },
    (SECONDS + 120) * 1000,
  );
});
