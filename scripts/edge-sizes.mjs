// The CloudFront Functions' sizes as deployed: `cdk synth` of examples/demo/cdk, each
// function's code with its deploy-time values (the KeyValueStore's id, origin domain names)
// replaced by values of their real length. Writes docs/edge-sizes.md, which docs/aws.md
// quotes; test/aws/demo-app.test.ts checks the report against its own synth.
//   node scripts/edge-sizes.mjs [--template cdk.out/OneboxDemo.template.json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** CloudFront Functions' limit on a function's code. */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10_240;

/** What a deploy-time value is replaced by: an id as long as a KeyValueStore's, a domain as long as an API's. */
const REAL_LENGTH = {
  id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  domain: 'abcdef1234.execute-api.eu-west-1.amazonaws.com',
};

function resolveCode(code) {
  if (typeof code === 'string') return code;
  const [separator, parts] = code['Fn::Join'];
  return parts
    .map((p) =>
      typeof p === 'string' ? p : /"Id"|KeyValueStore/.test(JSON.stringify(p)) ? REAL_LENGTH.id : REAL_LENGTH.domain,
    )
    .join(separator);
}

/** Each CloudFront Function of a synthesized template: its logical id, comment and bytes. */
export function functionSizes(template) {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudFront::Function')
    .map(([id, r]) => ({
      id,
      comment: r.Properties.FunctionConfig.Comment,
      bytes: Buffer.byteLength(resolveCode(r.Properties.FunctionCode)),
    }))
    .sort((a, b) => b.bytes - a.bytes);
}

export function synthDemo(out) {
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', out], {
    cwd: join(import.meta.dirname, '..', 'examples', 'demo', 'cdk'),
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return JSON.parse(readFileSync(join(out, 'OneboxDemo.template.json'), 'utf8'));
}

export function report(sizes) {
  const rows = sizes.map(
    (s) =>
      `| ${s.comment} | ${s.bytes.toLocaleString('en-US')} bytes | ${((s.bytes / CLOUDFRONT_FUNCTION_MAX_BYTES) * 100).toFixed(1)}% |`,
  );
  return [
    '# CloudFront Functions: sizes as deployed',
    '',
    '- command: `node scripts/edge-sizes.mjs` (`cdk synth` of examples/demo/cdk; deploy-time values replaced by',
    `  values of their real length: ${REAL_LENGTH.id.length} characters for an id, ${REAL_LENGTH.domain.length} for a domain name)`,
    `- limit: ${CLOUDFRONT_FUNCTION_MAX_BYTES.toLocaleString('en-US')} bytes per function (CloudFront Functions quotas)`,
    '',
    '| function | size | of the limit |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { template: { type: 'string' }, out: { type: 'string', default: 'docs/edge-sizes.md' } },
  });
  let template;
  if (values.template) template = JSON.parse(readFileSync(values.template, 'utf8'));
  else {
    const dir = mkdtempSync(join(tmpdir(), 'onebox-edge-sizes-'));
    try {
      template = synthDemo(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const text = report(functionSizes(template));
  writeFileSync(values.out, text);
  process.stdout.write(text);
}
