import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { bucketOf } from '../../src/core/index.js';

// The benchmarks run against dist/ and the product's internals; these small runs keep them
// from rotting unseen when the product changes (npm test builds dist/ first).
const bench = (path: string): string => fileURLToPath(new URL(`../../bench/${path}`, import.meta.url));

function run(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bench(script), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Proxies {
  startUpstreams(): Promise<{ v1: string; v2: string; stop(): Promise<void> }>;
  startNodePeer(
    name: string,
    script: string,
    upstreams: { v1: string; v2: string },
    seed: string,
    weightBp: number,
  ): Promise<{ url: string; stop(): Promise<void> }>;
  killAll(): void;
}

describe('benchmarks (small runs)', () => {
  let proxies: Proxies | undefined;
  afterAll(() => proxies?.killAll());

  it('decision: every contender decides, 20% on the new version, and a goal line is printed', async () => {
    const r = await run('decision/run.mjs', [
      '--rounds',
      '1',
      '--warmup-rounds',
      '1',
      '--iterations',
      '20000',
      '--out',
      '',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| onebox: AliasRouter\.route [^|]*\| [\d.]+ \|.*\| 20\.0% \|/);
    expect(r.stdout).toMatch(/\| onebox before: resolveIdentity \+ chooseVersion \| [\d.]+ \|.*\| 20\.0% \|/);
    expect(r.stdout).toMatch(
      /\| unleash-client flexibleRollout \(userId read from the same Cookie header\) \|.*\| 2\d\.\d% \|/,
    );
    expect(r.stdout).toMatch(/goal routing decision ≥ 3× as fast as unleash-client's: (met|not met) \([\d.]+×\)/);
  });

  it('controller: ticks an engine whose components all have a deployment in progress', async () => {
    const r = await run('controller/run.mjs', ['--components', '20', '--ticks', '3', '--out', '']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('20 deployments still in progress after the last tick');
    expect(r.stdout).toMatch(/\| 20 deployments \(3 ticks\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|/);
    expect(r.stdout).toMatch(
      /routing after one alias change \(wall, median\): [\d.]+ ms rebuilding only that component's entry/,
    );
  });

  it('the whole-suite runner refuses an unknown benchmark by name', async () => {
    const r = await run('run.mjs', ['--only', 'gateway,nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown benchmark nonsense');
  });

  it.each([
    ['http-proxy', 'http-proxy-peer.mjs'],
    ['fastify', 'fastify-peer.mjs'],
  ])('gateway peer %s makes the same sticky choice as bucketOf', async (name, script) => {
    proxies = (await import(bench('gateway/proxies.mjs'))) as Proxies;
    const upstreams = await proxies.startUpstreams();
    const peer = await proxies.startNodePeer(name, script, upstreams, 'web@2', 2000);
    try {
      let agree = 0;
      for (let i = 0; i < 200; i++) {
        const id = `smoke-user-${i}`.padEnd(22, 'x');
        const res = await request(peer.url, { headers: { cookie: `theme=dark; onebox-uid=${id}` } });
        await res.body.dump();
        expect(res.statusCode).toBe(200);
        if (res.headers['x-upstream'] === (bucketOf('web@2', id) < 2000 ? 'v2' : 'v1')) agree++;
      }
      expect(agree).toBe(200);
    } finally {
      await peer.stop();
      await upstreams.stop();
    }
  });
});
