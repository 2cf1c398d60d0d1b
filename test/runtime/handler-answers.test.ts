import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';
import { runCli, startServe } from '../helpers/cli.js';
import { nodeRequest } from '../helpers/upstream.js';

/**
 * Every answer the gateway gives for a handler version is that version's: counted in its
 * metrics (5xx when an error), with x-onebox-version, and when the gateway had to give or
 * replace it, logged with the reason, the version and the request id.
 */
const HANDLER = `
export async function handler(event) {
  const json = (body) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  switch (event.rawPath) {
    case '/dash': return { statusCode: 200, headers: { 'x-dash': 'a \\u2013 b' }, body: 'x' };
    case '/crlf': return { statusCode: 200, headers: { 'x-crlf': 'a\\r\\nx-injected: 1' }, body: 'x' };
    case '/bad-name': return { statusCode: 200, headers: { 'bad name': 'x' }, body: 'x' };
    case '/bad-cookie': return { statusCode: 200, cookies: ['a=1\\nb=2'], body: 'x' };
    case '/throw': throw new TypeError('boom at ' + event.rawPath);
    case '/status101': return { statusCode: 101, headers: { upgrade: 'websocket' } };
    case '/status103': return { statusCode: 103, headers: { link: '</a.css>; rel=preload' } };
    case '/big': return { statusCode: 200, body: 'x'.repeat(7 * 1024 * 1024) };
    case '/under': return { statusCode: 200, body: 'x'.repeat(6 * 1024 * 1024 - 200) };
    case '/no-content': return { statusCode: 204, headers: { 'content-length': '10' }, body: 'dropped' };
    case '/hop': return { statusCode: 200, headers: { connection: 'close', 'transfer-encoding': 'chunked', 'keep-alive': 'timeout=1', 'x-kept': '1' }, body: 'ok' };
    case '/head': return { statusCode: 200, headers: { 'content-type': 'text/html', 'content-length': '1234' }, body: '' };
    default: return json({
      host: event.headers.host ?? null,
      forwardedHost: event.headers['x-forwarded-host'] ?? null,
      domainName: event.requestContext.domainName,
      domainPrefix: event.requestContext.domainPrefix,
      port: event.headers['x-forwarded-port'] ?? null,
      trace: event.headers['x-amzn-trace-id'] ?? null,
      length: event.headers['content-length'] ?? null,
      base64: event.isBase64Encoded,
      bodyLength: event.body?.length ?? 0,
    });
  }
}
`;

