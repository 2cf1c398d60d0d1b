import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';
import { runCli } from '../helpers/cli.js';

const HANDLER = (label: string) => `
export async function handler(event, context) {
  if (event.rawPath === '/boom') throw new Error('boom');
  if (event.rawPath === '/slow') await new Promise((r) => setTimeout(r, 5000));
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: ['a=1', 'b=2'],
    body: JSON.stringify({
      label: ${JSON.stringify(label)},
      version: context.functionVersion,
      arn: context.invokedFunctionArn,
      path: event.rawPath,
      query: event.queryStringParameters ?? null,
      baggage: event.headers.baggage,
      body: event.body ?? null,
      greeting: process.env.GREETING ?? null,
    }),
  };
}
`;

describe('handler versions served by the gateway', () => {
  let src: string;
  let onebox: TestOnebox;

  beforeAll(async () => {
    src = mkdtempSync(join(tmpdir(), 'onebox-handler-src-'));
    writeFileSync(join(src, 'package.json'), '{"type":"module"}');
    writeFileSync(join(src, 'index.js'), HANDLER('first'));
    onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
  });
  afterAll(async () => {
    await onebox.close();
    rmSync(src, { recursive: true, force: true });
  });

  it('runs a published handler as API Gateway would, and keeps the code it was published with', async () => {
    const v1 = onebox.plane.publish('web', { handler: `${src}#handler`, timeoutMs: 1000 });
    writeFileSync(join(src, 'index.js'), HANDLER('second'));
    onebox.plane.setAlias('web', { version: v1.number });
    const res = await request(`${onebox.gatewayUrl}/items/7?x=1&x=2`, {
      method: 'POST',
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-onebox-version']).toBe('web:1');
    const cookies = [res.headers['set-cookie']].flat();
    expect(cookies.slice(0, 2)).toEqual(['a=1', 'b=2']);
    expect(String(cookies[2])).toMatch(/^onebox-uid=/);
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      label: 'first',
      version: '1',
      arn: 'arn:aws:lambda:local:000000000000:function:web:live',
      path: '/items/7',
      query: { x: '1,2' },
      body: 'hello',
    });
    expect(String(body.baggage)).toMatch(/^onebox-uid=/);
  });

  it('answers a handler error with 500, a timeout with 504, and counts them', async () => {
    const boom = await request(`${onebox.gatewayUrl}/boom`);
    expect(boom.statusCode).toBe(500);
    await boom.body.dump();
    const slow = await request(`${onebox.gatewayUrl}/slow`);
    expect(slow.statusCode).toBe(504);
    await slow.body.dump();
    const m = onebox.metrics.forVersion('web', 1).snapshot();
    expect(m.errors5xx).toBe(2);
    expect(m.upstreamTimeouts).toBe(1);
    const after = await request(`${onebox.gatewayUrl}/ok`);
    expect(after.statusCode).toBe(200);
    await after.body.dump();
  });

  it('splits users between two handler versions, sticky', async () => {
    const v2 = onebox.plane.publish('web', { handler: `${src}#handler`, timeoutMs: 1000 });
    onebox.plane.setAlias('web', { version: 1, weights: { [v2.number]: 0.5 } });
    const labels = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const cookie = `onebox-uid=${`h${i}`.padEnd(22, 'w')}`;
      for (let k = 0; k < 2; k++) {
        const res = await request(`${onebox.gatewayUrl}/`, { headers: { cookie } });
        const { label } = (await res.body.json()) as { label: string };
        if (k === 0) labels.set(cookie, label);
        else expect(label).toBe(labels.get(cookie));
      }
    }
    expect(new Set(labels.values())).toEqual(new Set(['first', 'second']));
  });

  it('publishes with the CLI, and refuses a handler that does not exist', async () => {
    const ok = await runCli([
      'publish',
      'web',
      '--handler',
      `${src}#handler`,
      '--timeout',
      '2s',
      '--env',
      'GREETING=hello=world',
      '--admin-url',
      onebox.adminUrl,
      '--token',
      TEST_TOKEN,
    ]);
    expect(ok.stdout).toMatch(/published web version 3 -> handler \S+index\.js#handler, timeout 2s/);
    // The environment is part of the version: v3 has it, v1 does not.
    onebox.plane.setAlias('web', { version: 3 });
    const res = await request(`${onebox.gatewayUrl}/`);
    expect(await res.body.json()).toMatchObject({ label: 'second', greeting: 'hello=world' });
    onebox.plane.setAlias('web', { version: 1 });
    const old = await request(`${onebox.gatewayUrl}/`);
    expect(await old.body.json()).toMatchObject({ label: 'first', greeting: null });
    const badEnv = await runCli(['publish', 'web', '--handler', src, '--env', '1X=y', '--admin-url', onebox.adminUrl]);
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/expected KEY=VALUE with a variable name as KEY, got "1X=y"/);
    const bad = await runCli([
      'publish',
      'web',
      '--handler',
      '/nope/x.js',
      '--admin-url',
      onebox.adminUrl,
      '--token',
      TEST_TOKEN,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot publish handler \/nope\/x\.js: handler source \/nope\/x\.js does not exist/);
  });
});

describe('onebox invoke', () => {
  it('answers like aws lambda invoke, with the executed version, and reports function errors', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onebox-invoke-'));
    writeFileSync(
      join(src, 'fn.mjs'),
      'export const handler = async (event) => { if (event.fail) throw new Error("nope"); return { got: event.n }; };',
    );
    writeFileSync(join(src, 'event.json'), '{"n": 42}');
    writeFileSync(join(src, 'bad.json'), '{"fail": true}');
    const onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
    try {
      onebox.plane.publish('web', { handler: join(src, 'fn.mjs'), timeoutMs: 2000 });
      onebox.plane.setAlias('web', { version: 1 });
      const cli = (...args: string[]) =>
        runCli([...args, '--admin-url', onebox.adminUrl, '--token', TEST_TOKEN], { cwd: src });
      const ok = await cli('invoke', 'web', 'out.json', '--payload', 'file://event.json');
      expect(JSON.parse(ok.stdout)).toEqual({ StatusCode: 200, ExecutedVersion: '1' });
      expect(JSON.parse(readFileSync(join(src, 'out.json'), 'utf8'))).toEqual({ got: 42 });
      const pinned = await cli('invoke', 'web:1', '--payload', 'event.json');
      expect(pinned.stdout).toContain('"ExecutedVersion": "1"');
      const failed = await cli('invoke', 'web', 'err.json', '--payload', 'bad.json');
      expect(JSON.parse(failed.stdout)).toEqual({ StatusCode: 200, ExecutedVersion: '1', FunctionError: 'Unhandled' });
      expect(JSON.parse(readFileSync(join(src, 'err.json'), 'utf8'))).toMatchObject({ errorMessage: 'nope' });
    } finally {
      await onebox.close();
      rmSync(src, { recursive: true, force: true });
    }
  });
});
