import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../src/aws/bundle.js';
import type { ShadowCopy } from '../../src/aws/edge/shadow-copy.js';
import { createShadowWorker } from '../../src/aws/handlers/shadow-worker.js';

/** Bundles go under node_modules so their `@aws-sdk/*` imports resolve as in the Lambda runtime. */
const OUT = join(process.cwd(), 'node_modules', '.cache', 'onebox-test');

async function loadBundle<T>(entry: string, settings: object): Promise<T> {
  const dir = bundleLambda(entry, settings, { outDir: join(OUT, entry.replace(/\W+/g, '-')) });
  return (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as T;
}

/** AWS's example origin-response event ("Lambda@Edge event structure"). */
function originResponseEvent(partition: string | undefined, vary?: string): CloudFrontResponseEvent {
  const requestHeaders: Record<string, { key: string; value: string }[]> = {
    'x-forwarded-for': [{ key: 'X-Forwarded-For', value: '203.0.113.178' }],
    'user-agent': [{ key: 'User-Agent', value: 'Amazon CloudFront' }],
    via: [{ key: 'Via', value: '2.0 8f22423015641505b8c857a37450d6c0.cloudfront.net (CloudFront)' }],
    host: [{ key: 'Host', value: 'example.org' }],
  };
  if (partition) requestHeaders['x-onebox-partition'] = [{ key: 'x-onebox-partition', value: partition }];
  const responseHeaders: Record<string, { key: string; value: string }[]> = {
    'content-type': [{ key: 'Content-Type', value: 'text/html; charset=utf-8' }],
    date: [{ key: 'Date', value: 'Tue, 13 Nov 2018 01:00:00 GMT' }],
  };
  if (vary) responseHeaders['vary'] = [{ key: 'Vary', value: vary }];
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'origin-response',
            requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
          },
          request: {
            clientIp: '203.0.113.178',
            headers: requestHeaders,
            method: 'GET',
            querystring: '',
            uri: '/',
          },
          response: { headers: responseHeaders, status: '200', statusDescription: 'OK' },
        },
      },
    ],
  } as CloudFrontResponseEvent;
}

describe('origin-response Lambda@Edge bundle', () => {
  type Mod = {
    handler: (e: CloudFrontResponseEvent) => Promise<{ headers: Record<string, { key: string; value: string }[]> }>;
  };
  let mod: Mod;
  beforeAll(async () => {
    mod = await loadBundle<Mod>('edge/origin-response.lambda', {
      partitionHeader: 'x-onebox-partition',
      vary: ['x-onebox-partition', 'Cookie'],
    });
  });

  it('adds the partition debug header and Vary to what CloudFront stores', async () => {
    const out = await mod.handler(originResponseEvent('one-box'));
    expect(out.headers['x-onebox-partition']).toEqual([{ key: 'x-onebox-partition', value: 'one-box' }]);
    expect(out.headers['vary']).toEqual([{ key: 'Vary', value: 'x-onebox-partition, Cookie' }]);
  });

  it("keeps the origin's Vary and adds only what is missing", async () => {
    const out = await mod.handler(originResponseEvent('regular', 'Accept-Encoding, cookie'));
    expect(out.headers['vary']![0]!.value).toBe('Accept-Encoding, cookie, x-onebox-partition');
  });

  it('never echoes a partition value it did not set', async () => {
    const out = await mod.handler(originResponseEvent('<script>'));
    expect(out.headers['x-onebox-partition']).toBeUndefined();
  });
});

/** AWS's example origin-request event, with a body (include body on). */
function originRequestEvent(opts: {
  method?: string;
  cookie?: string;
  body?: string;
  truncated?: boolean;
  target?: string;
}) {
  const headers: Record<string, { key: string; value: string }[]> = {
    host: [{ key: 'Host', value: 'd111111abcdef8.cloudfront.net' }],
    'user-agent': [{ key: 'User-Agent', value: 'curl/7.51.0' }],
    authorization: [{ key: 'Authorization', value: 'Bearer secret' }],
    accept: [{ key: 'Accept', value: 'application/json' }],
  };
  if (opts.cookie) headers['cookie'] = [{ key: 'Cookie', value: opts.cookie }];
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'origin-request',
            requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
          },
          request: {
            clientIp: '203.0.113.178',
            headers,
            method: opts.method ?? 'GET',
            origin: {
              custom: {
                customHeaders: opts.target
                  ? { 'x-onebox-shadow-target': [{ key: 'x-onebox-shadow-target', value: opts.target }] }
                  : {},
                domainName: 'example.org',
                keepaliveTimeout: 5,
                path: '',
                port: 443,
                protocol: 'https',
                readTimeout: 30,
                sslProtocols: ['TLSv1.2'],
              },
            },
            querystring: 'size=large',
            uri: '/items/42',
            body: {
              inputTruncated: opts.truncated ?? false,
              action: 'read-only',
              encoding: 'base64',
              data: opts.body === undefined ? '' : Buffer.from(opts.body).toString('base64'),
            },
          },
        },
      },
    ],
  } as unknown as CloudFrontRequestEvent;
}

