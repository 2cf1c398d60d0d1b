import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { prng } from '../helpers/random.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report, tally } from './figures.js';
import { chars, int, jsonValue, mutate, mutateText, pick, rawRequest } from './fuzz-inputs.js';
import { rawExchange } from './raw-http.js';
import { startServeProcess } from './serve-process.js';

/**
 * Bad input: seeded fuzzing of the gateway (raw bytes over real sockets), the admin API
 * (random JSON to every route, with the token) and the config loader. Replay a failure with
 * the printed seed: ONEBOX_FUZZ_SEED=<seed> ONEBOX_FUZZ_ITERATIONS=<n> npm run test:reliability -- bad-input
 */
const SEED = envInt('ONEBOX_FUZZ_SEED', Date.now() % 1_000_000_007);
/** Requests to the gateway; the admin API gets half as many, the config loader five times as many. */
const ITERATIONS = envInt('ONEBOX_FUZZ_ITERATIONS', 2_000);
const CONCURRENCY = 8;

/**
 * What the gateway may answer to a bad request: upstream's 200, the HTTP parser's 4xx/5xx
 * (400 malformed, 413/414/431 too large, 501 unknown transfer coding, 505 version), and
 * 417 for an unknown Expect, the gateway's own 502/504 (e.g. an upstream that refuses the forwarded request).
 * Never a 500: the request path never throws at a user.
 */
const GATEWAY_STATUSES = new Set([200, 400, 404, 405, 408, 413, 414, 417, 431, 501, 502, 504, 505]);
/** The admin API's answers to a bad body or path: success, or a clear client error. Never 500. */
const ADMIN_STATUSES = new Set([200, 201, 400, 404, 405, 409, 413, 415]);

