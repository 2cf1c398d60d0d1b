import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { bucketOf } from '../../src/core/index.js';
import { closedPort } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';

/** A WebSocket echo server labelled `label`, answering plain HTTP too; it keeps each upgrade request's headers. */
async function startWsUpstream(
  label: string,
): Promise<{ url: string; upgrades: IncomingMessage['headers'][]; close: () => Promise<void> }> {
  const upgrades: IncomingMessage['headers'][] = [];
  const server: Server = createServer((_req, res) => res.end(JSON.stringify({ label })));
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(req.headers);
    if (req.url === '/forbidden') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nno');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`${label}:${String(m)}`)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Opened {
  readonly ws: WebSocket;
  /** The 101's headers. */
  readonly headers: IncomingMessage['headers'];
}

function openWs(url: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let upgrade: IncomingMessage['headers'] = {};
    ws.once('upgrade', (res) => (upgrade = res.headers));
    ws.once('open', () => resolve({ ws, headers: upgrade }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () =>
        reject(
          Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

const refusal = (url: string, headers: Record<string, string> = {}) =>
  openWs(url, headers).then(
    () => {
      throw new Error('expected the upgrade to be refused');
    },
    (err: Error & { status?: number; headers?: IncomingMessage['headers']; body?: string }) => err,
  );

const echo = (ws: WebSocket, text: string): Promise<string> =>
  new Promise((resolve) => {
    ws.once('message', (m) => resolve(String(m)));
    ws.send(text);
  });

const closed = (ws: WebSocket): Promise<number> =>
  new Promise((resolve) =>
    ws.readyState === WebSocket.CLOSED ? resolve(1006) : ws.once('close', (code) => resolve(code)),
  );

/** A cookie whose user the alias's seed puts on the additional version (admit) or not. */
function cookieFor(seed: string, weightBp: number, admit: boolean): string {
  for (let i = 0; ; i++) {
    const id = `ws-user-${i}`.padEnd(22, 'x');
    if (bucketOf(seed, id) < weightBp === admit) return `onebox-uid=${id}`;
  }
}

describe('WebSocket through the gateway', () => {
  let v1: Awaited<ReturnType<typeof startWsUpstream>>;
  let v2: Awaited<ReturnType<typeof startWsUpstream>>;
  let onebox: TestOnebox;
  let wsUrl: string;

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startWsUpstream('v1'), startWsUpstream('v2')]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: v1.url });
    onebox.plane.publish('web', { url: v2.url });
    onebox.plane.setAlias('web', { version: 1 });
    wsUrl = onebox.gatewayUrl.replace('http', 'ws');
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  it('tunnels to the live version, with its header, a new user’s cookie, and the identity in baggage', async () => {
    const before = onebox.metrics.forVersion('web', 1).snapshot();
    const { ws, headers } = await openWs(`${wsUrl}/chat`);
    expect(await echo(ws, 'hello')).toBe('v1:hello');
    expect(await echo(ws, 'again')).toBe('v1:again');
    expect(headers['x-onebox-version']).toBe('web:1');
    expect(String(headers['set-cookie'])).toMatch(/^onebox-uid=[A-Za-z0-9_-]{22};/);
    const seen = v1.upgrades.at(-1)!;
    expect(seen.baggage).toMatch(/onebox-uid=/);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['sec-websocket-key']).toBeTruthy();
    const after = onebox.metrics.forVersion('web', 1).snapshot();
    expect(after.upgrades - before.upgrades).toBe(1);
    expect(after.requests - before.requests).toBe(1);
    ws.close();
    expect(await closed(ws)).toBe(1005);
  });

  it('is sticky like the user’s other requests: the same decision routes both', async () => {
    const alias = onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    try {
      for (const admit of [true, false]) {
        const cookie = cookieFor(alias.seed, 5000, admit);
        const page = await request(`${onebox.gatewayUrl}/`, { headers: { cookie } });
        const { label } = (await page.body.json()) as { label: string };
        const { ws, headers } = await openWs(`${wsUrl}/chat`, { cookie });
        expect(headers['x-onebox-version']).toBe(page.headers['x-onebox-version']);
        expect(await echo(ws, 'x')).toBe(`${label}:x`);
        expect(label).toBe(admit ? 'v2' : 'v1');
        ws.close();
      }
    } finally {
      onebox.plane.setAlias('web', { version: 1 });
    }
  });

  it('closes the sockets of a version the alias stops routing (rollback), and keeps the others', async () => {
    const alias = onebox.plane.setAlias('web', { version: 1, weights: { '2': 0.5 } });
    const onV2 = await openWs(`${wsUrl}/chat`, { cookie: cookieFor(alias.seed, 5000, true) });
    const onV1 = await openWs(`${wsUrl}/chat`, { cookie: cookieFor(alias.seed, 5000, false) });
    expect([onV2.headers['x-onebox-version'], onV1.headers['x-onebox-version']]).toEqual(['web:2', 'web:1']);
    const v2Closed = closed(onV2.ws);
    onebox.plane.setAlias('web', { version: 1 }); // v2 rolled back
    expect(await v2Closed).toBe(1006);
    expect(await echo(onV1.ws, 'still')).toBe('v1:still');
    const [entry] = onebox.metrics.logs('web', 2, 10).filter((e) => e.kind === 'upgrade-closed');
    expect(entry?.message).toMatch(/1 upgraded connection\(s\) closed: the version is no longer routed/);
    // Reconnecting lands on the version the alias routes now.
    const again = await openWs(`${wsUrl}/chat`, { cookie: cookieFor(alias.seed, 5000, true) });
    expect(again.headers['x-onebox-version']).toBe('web:1');
    again.ws.close();
    onV1.ws.close();
  });

  it('relays an upstream’s refusal of the upgrade, counted as a failed upgrade', async () => {
    const before = onebox.metrics.forVersion('web', 1).snapshot();
    const err = await refusal(`${wsUrl}/forbidden`);
    expect(err.status).toBe(403);
    expect(err.body).toBe('no');
    expect(err.headers?.['x-onebox-version']).toBe('web:1');
    const after = onebox.metrics.forVersion('web', 1).snapshot();
    expect(after.upgradeFailures - before.upgradeFailures).toBe(1);
    expect(after.errors5xx).toBe(before.errors5xx);
  });

  it('closes a tunnel silent both ways for upgradeIdleTimeoutMs, and keeps one that talks', async () => {
    const quick = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', upgradeIdleTimeoutMs: 300 } });
    try {
      quick.plane.publish('web', { url: v1.url });
      quick.plane.setAlias('web', { version: 1 });
      const url = quick.gatewayUrl.replace('http', 'ws');
      const talking = await openWs(url);
      const silent = await openWs(url);
      const silentClosed = closed(silent.ws);
      // Talking every 100 ms for twice the idle timeout: the silent one closes meanwhile.
      for (let i = 0; i < 6; i++) {
        expect(await echo(talking.ws, `n${i}`)).toBe(`v1:n${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(silent.ws.readyState).toBe(WebSocket.CLOSED);
      expect(await silentClosed).toBe(1006);
      expect(talking.ws.readyState).toBe(WebSocket.OPEN);
      expect(await echo(talking.ws, 'last')).toBe('v1:last');
      talking.ws.close();
    } finally {
      await quick.close();
    }
  });
});

describe('WebSocket through gateway workers', () => {
  it('counts upgrades in the primary and closes a rolled-back version’s sockets in the worker', async () => {
    const [v1, v2] = await Promise.all([startWsUpstream('v1'), startWsUpstream('v2')]);
    const onebox = await startTestOnebox({ gateway: { listen: '127.0.0.1:0', workers: 1 } }, { workerReportMs: 20 });
    try {
      onebox.plane.publish('web', { url: v1.url });
      onebox.plane.publish('web', { url: v2.url });
      onebox.plane.setAlias('web', { version: 2 });
      const { ws, headers } = await openWs(onebox.gatewayUrl.replace('http', 'ws'));
      expect(headers['x-onebox-version']).toBe('web:2');
      expect(await echo(ws, 'w')).toBe('v2:w');
      const gone = closed(ws);
      onebox.plane.setAlias('web', { version: 1 });
      expect(await gone).toBe(1006);
      for (let i = 0; i < 100 && onebox.metrics.forVersion('web', 2).snapshot().upgrades === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(onebox.metrics.forVersion('web', 2).snapshot()).toMatchObject({ upgrades: 1, requests: 1 });
    } finally {
      await onebox.close();
      await Promise.all([v1.close(), v2.close()]);
    }
  });
});

describe('WebSocket to versions that cannot take it', () => {
  it('answers 502 when the upstream is down and 501 for a handler version, each counted and logged', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onebox-ws-handler-'));
    writeFileSync(join(src, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "ok" });');
    const onebox = await startTestOnebox({}, { handlerOutput: 'ignore' });
    try {
      const url = onebox.gatewayUrl.replace('http', 'ws');
      onebox.plane.publish('web', { url: `http://127.0.0.1:${await closedPort()}` });
      onebox.plane.setAlias('web', { version: 1 });
      const down = await refusal(`${url}/chat`);
      expect(down.status).toBe(502);
      expect(down.headers?.['x-onebox-version']).toBe('web:1');
      expect(onebox.metrics.forVersion('web', 1).snapshot()).toMatchObject({
        requests: 1,
        errors5xx: 1,
        upstreamErrors: 1,
        upgradeFailures: 1,
      });
      expect(onebox.metrics.logs('web', 1, 10)[0]).toMatchObject({
        kind: 'upgrade-failed',
        status: 502,
        path: '/chat',
      });

      onebox.plane.publish('web', { handler: join(src, 'index.mjs'), timeoutMs: 3000 });
      onebox.plane.setAlias('web', { version: 2 });
      const handler = await refusal(`${url}/chat`);
      expect(handler.status).toBe(501);
      expect(JSON.parse(handler.body!)).toMatchObject({ error: 'upgrade_not_supported', component: 'web', version: 2 });
      expect(onebox.metrics.forVersion('web', 2).snapshot()).toMatchObject({
        requests: 1,
        errors5xx: 1,
        upgradeFailures: 1,
      });
      expect(onebox.metrics.logs('web', 2, 10)[0]).toMatchObject({ kind: 'upgrade-refused', status: 501 });
      // The same version still answers plain requests.
      const plain = await request(`${onebox.gatewayUrl}/`);
      expect(await plain.body.text()).toBe('ok');
    } finally {
      await onebox.close();
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('answers an upgrade to a path no component routes with 404, on the connection it came on', async () => {
    const onebox = await startTestOnebox({ components: [{ name: 'api', route: '/api' }] });
    try {
      const err = await refusal(`${onebox.gatewayUrl.replace('http', 'ws')}/elsewhere`);
      expect(err.status).toBe(404);
      expect(JSON.parse(err.body!)).toMatchObject({ error: 'no_route' });
    } finally {
      await onebox.close();
    }
  });
});