describe('shadow mirror Lambda@Edge bundle', () => {
  const WORKER = 'arn:aws:lambda:us-east-1:123456789012:function:shadow-worker';
  type Mod = { handler: (e: CloudFrontRequestEvent) => Promise<{ origin?: { custom?: { customHeaders: object } } }> };
  const lambda = mockClient(LambdaClient);
  let mod: Mod;
  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'test';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
    mod = await loadBundle<Mod>('edge/shadow-mirror.lambda', {
      methods: ['GET', 'HEAD', 'OPTIONS', 'POST'],
      dropHeaders: ['authorization', 'cookie', 'proxy-authorization'],
      bodyCapBytes: 16,
      shareBp: 10_000,
      seed: 'shadow:edge@test',
      identityHeader: '',
      targetHeader: 'x-onebox-shadow-target',
      handOverBudgetMs: 50,
    });
  });
  afterAll(() => lambda.restore());

  it('hands a copy without credentials to the worker as an asynchronous invocation', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const out = await mod.handler(originRequestEvent({ target: WORKER, cookie: 'onebox-uid=q3Vb0-xJ2mT_kLp9ZrWc4A' }));
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.FunctionName).toBe(WORKER);
    expect(input.InvocationType).toBe('Event');
    const copy = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as ShadowCopy;
    expect(copy).toMatchObject({ method: 'GET', uri: '/items/42', querystring: 'size=large' });
    expect(copy.headers['authorization']).toBeUndefined();
    expect(copy.headers['cookie']).toBeUndefined();
    expect(copy.headers['accept']).toBe('application/json');
    // The worker's ARN never reaches the origin.
    expect(out.origin!.custom!.customHeaders).toEqual({});
  });

  it('does not make the viewer wait past the budget when the hand-over hangs', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).callsFake(() => new Promise(() => {}));
    const started = performance.now();
    await mod.handler(originRequestEvent({ target: WORKER }));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1000);
  });

  it('lets the request through when the hand-over fails', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).rejects(new Error('TooManyRequestsException'));
    const out = (await mod.handler(originRequestEvent({ target: WORKER }))) as { uri?: string };
    expect(out.uri).toBe('/items/42');
  });

  it('copies bodies up to the cap, skips larger or truncated ones, and skips methods not listed', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await mod.handler(originRequestEvent({ target: WORKER, method: 'POST', body: '{"a":1}' }));
    await mod.handler(originRequestEvent({ target: WORKER, method: 'POST', body: 'x'.repeat(17) }));
    await mod.handler(originRequestEvent({ target: WORKER, method: 'POST', body: '{}', truncated: true }));
    await mod.handler(originRequestEvent({ target: WORKER, method: 'DELETE' }));
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const copy = JSON.parse(new TextDecoder().decode(calls[0]!.args[0].input.Payload as Uint8Array)) as ShadowCopy;
    expect(Buffer.from(copy.body!, 'base64').toString()).toBe('{"a":1}');
  });
});

describe('shadow worker', () => {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(status).end('shadow says hi');
    });
  });
  let base = '';
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('replays the copy against the shadow origin and records status and latency per shadow', async () => {
    const lines: string[] = [];
    const worker = createShadowWorker({
      shadowUrl: `${base}/`,
      timeoutMs: 2000,
      name: 'v8',
      namespace: 'onebox',
      write: (l) => lines.push(l),
    });
    status = 503;
    const result = await worker({
      method: 'POST',
      uri: '/items/42',
      querystring: 'size=large',
      headers: { accept: 'application/json', host: 'd111111abcdef8.cloudfront.net', 'content-length': '7' },
      body: Buffer.from('{"a":1}').toString('base64'),
    });
    expect(result.status).toBe(503);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/items/42?size=large', body: '{"a":1}' });
    expect(seen.at(-1)!.headers['accept']).toBe('application/json');
    expect(seen.at(-1)!.headers['host']).toBe(base.slice('http://'.length));
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ Shadow: 'v8', ShadowRequests: 1, ShadowErrors: 1 });
    expect(
      (line['_aws'] as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions,
    ).toEqual([['Shadow']]);
  });

  it('counts an unreachable shadow as an error and never throws', async () => {
    const lines: string[] = [];
    const worker = createShadowWorker({
      shadowUrl: 'http://127.0.0.1:1',
      timeoutMs: 500,
      name: 'v8',
      namespace: 'onebox',
      write: (l) => lines.push(l),
    });
    const result = await worker({ method: 'GET', uri: '/', querystring: '', headers: {} });
    expect(result.status).toBe(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ ShadowErrors: 1 });
  });
});
