import { createHmac } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chooseVersion,
  IDENTITY_COOKIE,
  readBaggageIdentity,
  resolveIdentity,
  type AliasRouting,
} from '../../src/core/index.js';
import {
  CLOUDFRONT_FUNCTION_MAX_BYTES,
  CLOUDFRONT_IMPORT,
  CRYPTO_IMPORT,
  cloudFrontFunctionCode,
} from '../../src/aws/bundle.js';
import { EDGE_PIN_TTL_SECONDS } from '../../src/aws/edge/page-pin.js';
import { BROWSER_SCRIPT, PIN_HEADER } from '../../src/gateway/beacon-script.js';
import { PAGE_TOKEN_TTL_SECONDS, PageTokens } from '../../src/gateway/page-token.js';
import { loadSpec } from '../core/spec-vectors.js';

/**
 * The CloudFront Function bundles run as CloudFront runs them: a script in a bare context
 * (no require, no process, no module system), `cf` the runtime's module, the KeyValueStore
 * a map; the runtime's `crypto` (createHmac) and `Buffer` are Node's, whose API AWS documents
 * them by. Events are shaped as AWS documents them ("CloudFront Functions event structure").
 */
const KVS_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const ONE_BOX_DOMAIN = 'onebox123.execute-api.us-east-1.amazonaws.com';
// AWS's example request id: letters, digits, _ - and base64 padding.
const DOC_REQUEST_ID = 'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==';

type Handler = (event: unknown) => unknown;

interface Loaded {
  handler: Handler;
  store: Map<string, string>;
  origins: { domainName: string }[];
  logs: string[];
}

function load(entry: string, settings: object): Loaded & { code: string } {
  const code = cloudFrontFunctionCode(entry, settings);
  const lines = code.split('\n');
  // The lines a bare vm script cannot run; CloudFront requires the cloudfront import first.
  expect(lines[0]).toBe(CLOUDFRONT_IMPORT);
  const rest = lines.slice(lines[1] === CRYPTO_IMPORT ? 2 : 1);
  const store = new Map<string, string>();
  const origins: { domainName: string }[] = [];
  const logs: string[] = [];
  const cf = {
    kvs: (id: string) => {
      if (id !== KVS_ID) throw new Error(`unknown store ${id}`);
      return {
        get: async (key: string) => {
          const value = store.get(key);
          if (value === undefined) throw new Error(`key ${key} not found`);
          return value;
        },
      };
    },
    updateRequestOrigin: (params: { domainName: string }) => origins.push(params),
  };
  const context: Record<string, unknown> = {
    cf,
    crypto: { createHmac },
    Buffer,
    console: { log: (line: string) => logs.push(line) },
  };
  runInNewContext(rest.join('\n'), context);
  expect(typeof context['handler']).toBe('function');
  expect(context['require']).toBeUndefined();
  return { code, handler: context['handler'] as Handler, store, origins, logs };
}

const viewerRequestSettings = (identityHeader = '') => ({
  kvsId: KVS_ID,
  kvsKey: 'onebox',
  oneBoxDomain: ONE_BOX_DOMAIN,
  partitionHeader: 'x-onebox-partition',
  identityHeader,
});

/** AWS's example viewer-request event, with the cookies and headers a test sets. */
function viewerRequestEvent(opts: {
  cookies?: Record<string, string>;
  headers?: Record<string, string>;
  requestId?: string;
}) {
  const headers: Record<string, { value: string }> = {
    host: { value: 'video.example.com' },
    'user-agent': { value: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)' },
    accept: { value: 'text/html' },
  };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = { value: v };
  const cookies: Record<string, { value: string }> = { loggedIn: { value: 'false' } };
  for (const [k, v] of Object.entries(opts.cookies ?? {})) cookies[k] = { value: v };
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: opts.requestId ?? DOC_REQUEST_ID,
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method: 'GET',
      uri: '/media/index.html',
      querystring: {
        ID: { value: '42' },
        querymv: { value: 'val1', multiValue: [{ value: 'val1' }, { value: 'val2' }] },
      },
      headers,
      cookies,
    },
  };
}

interface Req {
  headers: Record<string, { value: string }>;
  uri: string;
}

