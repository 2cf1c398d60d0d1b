import { describe, expect, it } from 'vitest';
import { AliasRouter } from '../../src/core/alias-router.js';
import { bucketOf } from '../../src/core/bucket.js';
import { chooseVersion, type AliasRouting } from '../../src/core/routing.js';
import {
  decideViewer,
  type LiveChoices,
  type ViewerInputs,
  type ViewerSettings,
} from '../../src/core/viewer-decision.js';

const ID = 'q3Vb0-xJ2mT_kLp9ZrWc4A';
const NEW_ID = 'Nw0123456789abcdefghij';

function live(alias: AliasRouting): LiveChoices<string> {
  const extra = alias.additional;
  return {
    router: new AliasRouter(alias),
    stable: `v${alias.version}`,
    additional: extra ? `v${extra.version}` : `v${alias.version}`,
    split: extra !== undefined && extra.weightBp > 0,
  };
}

const settings = (draw = 0.5): ViewerSettings => ({
  cookieMaxAgeSeconds: 60,
  varyFields: ['Cookie', 'x-user'],
  newId: () => NEW_ID,
  draw: () => draw,
});

const request = (over: Partial<ViewerInputs> = {}): ViewerInputs => ({
  header: undefined,
  cookie: undefined,
  baggage: undefined,
  https: false,
  ...over,
});

const half: AliasRouting = { version: 1, additional: { version: 2, weightBp: 5000 }, mode: 'sticky', seed: 'web@2' };
const expected = (id: string): string => (chooseVersion(half, id, () => 0).additional ? 'v2' : 'v1');

describe('decideViewer', () => {
  it('says where the identity came from, and serves its bucket', () => {
    const cases: [Partial<ViewerInputs>, string][] = [
      [{ header: 'user-42', cookie: `onebox-uid=${ID}` }, 'header'],
      [{ cookie: `a=1; onebox-uid=${ID}` }, 'cookie'],
      [{ baggage: ID }, 'baggage'],
    ];
    for (const [inputs, reason] of cases) {
      const d = decideViewer(live(half), request(inputs), settings());
      const id = reason === 'header' ? 'user-42' : ID;
      expect(d).toEqual({
        target: expected(id),
        identity: id,
        reason,
        setCookie: undefined,
        vary: ['Cookie', 'x-user'],
      });
    }
  });

  it('issues an identity with its cookie to a new user, Secure over https', () => {
    const d = decideViewer(live(half), request({ https: true }), settings());
    expect(d.reason).toBe('new-user');
    expect(d.identity).toBe(NEW_ID);
    expect(d.target).toBe(expected(NEW_ID));
    expect(d.setCookie).toBe(`onebox-uid=${NEW_ID}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure`);
    expect(decideViewer(live(half), request(), settings()).setCookie).not.toContain('Secure');
  });

  it('names a malformed identity as the fallback it is, and treats the viewer as new', () => {
    for (const bad of [{ cookie: 'onebox-uid=short' }, { header: 'has space' }, { header: '' }]) {
      const d = decideViewer(live(half), request(bad), settings());
      expect(d.reason).toBe('invalid-identity');
      expect(d.identity).toBe(NEW_ID);
      expect(d.setCookie).toContain(`onebox-uid=${NEW_ID}`);
    }
    // Other cookies are no identity at all: a new user, not a fallback.
    expect(decideViewer(live(half), request({ cookie: 'theme=dark' }), settings()).reason).toBe('new-user');
  });

  it('adds Vary only while the alias splits', () => {
    const alone: AliasRouting = { version: 3, mode: 'sticky', seed: 's' };
    const zero: AliasRouting = { version: 3, additional: { version: 4, weightBp: 0 }, mode: 'sticky', seed: 's' };
    for (const alias of [alone, zero]) {
      const d = decideViewer(live(alias), request({ cookie: `onebox-uid=${ID}` }), settings());
      expect(d).toMatchObject({ target: 'v3', vary: undefined });
    }
  });

  it('draws per request in request mode, whoever the viewer is', () => {
    const perRequest: AliasRouting = { ...half, mode: 'request' };
    const inputs = request({ cookie: `onebox-uid=${ID}` });
    expect(decideViewer(live(perRequest), inputs, settings(0.49)).target).toBe('v2');
    expect(decideViewer(live(perRequest), inputs, settings(0.5)).target).toBe('v1');
  });

  it('serves the stable target below the weight boundary and the additional one at it', () => {
    const bucket = bucketOf('web@2', ID);
    const at = (weightBp: number): string =>
      decideViewer(
        live({ ...half, additional: { version: 2, weightBp } }),
        request({ cookie: `onebox-uid=${ID}` }),
        settings(),
      ).target;
    expect(at(bucket)).toBe('v1');
    expect(at(bucket + 1)).toBe('v2');
  });
});
