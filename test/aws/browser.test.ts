import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleLambda } from '../../src/aws/bundle.js';
import { withBrowserSignals } from '../../src/aws/browser.js';
import { beaconHandler, type BeaconEvent, type BrowserLogLine } from '../../src/aws/handlers/beacon.js';
import { BROWSER_ERROR_KINDS, MAX_BEACON_BYTES } from '../../src/core/index.js';
import { BEACON_PATH, BROWSER_SCRIPT_PATH } from '../../src/core/reserved-paths.js';
import { BROWSER_SCRIPT, PIN_HEADER } from '../../src/gateway/beacon-script.js';
import { PAGE_TOKEN_TTL_SECONDS, PageTokens } from '../../src/gateway/page-token.js';
import { loadViewerRequest, viewerEvent } from './control/edge-runtime.js';

/**
 * Browser signals for Lambda apps: the SSR wrapper (onebox/aws/browser) and the beacon
 * function (handlers/beacon.ts), with API Gateway v2 / function URL events as AWS documents
 * them, the tokens read back by the gateway's own PageTokens and by the bundled
 * viewer-request CloudFront Function.
 */
const KEY_TEXT = 'k3y-shared-by-the-apps-and-the-edge-0123456789abcdef';
const KEY = Buffer.from(KEY_TEXT, 'utf8');
const UID = 'AbCdEfGhIjKlMnOpQrStUv01';
const HTML = '<!doctype html><html><head><title>shop</title></head><body><h1>ü</h1></body></html>';

/** A function URL request, as the edge forwards it (baggage carries the identity it placed). */
function pageEvent(uid = UID, path = '/products/7') {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    cookies: [`onebox-uid=${uid}`],
    headers: { host: 'abc.lambda-url.us-east-1.on.aws', baggage: `onebox-uid=${uid}`, accept: 'text/html' },
    requestContext: { http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.11', userAgent: 'x' } },
    isBase64Encoded: false,
  };
}

const render = async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(HTML)),
    'cache-control': 'public, max-age=60',
  },
  body: HTML,
});

const tokenIn = (body: string) => /data-onebox="([^"]+)"/.exec(body)![1]!;

