import { describe, expect, it } from 'vitest';
import { AliasRouter } from '../../src/core/alias-router.js';
import { bucketOf } from '../../src/core/bucket.js';
import { resolveIdentity, type IdentityInputs } from '../../src/core/identity.js';
import { murmur3Concat } from '../../src/core/murmur3.js';
import { murmur3Resume, murmur3State } from '../../src/core/murmur3-resume.js';
import { chooseVersion, type AliasRouting } from '../../src/core/routing.js';
import { distinctIds, prng, randomCookieId } from '../helpers/random.js';
import { loadSpec } from './spec-vectors.js';

const spec = loadSpec();
const ID = 'q3Vb0-xJ2mT_kLp9ZrWc4A';
const ID2 = 'Zx9-Lm_0pQ7rS2tU4vW6yA';

const sticky = (weightBp: number, seed = 'web@2'): AliasRouting => ({
  version: 1,
  additional: { version: 2, weightBp },
  mode: 'sticky',
  seed,
});

/** Characters that exercise every branch of a UTF-16 to UTF-8 hash. */
const ALPHABET = ['a', 'Z', '0', '-', '_', ':', ' ', ';', '=', 'é', 'Ж', '中', '😀', '\ud800', '\udc00', '\u0000'];
function randomText(next: () => number, maxLength: number): string {
  const n = Math.floor(next() * (maxLength + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return s;
}

describe('murmur3Resume', () => {
  it('equals murmur3Concat(prefix, text) for any prefix length, text and range', () => {
    const next = prng(7);
    for (let t = 0; t < 3000; t++) {
      const prefix = randomText(next, 9);
      const text = randomText(next, 40);
      const start = Math.floor(next() * (text.length + 1));
      const end = start + Math.floor(next() * (text.length - start + 1));
      const seed = t % 3 === 0 ? 0 : Math.floor(next() * 2 ** 32);
      const want = murmur3Concat(prefix, text.slice(start, end), seed);
      expect({ prefix, text, start, end, hash: murmur3Resume(murmur3State(prefix, seed), text, start, end) }).toEqual({
        prefix,
        text,
        start,
        end,
        hash: want,
      });
    }
  });
});

describe('AliasRouter.bucketOf', () => {
  it.each(spec.buckets.map((v, i) => [i, v.note ?? '', v] as const))('spec vector %i (%s)', (_i, _note, v) => {
    expect(new AliasRouter(sticky(2000, v.seed)).bucketOf(v.identity)).toBe(v.bucket);
  });
});

describe('AliasRouter.choose', () => {
  const users = distinctIds(20_000, 99);

  it.each([0, 1, 2000, 5000, 9999, 10_000])('matches chooseVersion for 20,000 users at %i bp', (weightBp) => {
    const alias = sticky(weightBp, `api@${weightBp}`);
    const router = new AliasRouter(alias);
    const draw = (): number => 0;
    for (const id of users) expect(router.choose(id, draw)).toEqual(chooseVersion(alias, id, draw));
    expect(router.choose(undefined, draw)).toEqual(chooseVersion(alias, undefined, draw));
  });

  it('in request mode draws once per decision, as chooseVersion does', () => {
    const alias: AliasRouting = { ...sticky(2500), mode: 'request' };
    const router = new AliasRouter(alias);
    for (const d of [0, 0.2499, 0.25, 0.9999]) {
      let draws = 0;
      const draw = (): number => {
        draws++;
        return d;
      };
      expect(router.choose(ID, draw)).toEqual(chooseVersion(alias, ID, () => d));
      expect(draws).toBe(1);
    }
  });

  it('with no additional version serves the stable one and never draws', () => {
    const router = new AliasRouter({ version: 4, mode: 'request', seed: 's' });
    expect(router.choose(ID, () => expect.unreachable())).toEqual({ version: 4, additional: false });
  });
});

describe('AliasRouter.route', () => {
  /** The reference: what the gateway did before AliasRouter. */
  function reference(alias: AliasRouting, inputs: IdentityInputs, draw: () => number) {
    const identity = resolveIdentity(inputs);
    return identity && { ...identity, choice: chooseVersion(alias, identity.id, draw) };
  }

  const aliases: AliasRouting[] = [
    sticky(2000),
    sticky(5000, 'checkout@17'),
    sticky(3333, 'é中😀'),
    sticky(0),
    sticky(10_000),
    { ...sticky(5000), mode: 'request' },
    { version: 3, mode: 'sticky', seed: 'x' },
  ];

  const cookies = [
    undefined,
    '',
    `onebox-uid=${ID}`,
    `a=1; onebox-uid=${ID}; b=2`,
    `a=1;onebox-uid=${ID}`,
    `onebox-uid=  ${ID}  ; b=2`,
    `onebox-uid=\t${ID}\t`,
    `xonebox-uid=${ID}`,
    `onebox-uid-old=${ID}`,
    `onebox-uidx=${ID}`,
    `xonebox-uid=${ID2}; onebox-uid=${ID}`,
    `a=onebox-uid=${ID2}; onebox-uid=${ID}`,
    `onebox-uid=${ID}; onebox-uid=${ID2}`,
    `onebox-uid=short; onebox-uid=${ID2}`,
    'onebox-uid=',
    'onebox-uid',
    `onebox-uid =${ID}`,
    `onebox-uid=${'a'.repeat(21)}`,
    `onebox-uid=${'a'.repeat(64)}`,
    `onebox-uid=${'a'.repeat(65)}`,
    `onebox-uid=${'a'.repeat(65)}; b=1`,
    `onebox-uid=${ID}+`,
    `onebox-uid=${ID}é`,
    `onebox-uid=${ID.slice(0, 11)} ${ID.slice(11)}`,
    `onebox-uid="${ID}"`,
    `onebox-uid=${ID}=`,
    `onebox-uid=${ID}\n`,
  ];

  it.each(cookies.map((c) => [JSON.stringify(c), c] as const))(
    'cookie %s: as resolveIdentity + chooseVersion',
    (_n, cookie) => {
      for (const alias of aliases) {
        const router = new AliasRouter(alias);
        for (const inputs of [{ cookie }, { cookie, baggage: 'svc-user-9' }, { header: 'alice@example.com', cookie }]) {
          expect({ alias, inputs, got: router.route(inputs.header, inputs.cookie, inputs.baggage, () => 0.3) }).toEqual(
            {
              alias,
              inputs,
              got: reference(alias, inputs, () => 0.3),
            },
          );
        }
      }
    },
  );

  it('agrees with resolveIdentity + chooseVersion on 10,000 random Cookie headers', () => {
    const next = prng(2024);
    const pieces = [' ', ';', '=', '; ', 'onebox-uid', 'onebox-uid=', 'a=1', '\t', 'é', '+', '"'];
    const routers = aliases.map((alias) => [alias, new AliasRouter(alias)] as const);
    let found = 0;
    for (let t = 0; t < 10_000; t++) {
      let cookie = '';
      const parts = 1 + Math.floor(next() * 6);
      for (let p = 0; p < parts; p++) {
        const r = next();
        if (r < 0.3) cookie += pieces[Math.floor(next() * pieces.length)];
        else if (r < 0.6) cookie += `onebox-uid=${randomCookieId(next).slice(0, 18 + Math.floor(next() * 8))}`;
        else cookie += randomCookieId(next).slice(0, Math.floor(next() * 23));
      }
      for (const [alias, router] of routers) {
        const got = router.route(undefined, cookie, undefined, () => 0.5);
        expect({ cookie, got }).toEqual({ cookie, got: reference(alias, { cookie }, () => 0.5) });
        if (got) found++;
      }
    }
    // The generator must produce both valid and invalid identities, or the test proves little.
    const checks = 10_000 * routers.length;
    expect(found).toBeGreaterThan(checks * 0.05);
    expect(found).toBeLessThan(checks * 0.9);
  });

  it('keeps the bucket of 20,000 real users (issued ids in a browser-like header)', () => {
    const alias = sticky(2000);
    const router = new AliasRouter(alias);
    for (const id of distinctIds(20_000, 5)) {
      const got = router.route(undefined, `_ga=GA1.2.1.1700000000; onebox-uid=${id}; theme=dark`, undefined, () => 0);
      expect(got?.id).toBe(id);
      expect(got?.choice.additional).toBe(bucketOf(alias.seed, id) < 2000);
    }
  });
});
