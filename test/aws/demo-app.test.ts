import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOUDFRONT_FUNCTION_MAX_BYTES, functionSizes, report as edgeSizesReport } from '../../scripts/edge-sizes.mjs';

const run = promisify(execFile);

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
  });
});
