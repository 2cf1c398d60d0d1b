import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { runCli, startServe } from '../helpers/cli.js';

/** The deployment commands against a real `onebox serve` with a real (fast) clock. */
describe('onebox deploy / release / status / history / controls', () => {
  let dir: string;
  const ups: TestUpstream[] = [];
  let serve: Awaited<ReturnType<typeof startServe>>;
  const agent = new Agent({ connections: 8 });
  let trafficOn = true;
  let traffic: Promise<void>;
  const cli = (...args: string[]) => runCli([...args, '--admin-url', serve.adminUrl], { cwd: dir });
  const json = async (...args: string[]) => JSON.parse((await cli(...args, '--json')).stdout);
  const statusOf = async (component: string) =>
    (await json('status')).components.find((c: { name: string }) => c.name === component);
  const waitFor = async (component: string, wanted: string) => {
    await expect
      .poll(async () => (await statusOf(component)).deployment?.state.status, { timeout: 20_000, interval: 200 })
      .toBe(wanted);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-deploy-'));
    for (const label of ['api1', 'api2', 'api3', 'web1', 'web2']) ups.push(await startUpstream(labelled(label)));
    writeFileSync(
      join(dir, 'onebox.yaml'),
      [
        'gateway: { listen: "127.0.0.1:0" }',
        'admin: { listen: "127.0.0.1:0", token: "deploy-test-token-123456" }',
        'controller: { interval: 100ms }',
        'components:',
        '  - name: backend',
        '    route: /api',
        '    deployment: { config: "linear:50%:1s", alarms: { minRequests: 5 }, judge: { enabled: false } }',
        '  - name: frontend',
        '    route: /',
        '    deployment: { config: "onebox:20%:1s", alarms: { minRequests: 5 }, judge: { enabled: false } }',
        '',
      ].join('\n'),
    );
    serve = await startServe([], { cwd: dir });
    for (const [c, i] of [
      ['backend', 0],
      ['backend', 1],
      ['backend', 2],
      ['frontend', 3],
      ['frontend', 4],
    ] as const) {
      expect((await cli('publish', c, '--url', ups[i]!.url)).code).toBe(0);
    }
    await cli('alias', 'backend', '--version', '1');
    await cli('alias', 'frontend', '--version', '1');
    let n = 0;
    traffic = (async () => {
      while (trafficOn) {
        const uid = `u${n++ % 500}`.padEnd(22, 'z');
        for (const path of ['/api/x', '/']) {
          const res = await request(`${serve.gatewayUrl}${path}`, {
            dispatcher: agent,
            headers: { cookie: `onebox-uid=${uid}` },
          });
          await res.body.dump();
        }
      }
    })();
  });
  afterAll(async () => {
    trafficOn = false;
    await traffic;
    serve?.child.kill('SIGTERM');
    await Promise.all(ups.map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('releases backend then frontend with the prod-one-box order, and tells the story in history', async () => {
    const r = await cli(
      'release',
      '--set',
      'backend=2',
      '--set',
      'frontend=2',
      '--after',
      'frontend:backend',
      '--config',
      'backend=linear:50%:5s',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backend: deployment \S+ v1 -> v2 in-progress/);
    expect(r.stdout).toMatch(/frontend: deployment \S+ v1 -> v2 created \(after backend\)/);

    const text = (await cli('status')).stdout;
    expect(text).toMatch(/backend \(\/api\)\s+live -> v1 50%, v2 50% \(sticky\)/);
    expect(text).toMatch(/in-progress\s+step 1 of 2\s+\[#{10}\.{10}\] 50%/);
    expect(text).toMatch(/plan: 50% for 5s -> 100%/);

    await waitFor('frontend', 'succeeded');
    expect((await statusOf('backend')).alias).toMatchObject({ version: 2 });
    expect((await statusOf('frontend')).alias).toMatchObject({ version: 2 });
    const history = (await cli('history')).stdout;
    expect(history).toMatch(/by admin \(\S+@cli\)/);
    expect(history).toMatch(/backend v1 -> v2: succeeded/);
    expect(history).toMatch(/frontend v2: 20% of users on v2; baking for 1s while gates watch \(step 1 of 2\)/);
  });

  it('pauses, resumes, promotes and rolls back on command, recording who did it', async () => {
    expect((await cli('deploy', 'backend', '3', '--config', 'steps:10%@1h,50%@1h,100%')).code).toBe(0);
    expect((await cli('pause', 'backend')).stdout).toMatch(/backend: paused, v3 at 10%/);
    expect((await cli('resume', 'backend')).stdout).toMatch(/backend: in-progress, v3 at 10%/);
    expect((await cli('promote', 'backend')).stdout).toMatch(/v3 at 50%/);
    expect((await cli('rollback', 'backend')).stdout).toMatch(
      /backend: rolled-back \(rolled back by admin \(\S+@cli\)\), v3 at 0%/,
    );
    expect((await statusOf('backend')).alias).toMatchObject({ version: 2 });
  });

  it('rolls back a finished deployment at once', async () => {
    expect((await cli('deploy', 'backend', '3', '--config', 'LambdaAllAtOnce')).code).toBe(0);
    await waitFor('backend', 'succeeded');
    expect((await statusOf('backend')).alias).toMatchObject({ version: 3 });
    expect((await cli('rollback', 'backend')).code).toBe(0);
    expect((await statusOf('backend')).alias).toMatchObject({ version: 2 });
  });

  it('refuses a second deployment, unknown or retired versions and bad specs, changing nothing', async () => {
    expect((await cli('deploy', 'frontend', '1', '--config', 'steps:10%@1h,100%')).code).toBe(0);
    const before = JSON.stringify(await json('history'));
    await cli('publish', 'backend', '--url', ups[0]!.url);
    await cli('retire', 'backend', '4');
    const cases: [string[], RegExp][] = [
      [['deploy', 'frontend', '2'], /frontend already has an active deployment/],
      [['deploy', 'backend', '99'], /component "backend" has no version 99/],
      [['deploy', 'backend', '4'], /version 4 is retired/],
      [
        ['deploy', 'backend', '1', '--config', 'canary:150%:5m'],
        /canary percent must be a percentage above 0 and at most 100, got 150/,
      ],
      [
        ['deploy', 'backend', '1', '--config', 'LambdaCanary7Percent'],
        /deployment config "LambdaCanary7Percent" is not one onebox knows/,
      ],
      [['deploy', 'backend', '1', '--alarm', 'p99=fast'], /alarm p99 needs a number, got "fast"/],
      [
        [
          'release',
          '--set',
          'backend=1',
          '--set',
          'frontend=2',
          '--after',
          'backend:frontend',
          '--after',
          'frontend:backend',
        ],
        /cycle/,
      ],
      [['deploy', 'nope', '1'], /unknown component "nope"/],
      [['alias', 'frontend', '--version', '2'], /frontend is being deployed/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(JSON.stringify(await json('history'))).toBe(before);
    expect((await cli('stop', 'frontend')).stdout).toMatch(/frontend: stopped/);
    // Twenty CLI processes: slow on a loaded two-core machine.
  }, 60_000);
});
