import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/**
 * Real apps on real Lambda adapters, each bundled (as a Lambda deployment is) and published
 * as a handler version, driven through the gateway: hono's `hono/aws-lambda`, Express
 * through serverless-http, Fastify through @fastify/aws-lambda. Each app answers the same
 * routes; what it saw of the request comes back as JSON.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const HONO = `
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { csrf } from 'hono/csrf';
import { getCookie, setCookie } from 'hono/cookie';
const app = new Hono();
app.use('/form', csrf());
app.get('/info', (c) => c.json({ url: c.req.url, host: c.req.header('host'), q: c.req.query('q') }));
app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
app.post('/form', async (c) => c.json(await c.req.parseBody()));
app.post('/upload', async (c) => {
  const body = Buffer.from(await c.req.arrayBuffer());
  return c.json({ length: body.length, sha256: createHash('sha256').update(body).digest('hex') });
});
app.get('/cookies', (c) => {
  setCookie(c, 'a', '1', { path: '/' });
  setCookie(c, 'b', '2', { path: '/' });
  return c.json({ seen: getCookie(c, 'seen') ?? null });
});
app.get('/page', (c) => c.html('<p>héllo λ</p>'));
app.get('/empty', (c) => c.body(null, 204));
export const handler = handle(app);
`;

const EXPRESS = `
const { createHash } = require('node:crypto');
const express = require('express');
const serverless = require('serverless-http');
const app = express();
app.get('/info', (req, res) => res.json({ url: req.protocol + '://' + req.get('host') + req.originalUrl, host: req.hostname, q: req.query.q }));
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
app.post('/form', express.urlencoded({ extended: false }), (req, res) => res.json(req.body));
app.post('/upload', express.raw({ type: '*/*', limit: '10mb' }), (req, res) =>
  res.json({ length: req.body.length, sha256: createHash('sha256').update(req.body).digest('hex') }));
