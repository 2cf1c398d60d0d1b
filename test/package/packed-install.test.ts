import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * onebox as a user gets it: `npm pack` of this tree (built by `npm test`), installed from
 * the tarball into an empty folder with the peers the AWS constructs need, then every
 * export path imported by node and type-checked by tsc, as a user's project would.
 */
const REPO = resolve(import.meta.dirname, '../..');
const EXPORTS = [
  'onebox',
  'onebox/core',
  'onebox/aws',
  'onebox/aws/metrics',
  'onebox/aws/browser',
  'onebox/aws/events',
  'onebox/openfeature',
  'onebox/openfeature/web',
  'onebox/events',
  'onebox/aws/backend',
];
const pkg = JSON.parse(execFileSync('npm', ['pkg', 'get', 'exports', 'devDependencies'], { cwd: REPO }).toString()) as {
  exports: Record<string, string>;
  devDependencies: Record<string, string>;
};

const execFileAsync = promisify(execFile);

/**
 * A child process, awaited: a synchronous one would block this test worker's event loop for
 * as long as `npm install` or tsc takes, and vitest's worker calls time out behind it.
 */
const run = async (cmd: string, args: string[], cwd: string): Promise<string> =>
  (await execFileAsync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;

describe('the packed package', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-pack-'));
    await run('npm', ['pack', '--pack-destination', dir, '--silent'], REPO);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'a-user', private: true, type: 'module' }));
    // The user installs the tarball and, for onebox/aws, the CDK (its peer dependencies), and
    // for onebox/openfeature(/web) the OpenFeature SDKs, for onebox/aws/events the Lambda client, for onebox/aws/backend the KeyValueStore client and its SigV4A signer.
    // Install scripts are skipped: the native SQLite binding loads only when a state file opens.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        `./${tarball}`,
        `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`,
        `constructs@${pkg.devDependencies['constructs']}`,
        ...[
          '@openfeature/core',
          '@openfeature/server-sdk',
          '@openfeature/web-sdk',
          '@aws-sdk/client-lambda',
          '@aws-sdk/client-cloudfront-keyvaluestore',
          '@aws-sdk/signature-v4a',
        ].map(
          (p) => `${p}@${pkg.devDependencies[p]}`,
        ),
      ],
      dir,
    );
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('declares exactly the export paths this test imports', () => {
    expect(Object.keys(pkg.exports).map((k) => (k === '.' ? 'onebox' : `onebox/${k.slice(2)}`))).toEqual(EXPORTS);
  });

  it('imports every export path with named exports only', async () => {
    const script = EXPORTS.map(
      (p) => `{ const m = await import('${p}'); if ('default' in m) throw new Error('${p} has a default export');
        console.log('${p}', Object.keys(m).length); }`,
    ).join('\n');
    writeFileSync(join(dir, 'smoke.mjs'), script);
    const out = await run('node', ['smoke.mjs'], dir);
    for (const p of EXPORTS) expect(out).toMatch(new RegExp(`^${p} [1-9]\\d*$`, 'm'));
  });

  it('type-checks a user module that uses every export path', { timeout: 120_000 }, async () => {
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { parseConfig, startOnebox, type ControlPlane } from 'onebox';",
        "import { bucketOf, chooseVersion, type AliasRouting } from 'onebox/core';",
        "import { LiveAlias } from 'onebox/aws';",
        "import { withVersionMetrics } from 'onebox/aws/metrics';",
        "import { withBrowserSignals } from 'onebox/aws/browser';",
        "import { OneboxProvider } from 'onebox/openfeature';",
        "import { OneboxWebProvider } from 'onebox/openfeature/web';",
        "import { OpenFeature } from '@openfeature/server-sdk';",
        "void OpenFeature.setProvider(new OneboxProvider({ adminUrl: 'http://127.0.0.1:8081', token: 'read-only-token' }));",
        'export const web = new OneboxWebProvider({ gatewayUrl: "" });',
        "import { sqsMessage } from 'onebox/events';",
        "import { withUserRouting } from 'onebox/aws/events';",
        "export const consumer = withUserRouting(async () => ({ batchItemFailures: [] }), { source: 'sqs' });",
        'export const message = sqsMessage({ MessageBody: "{}" }, { identity: "user-1" });',
        "import { backendOrigin, routedFetch } from 'onebox/aws/backend';",
        "const route = backendOrigin({ stableUrl: 'https://s', canaryUrl: 'https://c', kvsKey: 'api', readSplit: async () => '{}' });",
        "export const routed: typeof fetch = routedFetch(fetch, route, 'https://s');",
        'const alias: AliasRouting = { version: 1, additional: { version: 2, weightBp: 2000 }, mode: "sticky", seed: "s" };',
        'export const decided: number = chooseVersion(alias, "user", Math.random).version + bucketOf("s", "u");',
        'export const used = [parseConfig, startOnebox, LiveAlias, withVersionMetrics, withBrowserSignals];',
        'export type Plane = ControlPlane;',
      ].join('\n'),
    );
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    // The user's own @types/node, as any Node project has it.
    const typeRoots = join(REPO, 'node_modules/@types');
    await expect(
      run('node', [tsc, ...args, '--skipLibCheck', '--typeRoots', typeRoots, '--types', 'node', 'use.ts'], dir),
    ).resolves.toBeDefined();
  });

  it('runs the onebox command from the install', async () => {
    expect(await run(join(dir, 'node_modules/.bin/onebox'), ['--help'], dir)).toMatch(/Usage: onebox/);
  });
});
