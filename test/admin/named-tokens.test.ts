import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { TOKEN_ENV } from '../../src/api/index.js';
import { resolveAdminTokens } from '../../src/engine/admin-token.js';
import { callerOf } from '../../src/admin/auth.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, TEST_TOKEN, type TestOnebox } from '../helpers/onebox.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789ab';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by path in assertions
type Json = Record<string, any>;
const minimal = { components: [{ name: 'web', route: '/' }] };

function problems(admin: unknown): readonly string[] {
  try {
    parseConfig({ ...minimal, admin });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('named admin tokens: config', () => {
  it('defaults to none and keeps the ones given', () => {
    expect(parseConfig(minimal).admin.tokens).toEqual([]);
    const cfg = parseConfig({ ...minimal, admin: { tokens: [{ name: 'alice', token: ALICE }] } });
    expect(cfg.admin.tokens).toEqual([{ name: 'alice', token: ALICE }]);
  });

  it('rejects a repeated name or token, and "admin" beside admin.token, without printing a token', () => {
    expect(
      problems({
        tokens: [
          { name: 'alice', token: ALICE },
          { name: 'alice', token: BOB },
          { name: 'carol', token: ALICE },
        ],
      }),
    ).toEqual([
      'admin.tokens[1].name = "alice": same name as admin.tokens[0]',
      'admin.tokens[2].token = (hidden): same token as admin.tokens[0]',
    ]);
    expect(problems({ token: TEST_TOKEN, tokens: [{ name: 'admin', token: ALICE }] })).toEqual([
      'admin.tokens[0].name = "admin": same name as admin.token',
    ]);
    expect(problems({ tokens: [{ name: 'a b', token: 'short' }] })).toEqual([
      'admin.tokens[0].name = "a b": expected 1-64 letters, digits, or . _ @ -',
      'admin.tokens[0].token = (hidden): a token needs at least 16 characters',
    ]);
  });
});

describe('named admin tokens: resolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-tokens-'));
  const saved = process.env[TOKEN_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[TOKEN_ENV];
    else process.env[TOKEN_ENV] = saved;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the single token "admin" and puts it first', () => {
    expect(
      resolveAdminTokens({ token: TEST_TOKEN, tokens: [{ name: 'alice', token: ALICE }] }, '127.0.0.1', dir),
    ).toEqual([
      { name: 'admin', token: TEST_TOKEN },
      { name: 'alice', token: ALICE },
    ]);
  });

  it('generates no token when named ones are configured, even on a public address', () => {
    delete process.env[TOKEN_ENV];
    const sub = join(dir, 'named-only');
    expect(resolveAdminTokens({ tokens: [{ name: 'alice', token: ALICE }] }, '0.0.0.0', sub)).toEqual([
      { name: 'alice', token: ALICE },
    ]);
    expect(existsSync(join(sub, 'admin-token'))).toBe(false);
  });

  it('refuses a named token that clashes with ONEBOX_ADMIN_TOKEN', () => {
    process.env[TOKEN_ENV] = ALICE;
    expect(() => resolveAdminTokens({ tokens: [{ name: 'alice', token: ALICE }] }, '127.0.0.1', dir)).toThrow(
      /admin\.tokens has "alice", which clashes with the ONEBOX_ADMIN_TOKEN token/,
    );
    process.env[TOKEN_ENV] = TEST_TOKEN;
    expect(() => resolveAdminTokens({ tokens: [{ name: 'admin', token: BOB }] }, '127.0.0.1', dir)).toThrow(/clashes/);
  });

  it('finds the caller by token, never by a near miss', () => {
    const tokens = [
      { name: 'admin', token: TEST_TOKEN },
      { name: 'alice', token: ALICE },
    ];
    expect(callerOf(`Bearer ${ALICE}`, tokens)).toBe('alice');
    expect(callerOf(`Bearer ${TEST_TOKEN}`, tokens)).toBe('admin');
    expect(callerOf(`Bearer ${ALICE}x`, tokens)).toBeUndefined();
    expect(callerOf(ALICE, tokens)).toBeUndefined();
    expect(callerOf(undefined, tokens)).toBeUndefined();
    expect(callerOf('Bearer ', [])).toBeUndefined();
  });
});

describe('named admin tokens: the admin API', () => {
  let onebox: TestOnebox;
  let ups: TestUpstream[];
  const call = async (method: string, path: string, token?: string, headers: Record<string, string> = {}) => {
    const res = await request(`${onebox.adminUrl}${path}`, {
      method: method as 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Json };
  };
  const post = async (path: string, body: unknown, token: string) => {
    const res = await request(`${onebox.adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Json };
  };

  beforeAll(async () => {
    ups = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox({
      admin: {
        tokens: [
          { name: 'alice', token: ALICE },
          { name: 'bob', token: BOB },
        ],
      },
    });
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('answers 401 to a missing or wrong token, on data and on the event stream', async () => {
    for (const path of ['/v1/status', '/v1/session', '/v1/events', '/v1/history']) {
      for (const token of [undefined, 'wrong-token-0123456789', `${ALICE} `.repeat(2)]) {
        const res = await call('GET', path, token);
        expect(res.status, `${path} with ${token}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
  });

  it('tells each token its name', async () => {
    expect((await call('GET', '/v1/session', ALICE)).body).toEqual({ name: 'alice' });
    expect((await call('GET', '/v1/session', BOB)).body).toEqual({ name: 'bob' });
    expect((await call('GET', '/v1/session', TEST_TOKEN)).body).toEqual({ name: 'admin' });
  });

  it('records who acted by the token, with the client self-description beside it', async () => {
    const created = await post(
      '/v1/releases',
      { components: [{ component: 'web', version: 2, config: 'steps:10%@1h,100%' }] },
      BOB,
    );
    expect(created.status).toBe(201);
    expect((await post('/v1/components/web/deployment/pause', {}, ALICE)).status).toBe(200);
    const resumed = await request(`${onebox.adminUrl}/v1/components/web/deployment/resume`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'x-onebox-actor': 'carol@cli' },
    });
    expect(resumed.statusCode).toBe(200);
    await resumed.body.dump();
    // A self-description that is not a plain name is ignored, not trusted.
    const rolled = await request(`${onebox.adminUrl}/v1/components/web/deployment/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'x-onebox-actor': 'eve <script>' },
    });
    expect(rolled.statusCode).toBe(200);
    await rolled.body.dump();

    const [release] = (await call('GET', '/v1/history', ALICE)).body.releases;
    expect(release.by).toBe('bob');
    const sentences = release.deployments[0].events.map((e: { sentence: string }) => e.sentence);
    expect(sentences).toContain('web v2: paused by alice at 10%');
    expect(sentences.some((s: string) => s.startsWith('web v2: resumed by alice (carol@cli) with 1h'))).toBe(true);
    expect(sentences).toContain('web v2: rolled back by admin; all traffic on v1');
  });
});