/** A response a viewer-request function generates. */
interface Answer {
  statusCode: number;
  statusDescription: string;
  headers: Record<string, { value: string }>;
  cookies: Record<string, unknown>;
  body: { encoding: string; data: string };
}

describe('viewer-request CloudFront Function', () => {
  let fn: Loaded & { code: string };
  beforeAll(() => {
    fn = load('edge/viewer-request.cff', viewerRequestSettings('x-user-id'));
  });
  const setSplit = (percent: number, seed: string) => fn.store.set('onebox', JSON.stringify({ percent, seed }));

  it('fits CloudFront Functions size limit and uses no syntax the runtime lacks', () => {
    const bytes = Buffer.byteLength(fn.code);
    expect(bytes).toBeLessThan(CLOUDFRONT_FUNCTION_MAX_BYTES);
    expect(fn.code).not.toMatch(/\?\.|\?\?|\bclass\s|for\s*\([^)]*\bof\b/);
  });

  it('sends a new viewer by the id derived from the request id, and sets baggage', async () => {
    setSplit(100, 's');
    fn.origins.length = 0;
    const out = (await fn.handler(viewerRequestEvent({}))) as Req;
    expect(out.headers['x-onebox-partition']!.value).toBe('one-box');
    expect(readBaggageIdentity(out.headers['baggage']!.value)).toBe(
      'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE',
    );
    expect(fn.origins).toEqual([{ domainName: ONE_BOX_DOMAIN }]);
    expect(out.uri).toBe('/media/index.html');
  });

  it('signs the origin it switches to when the origins are function URLs behind origin access control', async () => {
    const signed = load('edge/viewer-request.cff', { ...viewerRequestSettings(), signLambdaOrigins: true });
    signed.store.set('onebox', JSON.stringify({ percent: 100, seed: 's' }));
    await signed.handler(viewerRequestEvent({}));
    // CloudFront's documented originAccessControlConfig for a Lambda function URL origin.
    expect(signed.origins).toEqual([
      {
        domainName: ONE_BOX_DOMAIN,
        originAccessControlConfig: {
          enabled: true,
          signingBehavior: 'always',
          signingProtocol: 'sigv4',
          originType: 'lambda',
        },
      },
    ]);
  });

  it('keeps the regular origin at 0% and never trusts a partition header from the viewer', async () => {
    setSplit(0, 's');
    fn.origins.length = 0;
    const event = viewerRequestEvent({ headers: { 'x-onebox-partition': 'one-box' } });
    const out = (await fn.handler(event)) as Req;
    expect(out.headers['x-onebox-partition']!.value).toBe('regular');
    expect(fn.origins).toEqual([]);
  });

  it('keeps other baggage members', async () => {
    setSplit(0, 's');
    const out = (await fn.handler(
      viewerRequestEvent({
        cookies: { [IDENTITY_COOKIE]: 'q3Vb0-xJ2mT_kLp9ZrWc4A' },
        headers: { baggage: 'tenant=7' },
      }),
    )) as Req;
    expect(out.headers['baggage']!.value).toBe('tenant=7,onebox-uid=q3Vb0-xJ2mT_kLp9ZrWc4A');
  });

  it('fails safe to regular when the store has no split, a bad one, or the store throws', async () => {
    for (const value of [undefined, 'not json', '{"percent":140,"seed":"s"}', '{"percent":20}']) {
      fn.store.clear();
      if (value !== undefined) fn.store.set('onebox', value);
      fn.logs.length = 0;
      fn.origins.length = 0;
      const out = (await fn.handler(viewerRequestEvent({}))) as Req;
      expect(out.headers['x-onebox-partition']!.value).toBe('regular');
      expect(fn.origins).toEqual([]);
      expect(fn.logs.length).toBe(1);
    }
  });

  it('routes every spec vector exactly as the local gateway does (core resolveIdentity + chooseVersion)', async () => {
    const spec = loadSpec();
    let compared = 0;
    for (const v of spec.buckets) {
      for (const weightBp of [0, v.bucket, v.bucket + 1, 2000, 10_000]) {
        if (weightBp > 10_000) continue;
        const alias: AliasRouting = {
          version: 1,
          additional: { version: 2, weightBp },
          mode: 'sticky',
          seed: v.seed,
        };
        // The identity as each channel would carry it; the gateway's rules decide which one counts.
        for (const channel of ['cookie', 'header', 'baggage'] as const) {
          const inputs =
            channel === 'cookie'
              ? { cookie: `${IDENTITY_COOKIE}=${v.identity}` }
              : channel === 'header'
                ? { header: v.identity }
                : { baggage: readBaggageIdentity(`onebox-uid=${encodeURIComponent(v.identity)}`) };
          const local = resolveIdentity(inputs);
          fn.store.set('onebox', JSON.stringify({ percent: weightBp / 100, seed: v.seed }));
          const event = viewerRequestEvent(
            channel === 'cookie'
              ? { cookies: { [IDENTITY_COOKIE]: v.identity } }
              : channel === 'header'
                ? { headers: { 'x-user-id': v.identity } }
                : { headers: { baggage: `onebox-uid=${encodeURIComponent(v.identity)}` } },
          );
          const out = (await fn.handler(event)) as Req;
          const edgeId = readBaggageIdentity(out.headers['baggage']!.value);
          if (local) {
            expect(edgeId).toBe(local.id);
            const gateway = chooseVersion(alias, local.id, () => 0).additional ? 'one-box' : 'regular';
            expect(out.headers['x-onebox-partition']!.value, `${v.seed}:${v.identity} at ${weightBp}`).toBe(gateway);
            compared++;
          } else {
            // Both engines treat the viewer as new: the edge by its request id, as the gateway by a random id.
            expect(edgeId).toBe('EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE');
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });
});

describe('viewer-request CloudFront Function: page pins (skew protection)', () => {
  const PIN_KEY = 'k3y-shared-by-the-origin-and-the-edge-0123456789abcdef';
  let fn: Loaded & { code: string };
  beforeAll(() => {
    fn = load('edge/viewer-request.cff', { ...viewerRequestSettings(), pinKeyKvsKey: 'onebox-pin-key' });
  });
  /** The origin mints its pages' tokens as the local gateway does, with the store's key. */
  const origin = new PageTokens(Buffer.from(PIN_KEY));
  const pinOf = (version: number, tokens = origin, component = 'onebox') =>
    tokens.mint({ component, version, identity: 'u-1', path: '/media/index.html' });
  const setSplit = (split: object) => fn.store.set('onebox', JSON.stringify({ seed: 's', ...split }));
  /** The partition and origin a request with this pin (or none) is sent to. */
  const send = async (pin?: string) => {
    fn.origins.length = 0;
    const out = (await fn.handler(viewerRequestEvent(pin === undefined ? {} : { headers: { [PIN_HEADER]: pin } }))) as
      Req | Answer;
    if ('statusCode' in out) return { status: out.statusCode, origins: [...fn.origins] };
    return { partition: out.headers['x-onebox-partition']!.value, origins: [...fn.origins] };
  };
  /** What a pinned call of a page whose version is gone gets: the gateway's reload answer. */
  const RELOAD = { status: 409, origins: [] };
  const ONE_BOX_ORIGIN = { partition: 'one-box', origins: [{ domainName: ONE_BOX_DOMAIN }] };
  const REGULAR_ORIGIN = { partition: 'regular', origins: [] };

  beforeAll(() => {
    fn.store.set('onebox-pin-key', PIN_KEY);
  });

  it('reads the header the gateway script sets, with the same lifetime, and imports the crypto module', () => {
    // One header, core's: the script sets it, the function as built reads it.
    expect(BROWSER_SCRIPT).toContain(`'${PIN_HEADER}'`);
    expect(fn.code).toContain(JSON.stringify(PIN_HEADER));
    expect(EDGE_PIN_TTL_SECONDS).toBe(PAGE_TOKEN_TTL_SECONDS);
    expect(fn.code.split('\n')[1]).toBe(CRYPTO_IMPORT);
    expect(Buffer.byteLength(fn.code)).toBeLessThan(CLOUDFRONT_FUNCTION_MAX_BYTES);
    expect(fn.code).not.toMatch(/\?\.|\?\?|\bclass\s|for\s*\([^)]*\bof\b/);
  });

  it("sends a pinned request to its page's origin across split changes, while that version is behind one", async () => {
    // v2 on the one-box for everyone: the page was served by v2.
    setSplit({ percent: 100, stable: 1, canary: 2 });
    expect(await send()).toEqual(ONE_BOX_ORIGIN);
    const v2Page = pinOf(2);
    const v1Page = pinOf(1);
    // The share drops to 0 (this viewer is moved to regular): v2's open page keeps v2.
    setSplit({ percent: 0, stable: 1, canary: 2 });
    expect(await send()).toEqual(REGULAR_ORIGIN);
    expect(await send(v2Page)).toEqual(ONE_BOX_ORIGIN);
    // Back to 100%: a page v1 served keeps v1.
    setSplit({ percent: 100, stable: 1, canary: 2 });
    expect(await send(v1Page)).toEqual(REGULAR_ORIGIN);
    // v2 promoted (now behind the regular origin): its pages follow it there.
    setSplit({ percent: 0, stable: 2 });
    expect(await send(v2Page)).toEqual(REGULAR_ORIGIN);
    // v1 is behind neither origin: its page's calls are told to reload, whatever the viewer's split.
    setSplit({ percent: 100, stable: 2, canary: 3 });
    expect(await send(v1Page)).toEqual(RELOAD);
    setSplit({ percent: 0, stable: 2, canary: 3 });
    expect(await send(v1Page)).toEqual(RELOAD);
    // A rollback takes v3 off the one-box origin: its open pages reload too, v2's keep working.
    setSplit({ percent: 0, stable: 2 });
    expect(await send(pinOf(3))).toEqual(RELOAD);
    expect(await send(v2Page)).toEqual(REGULAR_ORIGIN);
    // The page's own navigation (no pin header) is the viewer's split's, as always.
    expect(await send()).toEqual(REGULAR_ORIGIN);
  });

  it("answers a gone page's call as the gateway does: 409, x-onebox-reload, the same body, never cached", async () => {
    setSplit({ percent: 20, stable: 2, canary: 3 });
    const out = (await fn.handler(viewerRequestEvent({ headers: { [PIN_HEADER]: pinOf(1) } }))) as Answer;
    expect(out).toEqual({
      statusCode: 409,
      statusDescription: 'Conflict',
      headers: {
        'content-type': { value: 'application/json' },
        'cache-control': { value: 'no-store' },
        'x-onebox-reload': { value: '1' },
      },
      cookies: {},
      body: { encoding: 'text', data: JSON.stringify({ error: 'page_version_gone', reload: true }) },
    });
    // The header the gateway's script reloads on.
    expect(BROWSER_SCRIPT).toContain("get('x-onebox-reload')");
  });

  it('ignores forged, expired and foreign pins: a client never picks a version', async () => {
    setSplit({ percent: 0, stable: 1, canary: 2 });
    const genuine = pinOf(1);
    const mac = genuine.slice(genuine.indexOf('.') + 1);
    const v2Payload = pinOf(2).slice(0, genuine.indexOf('.'));
    const oneDayAgo = new PageTokens(Buffer.from(PIN_KEY), () => Math.floor(Date.now() / 1000) - PAGE_TOKEN_TTL_SECONDS - 5);
    const forged = [
      pinOf(2, new PageTokens(Buffer.from('another key'))),
      `${Buffer.from(JSON.stringify(['onebox', 2, 'u', 'p', '/', Math.floor(Date.now() / 1000)])).toString('base64url')}.${mac}`,
      `${v2Payload}.${mac}`,
      'v2',
      '.',
      'x.y',
      `${genuine}x`,
      `${Buffer.from('not json').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`,
    ];
    fn.logs.length = 0;
    for (const pin of forged) expect(await send(pin), pin).toEqual(REGULAR_ORIGIN);
    expect(fn.logs.filter((l) => l.includes('forged')).length).toBe(forged.length);
    // An expired pin is the gateway's pin-expired: its page reloads (the gateway answers 409 too).
    expect(await send(pinOf(2, oneDayAgo))).toEqual(RELOAD);
    // A page of another component (the backend's key) does not pin the frontend.
    expect(await send(pinOf(2, origin, 'api'))).toEqual(REGULAR_ORIGIN);
    // The genuine v2 pin still does (the checks above did not pass by ignoring every pin).
    expect(await send(pinOf(2))).toEqual(ONE_BOX_ORIGIN);
  });

  it('ignores pins when the store has no versions (a StickyEdge-only split) or no key', async () => {
    setSplit({ percent: 0 });
    expect(await send(pinOf(2))).toEqual(REGULAR_ORIGIN);
    // Without versions the edge cannot tell a gone page: no reload either.
    expect(await send(pinOf(7))).toEqual(REGULAR_ORIGIN);
    setSplit({ percent: 0, stable: 1, canary: 2 });
    fn.store.delete('onebox-pin-key');
    fn.logs.length = 0;
    try {
      expect(await send(pinOf(2))).toEqual(REGULAR_ORIGIN);
      expect(fn.logs).toEqual(['onebox: no pin key onebox-pin-key in the KeyValueStore: pin ignored']);
    } finally {
      fn.store.set('onebox-pin-key', PIN_KEY);
    }
  });

  it('keeps bucket parity for unpinned requests when pins are on', async () => {
    const spec = loadSpec();
    let compared = 0;
    for (const v of spec.buckets) {
      for (const weightBp of [0, v.bucket, v.bucket + 1, 10_000]) {
        if (weightBp > 10_000) continue;
        const alias: AliasRouting = { version: 1, additional: { version: 2, weightBp }, mode: 'sticky', seed: v.seed };
        const local = resolveIdentity({ cookie: `${IDENTITY_COOKIE}=${v.identity}` });
        if (!local) continue;
        fn.store.set('onebox', JSON.stringify({ percent: weightBp / 100, seed: v.seed, stable: 1, canary: 2 }));
        const out = (await fn.handler(viewerRequestEvent({ cookies: { [IDENTITY_COOKIE]: v.identity } }))) as Req;
        const gateway = chooseVersion(alias, local.id, () => 0).additional ? 'one-box' : 'regular';
        expect(out.headers['x-onebox-partition']!.value).toBe(gateway);
        compared++;
      }
    }
    // Every spec vector whose identity is a valid cookie, at each weight.
    expect(compared).toBeGreaterThan(20);
  });
});

describe('viewer-response CloudFront Function', () => {
  let fn: Loaded & { code: string };
  beforeAll(() => {
    fn = load('edge/viewer-response.cff', { identityHeader: '', cookieMaxAgeSeconds: 34_560_000 });
  });

  /** AWS's example viewer-response event. */
  const event = (cookies: Record<string, { value: string }>, cacheControl?: string) => ({
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-response',
      requestId: DOC_REQUEST_ID,
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method: 'GET',
      uri: '/media/index.html',
      querystring: {},
      headers: { host: { value: 'video.example.com' } },
      cookies,
    },
    response: {
      statusCode: 200,
      statusDescription: 'OK',
      headers: {
        'content-type': { value: 'text/html' },
        ...(cacheControl ? { 'cache-control': { value: cacheControl } } : {}),
      },
      cookies: {},
    },
  });

  it('fits the size limit and needs no crypto module', () => {
    expect(Buffer.byteLength(fn.code)).toBeLessThan(CLOUDFRONT_FUNCTION_MAX_BYTES);
    expect(fn.code).not.toContain(CRYPTO_IMPORT);
  });

  it('gives a new viewer the id the viewer-request function routed them with, on a private response', () => {
    const out = fn.handler(event({}, 'public, max-age=60')) as {
      cookies: Record<string, { value: string; attributes: string }>;
      headers: Record<string, { value: string }>;
    };
    expect(out.cookies[IDENTITY_COOKIE]).toEqual({
      value: 'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE',
      attributes: 'Path=/; Max-Age=34560000; HttpOnly; SameSite=Lax; Secure',
    });
    expect(out.headers['cache-control']!.value).toBe('private, max-age=60');
  });

  it('leaves a known viewer alone', () => {
    const out = fn.handler(event({ [IDENTITY_COOKIE]: { value: 'q3Vb0-xJ2mT_kLp9ZrWc4A' } }, 'public, max-age=60')) as {
      cookies: Record<string, unknown>;
      headers: Record<string, { value: string }>;
    };
    expect(out.cookies).toEqual({});
    expect(out.headers['cache-control']!.value).toBe('public, max-age=60');
  });

  it('replaces a malformed cookie with a new id', () => {
    const out = fn.handler(event({ [IDENTITY_COOKIE]: { value: 'bad value!' } })) as {
      cookies: Record<string, { value: string }>;
    };
    expect(out.cookies[IDENTITY_COOKIE]!.value).toBe('EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE');
  });
});
