import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { closedPort, labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

const TEN_MB = 10 * 1024 * 1024;

/** Sends raw bytes and returns the whole raw answer (the server closes the connection). */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

describe('gateway under failure and bad input', () => {
  let onebox: TestOnebox;
  let good: TestUpstream;
  let hanging: TestUpstream;
  let streaming: TestUpstream;

  beforeAll(async () => {
    good = await startUpstream(labelled('good'));
    hanging = await startUpstream(() => {
      /* never answers */
    });
    streaming = await startUpstream((req, res) => {
      if (req.method === 'POST') {
        // Echo the upload's size and digest without keeping it.
        const hash = createHash('sha256');
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          hash.update(c);
        });
        req.on('end', () => res.end(JSON.stringify({ size, sha256: hash.digest('hex') })));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < TEN_MB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const down = await closedPort();
    onebox = await startTestOnebox({
      components: [
        { name: 'web', route: '/' },
        { name: 'down', route: '/down' },
        { name: 'slow', route: '/slow' },
        { name: 'big', route: '/big' },
        { name: 'trickle', route: '/trickle' },
      ],
      gateway: { listen: '127.0.0.1:0', headersTimeoutMs: 300, connectTimeoutMs: 500 },
    });
    const p = onebox.plane;
    p.publish('web', { url: good.url });
    p.setAlias('web', { version: 1 });
    p.publish('down', { url: `http://127.0.0.1:${down}` });
    p.setAlias('down', { version: 1 });
    p.publish('slow', { url: hanging.url });
    p.setAlias('slow', { version: 1 });
    p.publish('big', { url: streaming.url });
    p.setAlias('big', { version: 1 });
  });

  afterAll(async () => {
    await onebox.close();
    await Promise.all([good.close(), hanging.close(), streaming.close()]);
  });

  it('answers 502 with a small JSON error when the upstream is down, and counts it', async () => {
    const res = await request(`${onebox.gatewayUrl}/down/x`);
    expect(res.statusCode).toBe(502);
    expect(await res.body.json()).toEqual({ error: 'upstream_unavailable', component: 'down', version: 1 });
    const m = onebox.metrics.forVersion('down', 1).snapshot();
    expect(m.upstreamErrors).toBe(1);
    expect(m.errors5xx).toBe(1);
    const [entry] = onebox.metrics.logs('down', 1, 10);
    expect(entry).toMatchObject({
      component: 'down',
      version: 1,
      path: '/down/x',
      status: 502,
      kind: 'upstream-error',
    });
    expect(entry!.message).toMatch(/^no answer: ECONNREFUSED/);
  });

  it('answers 504 when the upstream hangs, and counts a timeout', async () => {
    const res = await request(`${onebox.gatewayUrl}/slow`);
    expect(res.statusCode).toBe(504);
    expect(((await res.body.json()) as { error: string }).error).toBe('upstream_timeout');
    expect(onebox.metrics.forVersion('slow', 1).snapshot().upstreamTimeouts).toBe(1);
    expect(onebox.metrics.logs('slow', 1, 10)[0]).toMatchObject({ status: 504, kind: 'upstream-timeout' });
  });

  it('streams a 10 MB response body through intact', async () => {
    const res = await request(`${onebox.gatewayUrl}/big/file`);
    let size = 0;
    for await (const chunk of res.body) size += (chunk as Buffer).length;
    expect(res.statusCode).toBe(200);
    expect(size).toBe(TEN_MB);
  });

  it('streams: the client gets the first bytes before the upstream has finished', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const trickle = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part;');
      void held.then(() => res.end('second part'));
    });
    onebox.plane.publish('trickle', { url: trickle.url });
    onebox.plane.setAlias('trickle', { version: 1 });
    try {
      const res = await request(`${onebox.gatewayUrl}/trickle`);
      const reader = res.body[Symbol.asyncIterator]();
      const first = await reader.next();
      expect(String(first.value)).toBe('first part;');
      release();
      let rest = '';
      for (let next = await reader.next(); !next.done; next = await reader.next()) rest += String(next.value);
      expect(rest).toBe('second part');
    } finally {
      release();
      await trickle.close();
    }
  });

  it('streams a 10 MB upload through intact', async () => {
    const body = Buffer.alloc(TEN_MB, 3);
    const res = await request(`${onebox.gatewayUrl}/big/upload`, { method: 'POST', body });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ size: TEN_MB, sha256: createHash('sha256').update(body).digest('hex') });
  });

  it('treats malformed cookies and baggage as a new user', async () => {
    for (const headers of [
      { cookie: 'onebox-uid=%%%; other=1' },
      { cookie: `onebox-uid=${'a'.repeat(5000)}` },
      { cookie: ';;;=;onebox-uid' },
      { baggage: 'onebox-uid=%E0%A4%A,,,;;' },
      { baggage: `k=${'v'.repeat(9000)},onebox-uid=abc` },
      { baggage: '=,=,onebox-uid' },
    ]) {
      const res = await request(`${onebox.gatewayUrl}/`, { headers });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/^onebox-uid=[A-Za-z0-9_-]{22};/);
      await res.body.dump();
    }
    expect(onebox.metrics.fallbacks.get('invalid-identity')).toBeGreaterThanOrEqual(3);
  });

  it('answers 431 to a 64 KB header and stays up', async () => {
    const raw = await rawExchange(
      Number(new URL(onebox.gatewayUrl).port),
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    const after = await request(`${onebox.gatewayUrl}/`);
    expect(after.statusCode).toBe(200);
    await after.body.dump();
  });

  it('answers 400 to a request with both Content-Length and Transfer-Encoding', async () => {
    const raw = await rawExchange(
      Number(new URL(onebox.gatewayUrl).port),
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers 404 to a path no component routes, and 503 while a component has no live version', async () => {
    const only = await startTestOnebox({ components: [{ name: 'api', route: '/api' }] });
    try {
      const unknown = await request(`${only.gatewayUrl}/nowhere`);
      expect(unknown.statusCode).toBe(404);
      expect(await unknown.body.json()).toMatchObject({ error: 'no_route' });
      const early = await request(`${only.gatewayUrl}/api/x`);
      expect(early.statusCode).toBe(503);
      expect(await early.body.json()).toMatchObject({ error: 'no_live_version', component: 'api' });
    } finally {
      await only.close();
    }
  });
});
