import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda, KVS_SDK_PACKAGES } from '../../src/aws/bundle.js';

const run = promisify(execFile);

/**
 * The KeyValueStore data plane takes SigV4A signatures only, which the AWS SDK for
 * JavaScript signs only with an implementation imported beside the client. Run for real:
 * bundles in a folder with no node_modules (as in Lambda), their GetKey sent to a local
 * server that records what AWS would check.
 */
describe('KeyValueStore calls from a bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-kvs-sign-'));
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    // GetKey's answer as AWS documents it.
    res.end(JSON.stringify({ Key: 'api', Value: '{"percent":20,"seed":"s"}', ItemCount: 1, TotalSizeInBytes: 30 }));
  });
  let port = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = String((server.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
  /** bundleLambda's bundle of a fixture, run with node where no node_modules can be found. */
  const bundleAndRun = async (name: string, bundledSdk: readonly string[]) => {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, readFileSync(join(bundleLambda(fixture(name), {}, { bundledSdk }), 'index.mjs')));
    const env = { PATH: process.env['PATH'] ?? '', AWS_REGION: 'eu-west-1' };
    const { stdout } = await run(process.execPath, [file, port], { cwd: dir, env });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { value?: string; error?: string };
  };

  it("signs GetKey with SigV4A (region set *) with onebox's client", { timeout: 60_000 }, async () => {
    seen.length = 0;
    expect(await bundleAndRun('kvs-probe', KVS_SDK_PACKAGES)).toEqual({ value: '{"percent":20,"seed":"s"}' });
    const { headers, url } = seen[0]!;
    expect(headers['host']).toBe(`123456789012.kvs.test:${port}`);
    expect(url).toMatch(
      /^\/key-value-stores\/arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2F.+\/keys\/api$/,
    );
    expect(headers['authorization']).toMatch(
      /^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/cloudfront-keyvaluestore\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]+$/,
    );
    expect(headers['x-amz-region-set']).toBe('*');
  });

  it('cannot sign without it, as the bare client of the Lambda runtime cannot', { timeout: 60_000 }, async () => {
    seen.length = 0;
    expect((await bundleAndRun('kvs-probe-bare', ['@aws-sdk/client-cloudfront-keyvaluestore'])).error).toMatch(
      /SigV4a implementation is available/i,
    );
    expect(seen).toHaveLength(0);
  });

  it('carries the client and its signer in the controller bundle, other clients left to the runtime', () => {
    const code = readFileSync(
      join(bundleLambda('handlers/controller.lambda', {}, { bundledSdk: KVS_SDK_PACKAGES }), 'index.mjs'),
      'utf8',
    );
    const imports = new Set([...code.matchAll(/^import .* from "(@aws-sdk\/[^"]+)";$/gm)].map((m) => m[1]));
    expect([...imports].sort()).toEqual([
      '@aws-sdk/client-cloudwatch',
      '@aws-sdk/client-cloudwatch-logs',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-lambda',
      '@aws-sdk/lib-dynamodb',
    ]);
    expect(code).toContain('AWS4-ECDSA-P256-SHA256');
    expect(code).toMatch(/signatureV4aContainer\.SignatureV4a = SignatureV4a/);
  });

  it('says what to install when a package it must carry is missing', () => {
    expect(() => bundleLambda(fixture('missing-sdk'), {}, { bundledSdk: ['@aws-sdk/client-not-installed'] })).toThrow(
      'bundles @aws-sdk/client-not-installed, which cannot be found: npm install @aws-sdk/client-not-installed',
    );
  });
});
