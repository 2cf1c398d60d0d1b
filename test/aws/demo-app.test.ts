import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOUDFRONT_FUNCTION_MAX_BYTES, functionSizes, report as edgeSizesReport } from '../../scripts/edge-sizes.mjs';
import { RESERVED_PREFIX } from '../../src/core/reserved-paths.js';

const run = promisify(execFile);

/**
 * A module that imports a bundle and prints the type of one export. A file, not `node -e`:
 * an eval'd script makes `require` a global, which would hide a bundle that needs its own.
 */
function loader(dir: string): string {
  const file = join(dir, 'load-bundle.mjs');
  writeFileSync(file, 'const m = await import(process.argv[2]);\nconsole.log(typeof m[process.argv[3]]);\n');
  return file;
}

/**
 * `cdk synth` of the demo app, as a user runs it: the CDK CLI from devDependencies runs
 * cdk.json's app command, offline. cdk-nag's AwsSolutions checks are registered in the app,
 * so any unacknowledged error fails the synth (and this test).
 */
describe('examples/demo/cdk', () => {
  const out = mkdtempSync(join(tmpdir(), 'onebox-demo-cdk-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes offline with no unacknowledged cdk-nag error', { timeout: 120_000 }, async () => {
    const cwd = join(process.cwd(), 'examples', 'demo', 'cdk');
    const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
    const { stderr } = await run('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', out], { cwd, env });
    expect(stderr).not.toMatch(/^ERROR/m);
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string; severity: string }[] }[];
    };
    expect(report.pluginReports.map((p) => [p.pluginName, p.conclusion])).toEqual([['AwsSolutions', 'success']]);
    const errors = report.pluginReports.flatMap((p) => p.violations).filter((v) => v.severity === 'error');
    expect(errors).toEqual([]);
    const template = JSON.parse(readFileSync(join(out, 'OneboxDemo.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    // The sizes docs/aws.md quotes (through docs/edge-sizes.md) are this build's.
    const sizes = functionSizes(template);
    for (const s of sizes) expect(s.bytes).toBeLessThan(CLOUDFRONT_FUNCTION_MAX_BYTES);
    expect(
      readFileSync(join(process.cwd(), 'docs', 'edge-sizes.md'), 'utf8'),
      'rerun node scripts/edge-sizes.mjs',
    ).toBe(edgeSizesReport(sizes));
    const types = Object.values(template.Resources).map((r) => r.Type);
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::CodeDeploy::DeploymentGroup',
      'Custom::OneboxBake',
      'AWS::CloudFront::KeyValueStore',
    ]) {
      expect(types).toContain(type);
    }

    // The same shop on onebox's serverless control plane.
    const serverless = JSON.parse(readFileSync(join(out, 'OneboxDemoServerless.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
      >;
    };
    const of = (type: string) => Object.values(serverless.Resources).filter((r) => r.Type === type);
    expect(of('AWS::DynamoDB::Table')).toHaveLength(1);
    expect(of('AWS::Scheduler::Schedule')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          ScheduleExpression: 'rate(1 minute)',
          Target: expect.objectContaining({ Input: '{"action":"tick"}' }),
        }),
      }),
    ]);
    const controller = of('AWS::Lambda::Function').find((f) =>
      String(f.Properties['Description']).startsWith('onebox: the controller'),
    );
    expect(controller).toBeDefined();
    expect(of('AWS::CloudFront::KeyValueStore')).toHaveLength(1);
    // Per-version addressable origins: each component's stable and canary aliases have a URL.
    const [componentUrls, beaconUrls] = [
      of('AWS::Lambda::Url').filter((u) => u.Properties['Qualifier'] !== undefined),
      of('AWS::Lambda::Url').filter((u) => u.Properties['Qualifier'] === undefined),
    ];
    expect(componentUrls.map((u) => u.Properties['Qualifier']).sort()).toEqual([
      'canary',
      'canary',
      'stable',
      'stable',
    ]);
    // Not reachable around CloudFront: no component's function URL takes unsigned requests, the
    // distribution signs (origin access control for Lambda), and only it may invoke.
    expect(componentUrls.map((u) => u.Properties['AuthType'])).toEqual(Array(4).fill('AWS_IAM'));
    // The beacon's URL is public by design: sendBeacon cannot sign a POST body for origin
    // access control, and the function takes nothing without its page's signed token.
    expect(beaconUrls.map((u) => u.Properties['AuthType'])).toEqual(['NONE']);
    expect(of('AWS::CloudFront::OriginAccessControl').map((o) => o.Properties['OriginAccessControlConfig'])).toEqual([
      expect.objectContaining({
        OriginAccessControlOriginType: 'lambda',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    ]);
    const distribution = of('AWS::CloudFront::Distribution')[0]!.Properties['DistributionConfig'] as {
      Origins: { Id: string; OriginAccessControlId?: unknown }[];
      CacheBehaviors: { PathPattern: string; TargetOriginId: string }[];
    };
    expect(distribution.Origins.length).toBeGreaterThan(0);
    const beaconOrigin = distribution.CacheBehaviors.find((b) => b.PathPattern === `${RESERVED_PREFIX}*`)!.TargetOriginId;
    for (const o of distribution.Origins)
      if (o.Id !== beaconOrigin) expect(o.OriginAccessControlId, o.Id).toBeDefined();
    // The web's pages carry the browser script and pins: the edge checks them with the key in the store.
    expect(JSON.stringify(of('AWS::CloudFront::Function'))).toContain('onebox-pin-key');
    // Hashed assets: an origin group, regular then one-box on 404.
    expect(distribution.CacheBehaviors.map((b) => b.PathPattern)).toContain('/assets/*');
    const permissions = of('AWS::Lambda::Permission').filter(
      (p) =>
        ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'].includes(String(p.Properties['Action'])) &&
        JSON.stringify(p.Properties['FunctionName']).match(/:(stable|canary)"/),
    );
    expect(permissions).toHaveLength(8); // 4 URLs x (InvokeFunctionUrl, InvokeFunction via the URL)
    for (const p of permissions) {
      expect(p.Properties['Principal']).toBe('cloudfront.amazonaws.com');
      expect(JSON.stringify(p.Properties['SourceArn'])).toContain('distribution/');
    }
    // Anyone may call a URL with auth NONE: only the beacon's is (its function's own ARN).
    expect(
      of('AWS::Lambda::Permission')
        .filter((p) => p.Properties['FunctionUrlAuthType'] === 'NONE')
        .map((p) => JSON.stringify(p.Properties['FunctionName'])),
    ).toEqual([expect.stringMatching(/BeaconFunction/)]);
    // The web's server-side render calls the API version its user is on: both API origins
    // and the store are in its environment, and its role may read the store and sign both.
    const webFunction = of('AWS::Lambda::Function').find((f) => f.Properties['Description'] === 'onebox demo web')!;
    const webEnv = (webFunction.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(webEnv).sort()).toEqual([
      'DEMO_API_CANARY_ORIGIN',
      'DEMO_API_ORIGIN',
      'ONEBOX_KVS_ARN',
      'ONEBOX_PIN_KEY',
    ]);
    const statements = of('AWS::IAM::Policy').flatMap(
      (p) => (p.Properties['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'cloudfront-keyvaluestore:GetKey' }));
    // Its bundle loads where no node_modules can be found, as in Lambda (the SDK it carries included).
    const webAsset = (webFunction as { Metadata?: Record<string, string> }).Metadata?.['aws:asset:path'];
    const webDir = join(tmpdir(), `onebox-demo-web-${process.pid}`);
    cpSync(join(out, webAsset!), webDir, { recursive: true });
    try {
      const loaded = await run(process.execPath, [loader(webDir), join(webDir, 'index.mjs'), 'handler'], {
        cwd: webDir,
        env: {
          PATH: process.env['PATH'] ?? '',
          DEMO_API_ORIGIN: 'https://api-stable.lambda-url.us-east-1.on.aws',
          DEMO_API_CANARY_ORIGIN: 'https://api-canary.lambda-url.us-east-1.on.aws',
          ONEBOX_KVS_ARN: 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
        },
      });
      expect(loaded.stdout.trim()).toBe('function');
    } finally {
      rmSync(webDir, { recursive: true, force: true });
    }
    const invokes = statements.find((st) => JSON.stringify(st.Action).includes('lambda:InvokeFunctionUrl'));
    expect(JSON.stringify(invokes?.Resource)).toMatch(/:stable".*:canary"/);
    // The KeyValueStore's first data holds an entry per component (CDK ships it as an asset).
    const splits = readdirSync(out).filter((f) => f.startsWith('asset.') && f.endsWith('.json'));
    const data = splits
      .map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as { data?: { key: string }[] })
      .find((d) => d.data?.some((e) => e.key === 'web'));
    expect(data?.data?.map((d) => d.key)).toEqual(['api', 'web']);
  });
  it('has Lambda bundles that load as Lambda loads them', { timeout: 120_000 }, async () => {
    // Run after the synth above, from its output: every function onebox bundled (index.mjs),
    // imported by node with its template environment (deploy-time values stand in as a URL),
    // from a folder whose only SDK is the one node_modules has, as the runtime's would be.
    type Fn = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> };
    const placeholder = (v: unknown): string => {
      if (typeof v === 'string') return v;
      const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return join[1].map(placeholder).join(join[0]);
      return 'https://placeholder.example.com';
    };
    const root = mkdtempSync(join(process.cwd(), 'node_modules', '.onebox-lambda-load-'));
    const loaded: string[] = [];
    try {
      for (const stack of ['OneboxDemo', 'OneboxDemoServerless']) {
        const template = JSON.parse(readFileSync(join(out, `${stack}.template.json`), 'utf8')) as {
          Resources: Record<string, Fn>;
        };
        for (const [id, fn] of Object.entries(template.Resources)) {
          const asset = fn.Metadata?.['aws:asset:path'];
          if (fn.Type !== 'AWS::Lambda::Function' || !asset || !existsSync(join(out, asset, 'index.mjs'))) continue;
          // The handler setting names the export: index.handler, index.onEvent...
          const exported = String(fn.Properties['Handler']).replace(/^index\./, '');
          const dir = join(root, asset);
          cpSync(join(out, asset), dir, { recursive: true });
          const vars =
            (fn.Properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
          const env = {
            PATH: process.env['PATH'] ?? '',
            AWS_REGION: 'us-east-1',
            ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, placeholder(v)])),
          };
          const { stdout } = await run(process.execPath, [loader(root), join(dir, 'index.mjs'), exported], {
            cwd: dir,
            env,
          });
          expect(`${stack}/${id}: ${stdout.trim()}`).toBe(`${stack}/${id}: function`);
          loaded.push(String(fn.Properties['Description'] ?? id));
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(loaded).toEqual(
      expect.arrayContaining([expect.stringMatching(/^onebox: the controller/), 'onebox demo web']),
    );
    expect(loaded.length).toBeGreaterThanOrEqual(6);
  });
});