describe('handler versions: every answer counted and explained', () => {
  let src: string;
  let onebox: TestOnebox;
  const get = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${onebox.gatewayUrl}${path}`, { headersTimeout: 10_000, ...init });

  beforeAll(async () => {
    src = mkdtempSync(join(tmpdir(), 'onebox-handler-answers-'));
    writeFileSync(join(src, 'package.json'), '{"type":"module"}');
    writeFileSync(join(src, 'index.js'), HANDLER);
    writeFileSync(join(src, 'broken.js'), "import './missing-module.js';\nexport const handler = () => 1;\n");
    onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
    onebox.plane.publish('web', { handler: `${join(src, 'index.js')}#handler`, timeoutMs: 5000 });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    rmSync(src, { recursive: true, force: true });
  });

  it('answers a result node cannot send with 500, counted as the version’s, with its header and a logged reason', async () => {
    const before = onebox.metrics.forVersion('web', 1).snapshot();
    const reasons: Record<string, RegExp> = {
      '/dash': /header x-dash has a character .*\(U\+2013 at 2\)/,
      '/crlf': /header x-crlf has a character .*\(U\+000D at 1\)/,
      '/bad-name': /header name "bad name" is not a valid HTTP field name/,
      '/bad-cookie': /a cookie: header set-cookie .*\(U\+000A at 3\)/,
    };
    for (const [path, reason] of Object.entries(reasons)) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(500);
      expect(res.headers['x-onebox-version']).toBe('web:1');
      expect(await res.body.json()).toEqual({ message: 'Internal Server Error' });
      const id = String(res.headers['apigw-requestid']);
      const entry = onebox.metrics.logs('web', 1, 100).find((e) => e.requestId === id);
      expect(entry, path).toMatchObject({ component: 'web', version: 1, path, status: 500, kind: 'invalid-result' });
      expect(entry!.message).toMatch(reason);
    }
    const after = onebox.metrics.forVersion('web', 1).snapshot();
    expect(after.requests - before.requests).toBe(4);
    expect(after.errors5xx - before.errors5xx).toBe(4);
    expect(onebox.metrics.fallbacks.get('internal-error')).toBeUndefined();
  });

  it('answers a handler that throws with 500, logs its error and stack, and `onebox logs web:1` shows it', async () => {
    const res = await get('/throw');
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-onebox-version']).toBe('web:1');
    await res.body.dump();
    const id = String(res.headers['apigw-requestid']);
    const entry = onebox.metrics.logs('web', 1, 100).find((e) => e.requestId === id)!;
    expect(entry).toMatchObject({ kind: 'handler-error', status: 500, message: 'TypeError: boom at /throw' });
    expect(entry.stack?.[0]).toMatch(/TypeError: boom at \/throw/);
    const cli = await runCli(['logs', 'web:1', '--admin-url', onebox.adminUrl, '--token', TEST_TOKEN]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(
      new RegExp(`web:1  GET /throw  500 handler-error  req ${id}  TypeError: boom at /throw`),
    );
    const json = await runCli([
      'logs',
      'web',
      '--json',
      '--limit',
      '1',
      '--admin-url',
      onebox.adminUrl,
      '--token',
      TEST_TOKEN,
    ]);
    expect(JSON.parse(json.stdout).logs).toHaveLength(1);
    const unknown = await runCli(['logs', 'nope', '--admin-url', onebox.adminUrl, '--token', TEST_TOKEN]);
    expect(unknown.code).toBe(1);
    const bad = await runCli(['logs', 'web:x', '--admin-url', onebox.adminUrl, '--token', TEST_TOKEN]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected <component> or <component>:<version>, e\.g\. web or web:3, got "web:x"/);
  });

  it('answers a module that does not load with 502, counted and logged as that version’s', async () => {
    const v2 = onebox.plane.publish('web', { handler: `${join(src, 'broken.js')}#handler`, timeoutMs: 3000 });
    onebox.plane.setAlias('web', { version: v2.number });
    try {
      const res = await get('/');
      expect(res.statusCode).toBe(502);
      expect(res.headers['x-onebox-version']).toBe(`web:${v2.number}`);
      await res.body.dump();
      expect(onebox.metrics.forVersion('web', v2.number).snapshot()).toMatchObject({ requests: 1, errors5xx: 1 });
      const [entry] = onebox.metrics.logs('web', v2.number, 10);
      expect(entry).toMatchObject({ kind: 'init-error', status: 502, requestId: res.headers['apigw-requestid'] });
      expect(entry!.message).toMatch(/missing-module\.js/);
    } finally {
      onebox.plane.setAlias('web', { version: 1 });
    }
  });

  it('answers a 1xx final status with 502 at once instead of leaving the client waiting', async () => {
    for (const path of ['/status101', '/status103']) {
      const res = await get(path, { headersTimeout: 3000 });
      expect(res.statusCode, path).toBe(502);
      expect(res.headers['x-onebox-version']).toBe('web:1');
      await res.body.dump();
      const entry = onebox.metrics.logs('web', 1, 100).find((e) => e.requestId === res.headers['apigw-requestid']);
      expect(entry?.message).toMatch(/informational/);
    }
  });

  it("holds requests to Lambda's 6 MB measured on the event: a 5 MB binary upload is 413, a 5 MB text one is not", async () => {
    const five = Buffer.alloc(5 * 1024 * 1024, 7);
    const binary = await get('/', {
      method: 'POST',
      body: five,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(binary.statusCode).toBe(413);
    expect(binary.headers['x-onebox-version']).toBe('web:1');
    const refusal = (await binary.body.json()) as Record<string, unknown>;
    expect(refusal).toMatchObject({ message: 'Request Too Long', error: 'request_too_large' });
    expect(String(refusal.limit)).toMatch(/6291456 bytes .*base64/);
    expect(refusal.size).toBeGreaterThan(6_990_000);
    const text = await get('/', {
      method: 'POST',
      body: Buffer.alloc(5 * 1024 * 1024, 97),
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(200);
    expect(await text.body.json()).toMatchObject({
      base64: false,
      bodyLength: 5 * 1024 * 1024,
      length: String(5 * 1024 * 1024),
    });
    const huge = await get('/', {
      method: 'POST',
      body: Buffer.alloc(11 * 1024 * 1024, 97),
      headers: { 'content-type': 'text/plain' },
    });
    expect(huge.statusCode).toBe(413);
    expect(await huge.body.json()).toMatchObject({ message: 'HTTP content length exceeded 10485760 bytes.' });
  });

  it('answers a result over 6 MB with 502 saying which limit, and one just under it with 200', async () => {
    const big = await get('/big');
    expect(big.statusCode).toBe(502);
    expect(big.headers['x-onebox-version']).toBe('web:1');
    const body = (await big.body.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ message: 'Bad Gateway', error: 'response_too_large' });
    expect(String(body.limit)).toMatch(/6291556 bytes/);
    expect(String(body.detail)).toMatch(
      /Response payload size \(\d+ bytes\) exceeded maximum allowed payload size \(6291556 bytes\)/,
    );
    const entry = onebox.metrics.logs('web', 1, 100).find((e) => e.requestId === big.headers['apigw-requestid']);
    expect(entry?.kind).toBe('response-too-large');
    const under = await get('/under');
    expect(under.statusCode).toBe(200);
    expect((await under.body.arrayBuffer()).byteLength).toBe(6 * 1024 * 1024 - 200);
  });

  it('sends 204 without a body or length, HEAD with the handler’s length, and no hop-by-hop header of a result', async () => {
    const none = await nodeRequest(`${onebox.gatewayUrl}/no-content`);
    expect(none.statusCode).toBe(204);
    expect(none.headers['content-length']).toBeUndefined();
    expect(none.body).toBe('');
    const head = await nodeRequest(`${onebox.gatewayUrl}/head`, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('1234');
    const hop = await nodeRequest(`${onebox.gatewayUrl}/hop`);
    expect(hop.body).toBe('ok');
    expect(hop.headers).toMatchObject({ 'x-kept': '1', 'content-length': '2', connection: 'keep-alive' });
    expect(hop.headers['transfer-encoding']).toBeUndefined();
    expect(hop.headers['keep-alive']).not.toBe('timeout=1');
  });

  it('gives the handler the client’s Host as host and domainName, the port, and a trace id', async () => {
    const res = await nodeRequest(`${onebox.gatewayUrl}/`, { headers: { host: 'shop.example.com' } });
    const port = new URL(onebox.gatewayUrl).port;
    expect(JSON.parse(res.body)).toMatchObject({
      host: 'shop.example.com',
      domainName: 'shop.example.com',
      domainPrefix: 'shop',
      forwardedHost: null,
      port,
      trace: expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
  });
});

describe('gateway.publicHost: the host handler events carry', () => {
  it('names the API as a custom domain does, whatever Host the client used', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onebox-public-host-'));
    writeFileSync(join(src, 'package.json'), '{"type":"module"}');
    writeFileSync(join(src, 'index.js'), HANDLER);
    const onebox = await startTestOnebox(
      { gateway: { listen: '127.0.0.1:0', publicHost: 'api.example.com' } },
      { handlerOutput: 'ignore' },
    );
    try {
      onebox.plane.publish('web', { handler: join(src, 'index.js'), timeoutMs: 3000 });
      onebox.plane.setAlias('web', { version: 1 });
      const res = await request(`${onebox.gatewayUrl}/`);
      expect(await res.body.json()).toMatchObject({
        host: 'api.example.com',
        domainName: 'api.example.com',
        domainPrefix: 'api',
      });
    } finally {
      await onebox.close();
      rmSync(src, { recursive: true, force: true });
    }
  });
});

describe('onebox serve prints what the gateway had to answer for a version', () => {
  it('with the component, the version and the request id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onebox-serve-log-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'index.js'), HANDLER);
    writeFileSync(
      join(dir, 'onebox.yaml'),
      [
        'gateway: { listen: "127.0.0.1:0" }',
        `admin: { listen: "127.0.0.1:0", token: "${TEST_TOKEN}" }`,
        `state: { dir: "${join(dir, 'state')}" }`,
        'components: [{ name: web, route: / }]',
        '',
      ].join('\n'),
    );
    const serve = await startServe([], { cwd: dir, env: { ONEBOX_ADMIN_TOKEN: '' } });
    try {
      const admin = ['--admin-url', serve.adminUrl, '--token', TEST_TOKEN];
      expect((await runCli(['publish', 'web', '--handler', join(dir, 'index.js'), ...admin])).code).toBe(0);
      expect((await runCli(['alias', 'web', '--version', '1', ...admin])).code).toBe(0);
      const res = await request(`${serve.gatewayUrl}/throw`);
      await res.body.dump();
      const id = String(res.headers['apigw-requestid']);
      for (let i = 0; i < 50 && !serve.output().includes(id); i++) await new Promise((r) => setTimeout(r, 50));
      expect(serve.output()).toMatch(
        new RegExp(`onebox: gateway: .* web:1  GET /throw  500 handler-error  req ${id}  TypeError: boom at /throw`),
      );
    } finally {
      serve.child.kill('SIGTERM');
      await new Promise((r) => serve.child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
