import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { runCli, startServe } from '../helpers/cli.js';
import { verifyTesterToken } from '../../src/gateway/tester-token.js';

const SECRET = 'a-tester-secret-of-at-least-32-characters';

describe('onebox tester-token', () => {
  let dir: string;
  const ups: TestUpstream[] = [];
  let serve: Awaited<ReturnType<typeof startServe>>;
  let admin: string[];
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env: { ONEBOX_ADMIN_TOKEN: '' } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-tester-'));
    for (const label of ['v1', 'v2', 'v3']) ups.push(await startUpstream(labelled(label)));
    writeFileSync(
      join(dir, 'onebox.yaml'),
      [
        `gateway: { listen: 127.0.0.1:0, testerSecret: ${SECRET} }`,
        'admin: { listen: 127.0.0.1:0 }',
        'components:',
        '  - { name: api, route: /api }',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'plain.yaml'), 'components:\n  - { name: api, route: /api }\n');
    serve = await startServe([], { cwd: dir, env: { ONEBOX_ADMIN_TOKEN: '' } });
    admin = ['--admin-url', serve.adminUrl];
    for (const u of ups) expect((await cli('publish', 'api', '--url', u.url, ...admin)).code).toBe(0);
    expect((await cli('retire', 'api', '3', ...admin)).code).toBe(0);
    expect((await cli('alias', 'api', '--version', '1', '--weight', '2=0.01', ...admin)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await Promise.all(ups.map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a token the gateway honours for a routed version, signed with the config's testerSecret", async () => {
    const r = await cli('tester-token', 'api', '2', '--ttl', '30m', ...admin);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(r.stderr).toContain('x-onebox-tester');
    const grant = verifyTesterToken(SECRET, token, Date.now());
    expect(grant).toMatchObject({ component: 'api', version: 2 });
    expect(grant!.expiresAt - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(grant!.expiresAt - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const asTester = await request(`${serve.gatewayUrl}/.onebox/v/api/2/api/x`, {
      headers: { 'x-onebox-tester': token },
    });
    expect(asTester.statusCode).toBe(200);
    expect(asTester.headers['x-onebox-version']).toBe('api:2');
    await asTester.body.dump();

    const json = JSON.parse((await cli('tester-token', 'api', '1', '--json', ...admin)).stdout);
    expect(json).toMatchObject({
      component: 'api',
      version: 1,
      header: 'x-onebox-tester',
      entrypoint: '/.onebox/v/api/1/',
    });
    expect(verifyTesterToken(SECRET, json.token, Date.now())).toMatchObject({ version: 1 });
  });

  it('refuses a version the live alias does not route, a bad --ttl, and a config without a secret', async () => {
    const retired = await cli('tester-token', 'api', '3', ...admin);
    expect(retired).toMatchObject({ code: 1, stdout: '' });
    expect(retired.stderr).toContain('api v3 is retired: the gateway would refuse its tester token');
    const missing = await cli('tester-token', 'api', '9', ...admin);
    expect(missing.stderr).toContain('api has no version 9');
    const other = await cli('tester-token', 'web', '1', ...admin);
    expect(other).toMatchObject({ code: 1 });
    expect(other.stderr).toContain('no component web (api)');
    for (const ttl of ['0s', '8d', 'soon']) {
      const r = await cli('tester-token', 'api', '2', '--ttl', ttl, ...admin);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--ttl must be a duration above 0 and at most 7d');
    }
    const plain = await cli('tester-token', 'api', '2', '-f', 'plain.yaml', ...admin);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('plain.yaml sets no gateway.testerSecret');
  });

  it('makes the token and says it could not check when the admin API is not there', async () => {
    const r = await cli('tester-token', 'api', '2', '--admin-url', 'http://127.0.0.1:9');
    expect(r.code).toBe(0);
    expect(verifyTesterToken(SECRET, r.stdout.trim(), Date.now())).toMatchObject({ version: 2 });
    expect(r.stderr).toContain('could not ask the admin API whether v2 is routed');
  });
});
