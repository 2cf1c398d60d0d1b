import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { runCli, startServe } from '../helpers/cli.js';

describe('the onebox CLI against a real `onebox serve`', () => {
  let dir: string;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let serve: Awaited<ReturnType<typeof startServe>>;
  const cli = (...args: string[]) => runCli(args, { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-cli-'));
    [v1, v2] = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    writeFileSync(
      join(dir, 'onebox.yaml'),
      [
        'gateway:',
        '  listen: 127.0.0.1:0',
        'admin:',
        '  listen: 127.0.0.1:0',
        'components:',
        '  - name: api',
        '    route: /api',
        '',
      ].join('\n'),
    );
    serve = await startServe([], { cwd: dir, env: { ONEBOX_ADMIN_TOKEN: '' } });
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await Promise.all([v1.close(), v2.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes versions, moves the alias and reports status, finding the generated token itself', async () => {
    const admin = ['--admin-url', serve.adminUrl];
    const p1 = await cli('publish', 'api', '--url', v1.url, '--description', 'first', ...admin);
    expect(p1).toMatchObject({ code: 0 });
    expect(p1.stdout).toContain('published api version 1');
    const p2 = await cli('publish', 'api', '--url', v2.url, '--json', ...admin);
    expect(JSON.parse(p2.stdout)).toMatchObject({ component: 'api', number: 2, target: v2.url });

    const a = await cli('alias', 'api', '--version', '1', '--weight', '2=0.25', ...admin);
    expect(a.stdout.trim()).toBe('api: live -> v1 75%, v2 25% (sticky)');

    const res = await request(`${serve.gatewayUrl}/api/x`);
    expect(await res.body.json()).toMatchObject({ path: '/api/x' });

    const versions = JSON.parse((await cli('versions', 'api', '--json', ...admin)).stdout);
    expect(versions.versions.map((v: { number: number }) => v.number)).toEqual([1, 2]);
    expect(versions.alias).toMatchObject({ version: 1, additional: { version: 2, weightBp: 2500 }, mode: 'sticky' });
    expect((await cli('versions', 'api', ...admin)).stdout).toMatch(/2\s+http\S+\s+live 25%/);

    const status = await cli('status', ...admin);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('api (/api)  live -> v1 75%, v2 25% (sticky)');
    const statusJson = JSON.parse((await cli('status', '--json', ...admin)).stdout);
    const requests = statusJson.components[0].metrics.reduce((n: number, m: { requests: number }) => n + m.requests, 0);
    expect(requests).toBe(1);
  });

  it('refuses bad requests with a clear error and a non-zero exit, changing nothing', async () => {
    const admin = ['--admin-url', serve.adminUrl];
    const before = (await cli('versions', 'api', '--json', ...admin)).stdout;
    const cases: [string[], RegExp][] = [
      [['publish', 'nope', '--url', v1.url], /unknown component "nope" \(known: api\)/],
      [['publish', 'api', '--url', 'ftp://x'], /url: expected an http\(s\) URL/],
      [['alias', 'api', '--version', '9'], /has no version 9/],
      [['alias', 'api', '--version', '1', '--weight', '2=1.5'], /expected VERSION=WEIGHT with a weight from 0 to 1/],
      [['alias', 'api', '--version', 'x'], /--version must be a positive whole number, got "x"/],
      [['retire', 'api', '1'], /in the live alias/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args, ...admin);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect((await cli('versions', 'api', '--json', ...admin)).stdout).toBe(before);
  });

  it('never routes to a retired version', async () => {
    const admin = ['--admin-url', serve.adminUrl];
    await cli('alias', 'api', '--version', '1', ...admin);
    expect((await cli('retire', 'api', '2', ...admin)).code).toBe(0);
    const r = await cli('alias', 'api', '--version', '1', '--weight', '2=0.5', ...admin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/version 2 is retired/);
  });

  it('rejects a missing or wrong token with 401 and shows no data', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic abc' }]) {
      const res = await request(`${serve.adminUrl}/v1/status`, { headers });
      expect(res.statusCode).toBe(401);
      expect(await res.body.text()).not.toContain('api');
    }
    const r = await runCli(['status', '--admin-url', serve.adminUrl, '--token', 'wrong-token-wrong-token'], {
      cwd: tmpdir(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing or wrong bearer token/);
  });

  it('says when the admin API cannot be reached', async () => {
    const r = await runCli(['status', '--admin-url', 'http://127.0.0.1:1'], { cwd: tmpdir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the onebox admin API at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('onebox serve refuses what it should', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-cfg-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the field, the value and the expectation of an invalid config, and exits 2', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'components:\n  - name: A.PI\n    route: api\n  - name: web\n    route: /\n    colour: red\n',
    );
    const r = await runCli(['serve', '--config', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('components[0].name = "A.PI": expected 1 to 64 letters, digits, hyphens or underscores');
    expect(r.stderr).toContain('components[0].route = "api": a path prefix must start with "/"');
    expect(r.stderr).toContain('components[1].colour: unknown field');
  });

  it('exits 2 on a worker count that is not a whole number, in the config or on the command line', async () => {
    writeFileSync(join(dir, 'workers.yaml'), 'gateway:\n  workers: -1\ncomponents:\n  - name: web\n    route: /\n');
    const r = await runCli(['serve', '--config', 'workers.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gateway.workers = -1');
    const flag = await runCli(['serve', '--config', 'workers.yaml', '--workers', 'two'], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--workers must be a whole number, got "two"');
  });

  it('exits 2 on a file that is not YAML and on a missing file', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'components: [\n');
    expect(await runCli(['serve', '--config', 'broken.yaml'], { cwd: dir })).toMatchObject({ code: 2 });
    const missing = await runCli(['serve', '--config', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file/);
  });

  it('will not expose the admin API beyond loopback without a token', async () => {
    writeFileSync(
      join(dir, 'open.yaml'),
      'admin:\n  listen: 0.0.0.0:0\ngateway:\n  listen: 127.0.0.1:0\ncomponents:\n  - name: web\n    route: /\n',
    );
    const r = await runCli(['serve', '--config', 'open.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a loopback address: set admin.token or ONEBOX_ADMIN_TOKEN/);
  });
});
