import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { randomCookieId, prng } from '../helpers/random.js';
import { closedPort, labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report, tally } from './figures.js';

/**
 * Faults: a new version's upstream refuses, resets mid-body, hangs or answers garbage: the
 * gateway keeps serving the stable version and answers the new version's users with a
 * defined status. (The state file's faults: test/controller/state-file-faults.test.ts.)
 */

const USERS = envInt('ONEBOX_FAULT_USERS', 200);
const SEED = envInt('ONEBOX_FUZZ_SEED', 7);

/** A raw TCP upstream that does `onConnection` with each socket. */
async function rawUpstream(onConnection: (s: Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers once the request head is in. */
const onHead = (s: Socket, then: () => void): void => {
  let head = '';
  s.on('data', (d: Buffer) => {
    if (head.includes('\r\n\r\n')) return;
    head += d.toString('latin1');
    if (head.includes('\r\n\r\n')) then();
  });
};

const FAULTS: Record<string, () => Promise<{ url: string; close: () => Promise<void> }>> = {
  refuses: async () => ({ url: `http://127.0.0.1:${await closedPort()}`, close: async () => undefined }),
  'resets mid-body': () =>
    rawUpstream((s) =>
      onHead(s, () => {
        s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"version":"v2","par');
        setTimeout(() => s.resetAndDestroy(), 5);
      }),
    ),
  hangs: () => rawUpstream(() => undefined),
  'hangs mid-body': () =>
    rawUpstream((s) => onHead(s, () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"ver'))),
  'answers garbage': () => rawUpstream((s) => onHead(s, () => s.end('\x00\x01garbage \xff\r\nnot: http\r\n\r\n{'))),
  'answers a bad status line': () => rawUpstream((s) => onHead(s, () => s.end('HTTP/1.1 999999 What\r\n\r\n'))),
};

describe('faults', () => {
  const agent = new Agent({ connections: 64 });
  afterAll(() => agent.close());

  describe('upstream faults: the stable version keeps serving', () => {
    let stable: TestUpstream;
    let onebox: TestOnebox;
    const figures = { tries: 0, failures: 0, lost: 0 };
    const outcomes: string[] = [];

    beforeAll(async () => {
      stable = await startUpstream(labelled('v1'));
      onebox = await startTestOnebox({ gateway: { headersTimeoutMs: 300, bodyTimeoutMs: 300, connectTimeoutMs: 300 } });
      onebox.plane.publish('web', { url: stable.url, description: 'stable' });
    });
    afterAll(async () => {
      report('faults upstream', figures, { users: USERS, newVersion: tally(outcomes) });
      await onebox?.close();
      await stable?.close();
    });

    it.each(Object.keys(FAULTS))('new version %s', async (fault) => {
      const bad = await FAULTS[fault]!();
      try {
        const v = onebox.plane.publish('web', { url: bad.url, description: fault }).number;
        onebox.plane.setAlias('web', { version: 1, weights: { [v]: 0.5 } });
        const r = prng(SEED);
        const failures: string[] = [];
        const answers = await Promise.all(
          Array.from({ length: USERS }, async () => {
            const id = randomCookieId(r);
            try {
              const res = await request(`${onebox.gatewayUrl}/x`, {
                dispatcher: agent,
                headers: { cookie: `onebox-uid=${id}` },
                headersTimeout: 5_000,
                bodyTimeout: 5_000,
              });
              const version = String(res.headers['x-onebox-version']);
              try {
                const body = await res.body.text();
                return { version, status: res.statusCode, body };
              } catch (err) {
                return { version, status: res.statusCode, body: `(body cut: ${(err as Error).message})` };
              }
            } catch (err) {
              return { version: '?', status: 0, body: (err as Error).message };
            }
          }),
        );
        for (const a of answers) {
          figures.tries++;
          if (a.version === 'web:1') {
            if (a.status !== 200 || !a.body.includes('"v1"')) failures.push(`stable user got ${a.status} ${a.body}`);
          } else {
            outcomes.push(`${fault}:${a.status}`);
            // A defined answer: 502/504 before any byte, or a 200 whose body was cut (headers were already sent).
            const ok = [502, 504].includes(a.status) || (a.status === 200 && a.body.startsWith('(body cut'));
            if (!ok) failures.push(`new-version user got ${a.status} ${a.body.slice(0, 100)}`);
          }
        }
        figures.failures += failures.length;
        figures.lost += answers.filter((a) => a.status === 0).length;
        expect(failures.slice(0, 5)).toEqual([]);
        expect(answers.some((a) => a.version === 'web:1')).toBe(true);
        expect(answers.some((a) => a.version !== 'web:1')).toBe(true);
        // The gateway counted each of the new version's failures: what its alarms read.
        const m = onebox.metrics.snapshot().versions.find((x) => x.component === 'web' && x.version === v)!;
        const failed = answers.filter((a) => a.version !== 'web:1').length;
        expect(m.upstreamErrors + m.upstreamTimeouts + m.errors5xx).toBeGreaterThanOrEqual(failed);
      } finally {
        onebox.plane.setAlias('web', { version: 1 });
        await bad.close();
      }
    });
  });
});