app.get('/cookies', (req, res) => {
  res.cookie('a', '1');
  res.cookie('b', '2');
  res.json({ seen: /(?:^|; )seen=([^;]*)/.exec(req.get('cookie') || '')?.[1] ?? null });
});
app.get('/page', (req, res) => res.type('html').send('<p>héllo λ</p>'));
app.get('/empty', (req, res) => res.status(204).end());
module.exports.handler = serverless(app);
`;

const FASTIFY = `
const { createHash } = require('node:crypto');
const Fastify = require('fastify');
const awsLambdaFastify = require('@fastify/aws-lambda');
const app = Fastify();
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) =>
  done(null, Object.fromEntries(new URLSearchParams(body))));
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (req, body, done) => done(null, body));
app.get('/info', async (req) => ({ url: req.protocol + '://' + req.host + req.url, host: req.hostname, q: req.query.q }));
app.get('/items/:id', async (req) => ({ id: req.params.id }));
app.post('/form', async (req) => req.body);
app.post('/upload', async (req) => ({ length: req.body.length, sha256: createHash('sha256').update(req.body).digest('hex') }));
app.get('/cookies', async (req, reply) => {
  reply.header('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
  return { seen: /(?:^|;)\\s*seen=([^;]*)/.exec(req.headers.cookie || '')?.[1] ?? null };
});
app.get('/page', async (req, reply) => reply.type('text/html; charset=utf-8').send('<p>héllo λ</p>'));
app.get('/empty', async (req, reply) => reply.code(204).send());
module.exports.handler = awsLambdaFastify(app);
`;

const ADAPTERS = [
  { name: 'hono (hono/aws-lambda)', source: HONO, file: 'hono.mjs', format: 'esm' as const },
  { name: 'express (serverless-http)', source: EXPRESS, file: 'express.cjs', format: 'cjs' as const },
  { name: 'fastify (@fastify/aws-lambda)', source: FASTIFY, file: 'fastify.cjs', format: 'cjs' as const },
];

describe.each(ADAPTERS)('$name as a handler version through the gateway', ({ source, file, format }) => {
  let dir: string;
  let onebox: TestOnebox;
  const HOST = 'shop.example.com';
  const call = (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
  ) =>
    new Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = { host: HOST, ...init.headers };
      const req = httpRequest(new URL(path, onebox.gatewayUrl), { method: init.method ?? 'GET', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end(init.body);
    });
  const json = async (path: string, init?: Parameters<typeof call>[1]): Promise<Record<string, unknown>> => {
    const res = await call(path, init);
    expect(res.statusCode, res.body.toString()).toBe(200);
    return JSON.parse(res.body.toString()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-adapter-'));
    const out = join(dir, 'bundle', file);
    await build({
      stdin: { contents: source, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format,
      outfile: out,
      logLevel: 'silent',
    });
    writeFileSync(
      join(dir, 'bundle', 'package.json'),
      JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' }),
    );
    onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
    onebox.plane.publish('web', { handler: `${out}#handler`, timeoutMs: 10_000 });
    onebox.plane.setAlias('web', { version: 1 });
  }, 60_000);
  afterAll(async () => {
    await onebox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees the client’s host, and `+` in the query string as a space', async () => {
    const info = await json('/info?q=a+b%2Bc');
    expect(info.host).toBe(HOST);
    expect(String(info.url)).toMatch(new RegExp(`^https?://${HOST.replace(/\./g, '\\.')}/info\\?q=a`));
    expect(info.q).toBe('a b+c');
  });

  it('routes a percent-encoded path segment to the same parameter as it would locally', async () => {
    expect(await json('/items/a%20b')).toEqual({ id: 'a b' });
  });

  it('parses a form post (base64 in the event, as on AWS)', async () => {
    const form = await json('/form', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: `https://${HOST}`,
      },
      body: 'name=Zo%C3%AB&note=a+b',
    });
    expect(form).toEqual({ name: 'Zoë', note: 'a b' });
  });

  it('receives a binary upload byte for byte', async () => {
    const bytes = randomBytes(300 * 1024);
    const got = await json('/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(got).toEqual({ length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  it('sets each cookie as its own Set-Cookie (with the gateway’s), and reads the ones sent', async () => {
    const res = await call('/cookies', { headers: { cookie: 'seen=yes; other=1' } });
    expect(res.statusCode).toBe(200);
    const cookies = [res.headers['set-cookie']].flat().map((c) => String(c).split(';')[0]);
    expect(cookies.slice(0, 2)).toEqual(['a=1', 'b=2']);
    expect(cookies[2]).toMatch(/^onebox-uid=/);
    expect(JSON.parse(res.body.toString())).toEqual({ seen: 'yes' });
    expect(res.headers['x-onebox-version']).toBe('web:1');
  });

  it('answers UTF-8 HTML intact, 204 without a body or length', async () => {
    const page = await call('/page');
    expect(page.statusCode).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.body.toString('utf8')).toBe('<p>héllo λ</p>');
    expect(page.headers['content-length']).toBe(String(Buffer.byteLength('<p>héllo λ</p>')));
    const empty = await call('/empty');
    expect(empty.statusCode).toBe(204);
    expect(empty.headers['content-length']).toBeUndefined();
    expect(empty.headers['transfer-encoding']).toBeUndefined();
    expect(onebox.metrics.forVersion('web', 1).snapshot().errors5xx).toBe(0);
  });

  it.runIf(file === 'hono.mjs')(
    'lets hono’s csrf() take a same-origin form post (the host is the client’s), and stop a cross-origin one',
    async () => {
      const post = (origin: string) =>
        call('/form', {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1',
        });
      const same = await post(`https://${HOST}`);
      expect(same.statusCode).toBe(200);
      expect(JSON.parse(same.body.toString())).toEqual({ a: '1' });
      expect((await post('https://evil.example')).statusCode).toBe(403);
    },
  );
});
