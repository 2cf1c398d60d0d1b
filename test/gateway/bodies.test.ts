import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/** Every byte value, repeated up to `size` bytes: any re-encoding on the way shows. */
const bytes = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) % 256));

// A small answer arriving in one piece goes out with its head in one write (exchange.ts
// onData); anything else is streamed. Both paths must deliver the same bytes and framing.
const SIZES = [0, 1, 256, 8 * 1024, 8 * 1024 + 1, 64 * 1024, 300 * 1024];

describe('gateway response bodies', () => {
  let upstream: TestUpstream;
  let onebox: TestOnebox;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const [, kind, size] = (req.url ?? '').split('/');
      const body = bytes(Number(size));
      if (kind === 'chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(body);
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      }
    });
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: upstream.url });
    onebox.plane.setAlias('web', { version: 1 });
  });

  afterAll(async () => {
    await onebox.close();
    await upstream.close();
  });

  it('passes every size through byte for byte, with or without Content-Length, on one kept-alive connection', async () => {
    const client = new Client(onebox.gatewayUrl, { pipelining: 1 });
    let connections = 0;
    client.on('connect', () => connections++);
    try {
      for (const kind of ['length', 'chunked']) {
        for (const size of SIZES) {
          const res = await client.request({ path: `/${kind}/${size}`, method: 'GET' });
          const body = Buffer.from(await res.body.arrayBuffer());
          expect(res.statusCode).toBe(200);
          expect(res.headers['x-onebox-version']).toBe('web:1');
          if (kind === 'length') expect(res.headers['content-length']).toBe(String(size));
          expect(body.equals(bytes(size)), `${kind} ${size}`).toBe(true);
        }
      }
      expect(connections).toBe(1);
      // (undici's client opens a new connection after a HEAD request, whatever the server says)
      const head = await client.request({ path: '/length/100', method: 'HEAD' });
      await head.body.dump();
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe('100');
      const after = await client.request({ path: '/length/5', method: 'GET' });
      expect(Buffer.from(await after.body.arrayBuffer()).equals(bytes(5))).toBe(true);
    } finally {
      await client.close();
    }
    const m = onebox.metrics.forVersion('web', 1).snapshot();
    expect(m.requests).toBe(SIZES.length * 2 + 2);
    expect(m.errors5xx + m.upstreamErrors).toBe(0);
  });
});