describe('withBrowserSignals: the gateway tag in a Lambda app’s pages', () => {
  it('puts the tag first in <head> with a token the gateway and the edge both read, and makes the page private', async () => {
    const handler = withBrowserSignals(render, { component: 'web', key: KEY, version: 3 });
    const out = await handler(pageEvent(), {});
    expect(out.body).toMatch(/^<!doctype html><html><head><script src="[^"]+" data-onebox="[^"]+"><\/script><title>/);
    expect(out.body).toContain('<h1>ü</h1>');
    expect(out.body).toContain(`src="${BROWSER_SCRIPT_PATH}"`);
    expect(out.headers).toEqual({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, max-age=60' });
    const claim = new PageTokens(KEY).read(tokenIn(out.body));
    expect(claim).toMatchObject({ component: 'web', version: 3, path: '/products/7' });
    // The user is a keyed digest of the identity, never the identity.
    expect(claim).toMatchObject({ user: new PageTokens(KEY).userDigest(UID) });
    expect(JSON.stringify(claim)).not.toContain(UID);

    // The bundled viewer-request function takes it as a pin: v3 on the one-box keeps the page's calls there.
    const store: Record<string, string> = {
      web: JSON.stringify({ percent: 0, seed: 's', stable: 2, canary: 3 }),
      'onebox-pin-key': KEY_TEXT,
    };
    const edge = loadViewerRequest('kvs-1', (k) => store[k], {
      kvsKey: 'web',
      oneBoxDomain: 'canary.example.com',
      partitionHeader: 'x-onebox-partition',
      identityHeader: '',
      pinKeyKvsKey: 'onebox-pin-key',
    });
    const call = viewerEvent(UID, '/api/cart', 'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==');
    (call.request.headers as Record<string, { value: string }>)[PIN_HEADER] = { value: tokenIn(out.body) };
    const routed = await edge.handler(call);
    expect(routed.headers['x-onebox-partition']!.value).toBe('one-box');
    expect(edge.origins).toEqual(['canary.example.com']);
  });

  it('leaves everything else as it came: not 200, not HTML, base64, compressed, no identity', async () => {
    const answers = [
      { statusCode: 404, headers: { 'content-type': 'text/html' }, body: HTML },
      { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
      {
        statusCode: 200,
        headers: { 'content-type': 'text/html' },
        body: Buffer.from(HTML).toString('base64'),
        isBase64Encoded: true,
      },
      { statusCode: 200, headers: { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }, body: 'x' },
    ];
    for (const answer of answers) {
      const handler = withBrowserSignals(async () => structuredClone(answer), {
        component: 'web',
        key: KEY,
        version: 3,
      });
      expect(await handler(pageEvent(), {})).toEqual(answer);
    }
    const handler = withBrowserSignals(render, { component: 'web', key: KEY, version: 3 });
    const anonymous = { ...pageEvent(), cookies: [], headers: { accept: 'text/html' } };
    expect((await handler(anonymous, {})).body).toBe(HTML);
    // A string answer (API Gateway's shorthand) is not a page the wrapper can see the type of.
    expect(
      await withBrowserSignals(async () => 'hi', { component: 'web', key: KEY, version: 3 })(pageEvent(), {}),
    ).toBe('hi');
  });

  it('without a key or a numeric version pages pass unchanged, said once', async () => {
    const logs: string[] = [];
    const saved = process.env['ONEBOX_PIN_KEY'];
    delete process.env['ONEBOX_PIN_KEY'];
    try {
      const handler = withBrowserSignals(render, { component: 'web', version: 3, log: (l) => logs.push(l) });
      expect((await handler(pageEvent(), {})).body).toBe(HTML);
      expect((await handler(pageEvent(), {})).body).toBe(HTML);
      const latest = withBrowserSignals(render, {
        component: 'web',
        key: KEY,
        version: Number('$LATEST'),
        log: (l) => logs.push(l),
      });
      expect((await latest(pageEvent(), {})).body).toBe(HTML);
    } finally {
      if (saved !== undefined) process.env['ONEBOX_PIN_KEY'] = saved;
    }
    expect(logs).toEqual([
      'onebox: browser signals off: ONEBOX_PIN_KEY is not set',
      'onebox: browser signals off: no numeric version (invoked as $LATEST?)',
    ]);
  });
});

describe('the beacon function', () => {
  const setup = (now = () => 1_700_000_000_000) => {
    const lines: Record<string, unknown>[] = [];
    const handler = beaconHandler({
      key: KEY,
      write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
      now,
    });
    const post = (body: string, base64 = false): Promise<{ statusCode: number; body?: string }> =>
      handler({
        rawPath: BEACON_PATH,
        body: base64 ? Buffer.from(body).toString('base64') : body,
        isBase64Encoded: base64,
        requestContext: { http: { method: 'POST' } },
      } satisfies BeaconEvent);
    const accepted = () => lines.filter((l) => l['onebox'] === 'browser') as unknown as BrowserLogLine[];
    const dropped = (reason: string) => lines.filter((l) => l['reason'] === reason).length;
    return { handler, post, lines, accepted, dropped };
  };
  const pageToken = async (uid = UID, version = 3) =>
    tokenIn((await withBrowserSignals(render, { component: 'web', key: KEY, version })(pageEvent(uid), {})).body);

  it('serves the gateway script and writes one EMF line per kind of an accepted beacon, in the agreed shape', async () => {
    const { handler, post, lines, accepted } = setup();
    const script = await handler({ rawPath: BROWSER_SCRIPT_PATH, requestContext: { http: { method: 'GET' } } });
    expect(script).toMatchObject({ statusCode: 200, body: BROWSER_SCRIPT });
    const token = await pageToken();
    // sendBeacon's body may come base64-encoded through a function URL.
    expect(
      (await post(JSON.stringify({ t: token, l: true, e: [{ k: 'error' }, { k: 'resource' }, { k: 'error' }] }), true))
        .statusCode,
    ).toBe(204);
    const user = new PageTokens(KEY).userDigest(UID);
    expect(accepted().map((l) => [l.kind, l.component, l.version, l.user, l.path])).toEqual([
      ['load', 'web', '3', user, '/products/7'],
      ['error', 'web', '3', user, '/products/7'],
      ['resource', 'web', '3', user, '/products/7'],
    ]);
    expect(lines[0]).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'onebox',
            Dimensions: [['component', 'version']],
            Metrics: [{ Name: 'PageViews', Unit: 'Count' }],
          },
        ],
      },
      onebox: 'browser',
      component: 'web',
      version: '3',
      user,
      kind: 'load',
      page: expect.any(String),
      path: '/products/7',
      PageViews: 1,
    });
    expect(lines[1]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Dimensions: [
              ['component', 'version'],
              ['component', 'version', 'kind'],
            ],
            Metrics: [{ Name: 'BrowserErrors', Unit: 'Count' }],
          },
        ],
      },
      kind: 'error',
      BrowserErrors: 1,
    });
    expect(JSON.stringify(lines)).not.toContain(UID);
    // The script's kinds are the gateway's.
    for (const kind of BROWSER_ERROR_KINDS) expect(['error', 'rejection', 'resource', 'app']).toContain(kind);
  });

  it('drops what the gateway drops, each counted by reason, and answers as the gateway does', async () => {
    const { handler, post, accepted, dropped } = setup();
    const token = await pageToken();
    const expired = tokenIn(
      (await withBrowserSignals(render, { component: 'web', key: KEY, version: 3 })(pageEvent(), {})).body,
    );
    expect((await post('x'.repeat(MAX_BEACON_BYTES + 1))).statusCode).toBe(413);
    expect((await post('not json')).statusCode).toBe(400);
    expect((await post(JSON.stringify({ t: token, e: [{ k: 'alien' }] }))).statusCode).toBe(400);
    expect(
      (
        await post(
          JSON.stringify({
            t: new PageTokens(Buffer.from('other')).mint({ component: 'web', version: 3, identity: UID, path: '/' }),
            l: true,
          }),
        )
      ).statusCode,
    ).toBe(400);
    expect((await handler({ rawPath: BEACON_PATH, requestContext: { http: { method: 'GET' } } })).statusCode).toBe(405);
    expect(dropped('beacon-too-large')).toBe(1);
    expect(dropped('beacon-malformed')).toBe(2);
    expect(dropped('beacon-forged')).toBe(1);
    expect(dropped('beacon-method')).toBe(1);
    // A day later the page's token has expired.
    const later = setup(() => Date.now() + (PAGE_TOKEN_TTL_SECONDS + 60) * 1000);
    expect((await later.post(JSON.stringify({ t: expired, l: true }))).statusCode).toBe(400);
    expect(later.dropped('beacon-expired')).toBe(1);
    expect(accepted()).toEqual([]);
  });

  it('10,000 forged and replayed beacons from one client add one user, once per kind', async () => {
    const { post, accepted, dropped } = setup();
    const token = await pageToken();
    const [payload, mac] = token.split('.') as [string, string];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const forged = i % 3 === 0;
      const body = forged
        ? { t: `${payload}.${mac.slice(0, -2)}${String(i % 10)}A`, l: true, e: [{ k: 'error' }] }
        : { t: token, e: [{ k: BROWSER_ERROR_KINDS[i % 4]! }] };
      const status = (await post(JSON.stringify(body))).statusCode;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // One page, one user: at most one line per kind, and the rest rate-limited or deduplicated.
    expect(new Set(accepted().map((l) => l.user)).size).toBe(1);
    expect(
      accepted()
        .map((l) => l.kind)
        .sort(),
    ).toEqual([...BROWSER_ERROR_KINDS].sort());
    expect(dropped('beacon-forged')).toBe(3334);
    expect(dropped('beacon-rate-limited')).toBe(6666 - 20);
    expect(statuses.get(429)).toBe(6666 - 20);
  });

  it('as bundled for Lambda, reads its key from ONEBOX_PIN_KEY and counts a page of the wrapped app', async () => {
    const dir = bundleLambda('handlers/beacon.lambda', {});
    const saved = process.env['ONEBOX_PIN_KEY'];
    process.env['ONEBOX_PIN_KEY'] = KEY_TEXT;
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    try {
      const mod = (await import(`${pathToFileURL(join(dir, 'index.mjs')).href}?t=${Date.now()}`)) as {
        handler: (e: BeaconEvent) => Promise<{ statusCode: number }>;
      };
      process.stdout.write = ((chunk: string) => (writes.push(chunk), true)) as typeof process.stdout.write;
      const answer = await mod.handler({
        rawPath: BEACON_PATH,
        body: JSON.stringify({ t: await pageToken(), l: true }),
        requestContext: { http: { method: 'POST' } },
      });
      process.stdout.write = write;
      expect(answer.statusCode).toBe(204);
      expect(writes.map((w) => JSON.parse(w) as Record<string, unknown>)).toEqual([
        expect.objectContaining({ onebox: 'browser', component: 'web', version: '3', kind: 'load', PageViews: 1 }),
      ]);
    } finally {
      process.stdout.write = write;
      if (saved === undefined) delete process.env['ONEBOX_PIN_KEY'];
      else process.env['ONEBOX_PIN_KEY'] = saved;
    }
  });
});
