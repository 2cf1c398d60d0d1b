import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/** Writes raw bytes, returns the whole answer (every request here ends with Connection: close or a refusal). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(bytes, 'latin1')));
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

const status = (answer: string): number | undefined => {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
  return m ? Number(m[1]) : undefined;
};

describe('RFC 9112 request targets and Host, as the gateway takes them', () => {
  let upstream: TestUpstream;
  let onebox: TestOnebox;
  let port: number;

  beforeAll(async () => {
    upstream = await startUpstream(labelled('v1'));
    upstream.server.maxHeadersCount = 0;
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: upstream.url });
    onebox.plane.setAlias('web', { version: 1 });
    port = Number(new URL(onebox.gatewayUrl).port);
  });
  afterAll(async () => {
    await onebox.close();
    await upstream.close();
  });

  it('accepts an absolute-form target, its authority in the Host header’s place (3.2.2)', async () => {
    const before = upstream.received.length;
    const answer = await raw(
      port,
      'GET http://shop.example/a/b?c=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n',
    );
    expect(status(answer)).toBe(200);
    expect(answer).toContain('"path":"/a/b?c=1"');
    const got = upstream.received[before]!;
    expect(got.url).toBe('/a/b?c=1');
    expect(got.headers['x-forwarded-host']).toBe('shop.example');
    const bare = await raw(port, 'GET http://shop.example HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n');
    expect(status(bare)).toBe(200);
    expect(upstream.received.at(-1)!.url).toBe('/');
  });

  it('refuses more than one Host, or a Host that is not a host, with 400 (3.2), never reaching the version', async () => {
    const before = upstream.received.length;
    for (const hosts of [
      'Host: a.example\r\nHost: b.example',
      'Host: a b',
      'Host: evil.example/path',
      'Host: user@evil.example',
      'Host: a.example:80x',
    ]) {
      const answer = await raw(port, `GET / HTTP/1.1\r\n${hosts}\r\nConnection: close\r\n\r\n`);
      expect(status(answer), hosts).toBe(400);
      expect(answer).toContain('"error":"bad_host"');
    }
    expect(status(await raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'))).toBe(400); // no Host at all
    expect(status(await raw(port, 'GET http://a@b/ HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n'))).toBe(400);
    expect(upstream.received.length).toBe(before);
    for (const ok of [
      'Host: [::1]:8080',
      'Host: 127.0.0.1',
      'Host: shop.example.com:443',
      'Host: xn--bcher-kva.example',
    ])
      expect(status(await raw(port, `GET / HTTP/1.1\r\n${ok}\r\nConnection: close\r\n\r\n`)), ok).toBe(200);
  });

  it('answers 431 past 1000 header fields instead of dropping the rest, and forwards 1000 whole', async () => {
    const fields = (n: number): string => Array.from({ length: n }, (_, i) => `x-h${i}: ${i}\r\n`).join('');
    const over = await raw(port, `GET / HTTP/1.1\r\nHost: a\r\n${fields(1000)}Connection: close\r\n\r\n`);
    expect(status(over)).toBe(431);
    expect(over).toContain('"error":"too_many_headers"');
    const before = upstream.received.length;
    const within = await raw(port, `GET / HTTP/1.1\r\nHost: a\r\n${fields(997)}Connection: close\r\n\r\n`);
    expect(status(within)).toBe(200);
    expect(upstream.received[before]!.headers['x-h996']).toBe('996');
  });

  it('answers 414 to a URL over 8 KiB (CloudFront’s limit) and to one past the header limit, 431 to long headers', async () => {
    const long = await raw(port, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect(status(long)).toBe(414);
    expect(long).toContain('"error":"uri_too_long"');
    expect(status(await raw(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`))).toBe(414);
    expect(status(await raw(port, `GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`))).toBe(
      200,
    );
    expect(status(await raw(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`))).toBe(431);
  });

  it('answers CONNECT with 501 instead of dropping the connection', async () => {
    const answer = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(status(answer)).toBe(501);
    expect(answer).toContain('"error":"connect_not_supported"');
    expect(onebox.metrics.fallbacks.get('connect')).toBeGreaterThanOrEqual(1);
  });
});