describe(`bad input (seed ${SEED})`, () => {
  let v1: TestUpstream;
  let v2: TestUpstream;
  let onebox: Awaited<ReturnType<typeof startServeProcess>>;

  beforeAll(async () => {
    v1 = await startUpstream(labelled('v1'));
    v2 = await startUpstream(labelled('v2'));
    onebox = await startServeProcess({ v1: v1.url, v2: v2.url });
  });

  afterAll(async () => {
    await onebox?.close();
    await Promise.all([v1?.close(), v2?.close()]);
  });

  /** A well-formed request must still get the live version. */
  async function healthy(): Promise<boolean> {
    try {
      const res = await request(`${onebox.gatewayUrl}/api/items`, { headersTimeout: 3_000, bodyTimeout: 3_000 });
      await res.body.dump();
      return res.statusCode === 200 && onebox.exited() === undefined;
    } catch {
      return false;
    }
  }

  it('gateway: every raw request gets a defined status or a closed connection, and the next good one a 200', async () => {
    const r = prng(SEED);
    const port = Number(new URL(onebox.gatewayUrl).port);
    const inputs = Array.from({ length: ITERATIONS }, () => rawRequest(r));
    const statuses: (number | string)[] = [];
    const failures: string[] = [];
    let unhealthy = 0;
    for (let i = 0; i < inputs.length; i += CONCURRENCY) {
      const batch = inputs.slice(i, i + CONCURRENCY);
      const answers = await Promise.all(batch.map((bytes) => rawExchange(port, bytes)));
      answers.forEach((a, j) => {
        statuses.push(a.status ?? (a.timedOut ? 'waiting' : a.firstLine ? 'garbage' : 'closed'));
        const bad = a.status === undefined ? !!a.firstLine : !GATEWAY_STATUSES.has(a.status);
        if (bad)
          failures.push(
            `#${i + j} answered ${JSON.stringify(a.firstLine)} to ${JSON.stringify(batch[j]!.slice(0, 300))}`,
          );
      });
      if (!(await healthy())) {
        unhealthy++;
        failures.push(
          `after #${i}..${i + batch.length - 1} a good request failed (${onebox.exited() ?? 'still running'})`,
        );
        if (onebox.exited()) break;
      }
    }
    report(
      'bad-input gateway',
      { tries: statuses.length, failures: failures.length, lost: unhealthy },
      { seed: SEED, statuses: tally(statuses) },
    );
    expect(failures.slice(0, 5), onebox.output().slice(-2000)).toEqual([]);
    expect(onebox.exited()).toBeUndefined();
  });

  it('admin API: random JSON bodies to every route get a defined status, never a 500', async () => {
    const r = prng(SEED + 1);
    const component = (): string => pick(r, ['backend', 'frontend', 'frontend', 'nope', 'a'.repeat(63), 'Bad']);
    const n = (): string => pick(r, ['1', '2', '3', '9999999999', '0', String(int(r, 1, 50))]);
    const command = (): string => pick(r, ['pause', 'resume', 'promote', 'promote-all', 'rollback', 'stop']);
    /** Each route with a valid body to mutate. */
    const routes: { method: string; path: () => string; valid: unknown }[] = [
      { method: 'GET', path: () => '/v1/status', valid: undefined },
      { method: 'GET', path: () => `/v1/components/${component()}/versions`, valid: undefined },
      {
        method: 'POST',
        path: () => `/v1/components/${component()}/versions`,
        valid: { url: v2.url, description: 'd' },
      },
      {
        method: 'POST',
        path: () => `/v1/components/${component()}/versions`,
        valid: { handler: 'x.mjs', timeoutMs: 100 },
      },
      { method: 'GET', path: () => `/v1/components/${component()}/versions/${n()}`, valid: undefined },
      { method: 'POST', path: () => `/v1/components/${component()}/versions/${n()}/retire`, valid: {} },
      { method: 'DELETE', path: () => `/v1/components/${component()}/versions/${n()}`, valid: undefined },
      { method: 'GET', path: () => `/v1/components/${component()}/alias`, valid: undefined },
      {
        method: 'PUT',
        path: () => `/v1/components/${component()}/alias`,
        valid: { version: 1, weights: { '2': 0.2 } },
      },
      { method: 'GET', path: () => '/v1/metrics', valid: undefined },
      {
        method: 'POST',
        path: () => '/v1/releases',
        valid: {
          components: [
            { component: 'backend', version: 2 },
            { component: 'frontend', version: 2, after: ['backend'] },
          ],
        },
      },
      {
        method: 'GET',
        path: () => `/v1/deployments/${chars(r, int(r, 1, 20), 'abcdef0123456789-')}`,
        valid: undefined,
      },
      { method: 'POST', path: () => `/v1/components/${component()}/deployment/${command()}`, valid: {} },
      { method: 'POST', path: () => `/v1/components/${component()}/invoke`, valid: { event: { rawPath: '/' } } },
      { method: 'POST', path: () => `/v1/components/${component()}/shadow`, valid: { version: 2, share: 0.5 } },
      { method: 'DELETE', path: () => `/v1/components/${component()}/shadow`, valid: undefined },
      { method: 'GET', path: () => `/v1/components/${component()}/shadow/report?version=${n()}`, valid: undefined },
      { method: 'GET', path: () => `/v1/history?limit=${pick(r, ['1', '-1', 'x', '99999', ''])}`, valid: undefined },
      { method: pick(r, ['PATCH', 'PUT', 'GET']), path: () => `/v1/${chars(r, int(r, 0, 30), 'abc/%.-')}`, valid: {} },
    ];
    const tries = Math.max(routes.length, Math.round(ITERATIONS / 2));
    const statuses: number[] = [];
    const failures: string[] = [];
    let previous = '(none)';
    for (let i = 0; i < tries; i++) {
      const route = routes[i % routes.length]!;
      const body = pick(r, [
        () => mutate(r, route.valid ?? {}),
        () => mutate(r, mutate(r, route.valid ?? {})),
        () => jsonValue(r),
        () => chars(r, int(r, 0, 100)), // not JSON at all
        () => `{"a":${'['.repeat(int(r, 10, 5_000))}`, // deep nesting
        () => ({ big: 'x'.repeat(int(r, 1, 3) * 1_000_000) }),
      ])();
      const path = route.path();
      const said = `${route.method} ${path} ${JSON.stringify(body)?.slice(0, 100)}`;
      try {
        const res = await onebox.admin(route.method, path, route.method === 'GET' ? undefined : body);
        statuses.push(res.status);
        if (!ADMIN_STATUSES.has(res.status))
          failures.push(
            `${route.method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 200)}`,
          );
        else if (res.status >= 400 && !/"message":"[^"]+"/.test(res.text))
          failures.push(`${route.method} ${path} -> ${res.status} without a message: ${res.text.slice(0, 200)}`);
        previous = `${said} -> ${res.status}`;
      } catch (err) {
        failures.push(`${route.method} ${path}: ${(err as Error).message} (after ${previous})`);
      }
    }
    const alive = (await onebox.admin('GET', '/healthz')).status === 200 && (await healthy());
    report(
      'bad-input admin',
      { tries, failures: failures.length, lost: alive ? 0 : 1 },
      { seed: SEED, statuses: tally(statuses) },
    );
    expect(failures.slice(0, 5), onebox.output().slice(-2000)).toEqual([]);
    expect(alive).toBe(true);
  });

  it('config loader: random and mutated YAML/JSON documents give a config or a ConfigError, nothing else', () => {
    const r = prng(SEED + 2);
    const dir = mkdtempSync(join(tmpdir(), 'onebox-config-fuzz-'));
    const file = join(dir, 'onebox.yaml');
    const valid = {
      gateway: { listen: '127.0.0.1:8080', identityHeader: 'x-user-id', trustProxy: false, headersTimeoutMs: 1000 },
      admin: {
        listen: '127.0.0.1:8081',
        token: 'a-token-of-16-chars!',
        tokens: [{ name: 'alice', token: 'alice-token-0123456789' }],
      },
      state: { dir: '.onebox' },
      controller: { interval: '1s' },
      components: [
        {
          name: 'backend',
          route: '/api',
          deployment: { config: 'linear:25%:1m', alarms: { minRequests: 5, maxErrorRate: 0.01 } },
        },
        {
          name: 'frontend',
          route: '/',
          deployment: { config: 'onebox:20%:10m', judge: { enabled: false }, maxExtension: '5m' },
        },
      ],
    };
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    const tries = ITERATIONS * 5;
    const outcomes: string[] = [];
    const failures: string[] = [];
    for (let i = 0; i < tries; i++) {
      const kind = pick(r, ['object', 'object', 'yaml', 'yaml', 'json', 'random']);
      let input: unknown;
      let text: string | undefined;
      if (kind === 'object') input = mutate(r, mutate(r, valid));
      else if (kind === 'random') input = jsonValue(r, 4);
      else if (kind === 'json') text = mutateText(r, JSON.stringify(mutate(r, valid), null, int(r, 0, 2)));
      else text = i % 97 === 0 ? bomb : mutateText(r, stringify(mutate(r, valid)));
      try {
        if (text === undefined) parseConfig(input);
        else {
          writeFileSync(file, text);
          loadConfigFile(file);
        }
        outcomes.push('valid');
      } catch (err) {
        if (err instanceof ConfigError && err.problems.length > 0 && err.problems.every((p) => p.length > 0)) {
          outcomes.push('ConfigError');
        } else {
          outcomes.push('other');
          failures.push(`${kind} ${JSON.stringify(text ?? input)?.slice(0, 300)} threw ${String(err)}`);
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
    report(
      'bad-input config',
      { tries, failures: failures.length, lost: 0 },
      { seed: SEED, outcomes: tally(outcomes) },
    );
    expect(failures.slice(0, 5)).toEqual([]);
    // The fuzzer is not vacuous: it reaches both outcomes.
    expect(outcomes).toContain('valid');
    expect(outcomes).toContain('ConfigError');
  });
});
