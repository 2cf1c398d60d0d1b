import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/** One GET through node:http, with every informational answer it saw before the final one. */
function getWithInformation(url: string): Promise<{
  informational: { statusCode: number; headers: Record<string, unknown> }[];
  statusCode: number;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const informational: { statusCode: number; headers: Record<string, unknown> }[] = [];
    const req = httpRequest(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ informational, statusCode: res.statusCode ?? 0, body }));
    });
    req.on('information', (info) => informational.push({ statusCode: info.statusCode, headers: info.headers }));
    req.on('error', reject);
    req.end();
  });
}

describe('informational (1xx) answers from an upstream (RFC 9110 15.2)', () => {
  let upstream: TestUpstream;
  let onebox: TestOnebox;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/hints') {
        res.writeEarlyHints({ link: ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'] });
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/html', link: '</style.css>; rel=preload; as=style' });
          res.end('<!doctype html><p>page');
        }, 20);
      } else if (req.url === '/processing') {
        res.writeProcessing();
        setTimeout(() => res.end('done'), 20);
      } else res.end('plain');
    });
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: upstream.url });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    await upstream.close();
  });

  it('forwards 103 Early Hints ahead of the final answer, which arrives whole', async () => {
    const got = await getWithInformation(`${onebox.gatewayUrl}/hints`);
    expect(got.informational).toHaveLength(1);
    expect(got.informational[0]!.statusCode).toBe(103);
    expect(String(got.informational[0]!.headers.link)).toBe(
      '</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script',
    );
    expect(got.statusCode).toBe(200);
    expect(got.body).toBe('<!doctype html><p>page');
    expect(onebox.metrics.forVersion('web', 1).snapshot()).toMatchObject({ errors5xx: 0 });
  });

  it('forwards 102 Processing, and the connection carries the next request', async () => {
    const got = await getWithInformation(`${onebox.gatewayUrl}/processing`);
    expect(got.informational.map((i) => i.statusCode)).toEqual([102]);
    expect(got.body).toBe('done');
    expect((await getWithInformation(`${onebox.gatewayUrl}/`)).body).toBe('plain');
  });

  it('gives curl a reply, not "Empty reply from server"', async () => {
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('curl', ['-sS', '-i', `${onebox.gatewayUrl}/hints`], (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    if (out.code === 127 || /ENOENT/.test(out.stderr)) return; // no curl on this machine
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^HTTP\/1\.1 103 Early Hints\r\n/);
    expect(out.stdout).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*<!doctype html><p>page$/);
  });
});
