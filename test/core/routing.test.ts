import { describe, expect, it, vi } from 'vitest';
import { bucketOf } from '../../src/core/bucket.js';
import {
  ROUTING_MODES,
  basisPointsToPercent,
  chooseVersion,
  defaultSeed,
  weightToBasisPoints,
  type AliasRouting,
} from '../../src/core/routing.js';
import { distinctIds } from '../helpers/random.js';

const USERS = distinctIds(100_000, 2024);
const noDraw = (): number => {
  throw new Error('draw must not be called');
};

function sticky(weightBp: number, seed = 'api@2'): AliasRouting {
  return { version: 1, additional: { version: 2, weightBp }, mode: 'sticky', seed };
}

function onNew(alias: AliasRouting): Set<string> {
  const chosen = new Set<string>();
  for (const id of USERS) if (chooseVersion(alias, id, noDraw).additional) chosen.add(id);
  return chosen;
}

describe('chooseVersion, sticky mode', () => {
  it('the test population is 100,000 distinct identities', () => {
    expect(new Set(USERS).size).toBe(100_000);
  });

  it('sends 19.5%..20.5% of 100,000 users to the new version at 2000 bp', () => {
    const share = onNew(sticky(2000)).size / USERS.length;
    expect(share).toBeGreaterThanOrEqual(0.195);
    expect(share).toBeLessThanOrEqual(0.205);
  });

  it('returns the additional version exactly for users whose bucket is below the weight', () => {
    const alias = sticky(2000, 'web@9');
    for (const id of USERS.slice(0, 20_000)) {
      const expected = bucketOf('web@9', id) < 2000;
      const choice = chooseVersion(alias, id, noDraw);
      expect(choice).toEqual(expected ? { version: 2, additional: true } : { version: 1, additional: false });
    }
  });

  it('is sticky: the same identity always gets the same version', () => {
    const alias = sticky(5000);
    for (const id of USERS.slice(0, 1000)) {
      const first = chooseVersion(alias, id, noDraw);
      for (let i = 0; i < 3; i++) expect(chooseVersion(alias, id, noDraw)).toEqual(first);
    }
  });

  it('raising 10% -> 20% -> 50% only adds users: nobody moves from new back to old', () => {
    const at10 = onNew(sticky(1000));
    const at20 = onNew(sticky(2000));
    const at50 = onNew(sticky(5000));
    const movedBack = (from: Set<string>, to: Set<string>): string[] => [...from].filter((id) => !to.has(id));
    expect(movedBack(at10, at20)).toEqual([]);
    expect(movedBack(at20, at50)).toEqual([]);
    // And each step really did add users, in proportion.
    expect(at10.size / USERS.length).toBeCloseTo(0.1, 2);
    expect(at20.size / USERS.length).toBeCloseTo(0.2, 2);
    expect(at50.size / USERS.length).toBeCloseTo(0.5, 2);
  });

  it('lowering the weight only removes users (rollback direction)', () => {
    const at50 = onNew(sticky(5000));
    const at5 = onNew(sticky(500));
    expect([...at5].filter((id) => !at50.has(id))).toEqual([]);
    expect(at5.size).toBeLessThan(at50.size);
  });

  it('a new seed reshuffles who comes first (independent of the old choice)', () => {
    const a = onNew(sticky(2000, 'api@2'));
    const b = onNew(sticky(2000, 'api@3'));
    const both = [...a].filter((id) => b.has(id)).length / USERS.length;
    // Independent 20% samples overlap on about 4% of users; identical seeds would give 20%.
    expect(both).toBeGreaterThan(0.035);
    expect(both).toBeLessThan(0.045);
  });

  it('splits at the bucket boundary: weight = bucket keeps the user on old, bucket + 1 moves them', () => {
    for (const id of USERS.slice(0, 200)) {
      const b = bucketOf('api@2', id);
      if (b > 0) expect(chooseVersion(sticky(b), id, noDraw).additional).toBe(false);
      if (b < 9999) expect(chooseVersion(sticky(b + 1), id, noDraw).additional).toBe(true);
    }
  });

  it('without an identity the stable version serves (unless the weight is 100%)', () => {
    expect(chooseVersion(sticky(9999), undefined, noDraw)).toEqual({ version: 1, additional: false });
    expect(chooseVersion(sticky(10_000), undefined, noDraw)).toEqual({ version: 2, additional: true });
  });
});

describe('chooseVersion, edge weights', () => {
  it('weight 0 sends nobody to the new version, in either mode', () => {
    expect(onNew(sticky(0)).size).toBe(0);
    const request: AliasRouting = { ...sticky(0), mode: 'request' };
    expect(chooseVersion(request, 'u', () => 0)).toEqual({ version: 1, additional: false });
  });

  it('weight 10000 sends everybody to the new version, in either mode, without drawing', () => {
    expect(onNew(sticky(10_000)).size).toBe(USERS.length);
    const request: AliasRouting = { ...sticky(10_000), mode: 'request' };
    expect(chooseVersion(request, undefined, noDraw)).toEqual({ version: 2, additional: true });
  });

  it('weight 1 admits only bucket 0', () => {
    const admitted = [...onNew(sticky(1))];
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.every((id) => bucketOf('api@2', id) === 0)).toBe(true);
    expect(admitted.length).toBe(USERS.filter((id) => bucketOf('api@2', id) === 0).length);
  });

  it('weight 9999 keeps only bucket 9999 on old', () => {
    const kept = USERS.filter((id) => !chooseVersion(sticky(9999), id, noDraw).additional);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((id) => bucketOf('api@2', id) === 9999)).toBe(true);
    expect(kept.length).toBe(USERS.filter((id) => bucketOf('api@2', id) === 9999).length);
  });

  it('no additional version: always the alias version', () => {
    const alias: AliasRouting = { version: 7, mode: 'sticky', seed: 's' };
    expect(chooseVersion(alias, 'u', noDraw)).toEqual({ version: 7, additional: false });
    expect(chooseVersion({ ...alias, mode: 'request' }, 'u', noDraw)).toEqual({ version: 7, additional: false });
  });
});

describe('chooseVersion, request mode', () => {
  const alias: AliasRouting = { version: 1, additional: { version: 2, weightBp: 2000 }, mode: 'request', seed: 's' };

  it('admits a draw below weight/10000 and rejects one at or above it', () => {
    expect(chooseVersion(alias, 'u', () => 0)).toEqual({ version: 2, additional: true });
    expect(chooseVersion(alias, 'u', () => 0.1999)).toEqual({ version: 2, additional: true });
    expect(chooseVersion(alias, 'u', () => 0.19999999)).toEqual({ version: 2, additional: true });
    expect(chooseVersion(alias, 'u', () => 0.2)).toEqual({ version: 1, additional: false });
    expect(chooseVersion(alias, 'u', () => 0.9999999)).toEqual({ version: 1, additional: false });
  });

  it('draws once per call and ignores the identity', () => {
    const draws = [0.1, 0.5, 0.05, 0.95];
    const draw = vi.fn(() => draws.shift()!);
    const got = [1, 2, 3, 4].map(() => chooseVersion(alias, 'same-user', draw).version);
    expect(got).toEqual([2, 1, 2, 1]);
    expect(draw).toHaveBeenCalledTimes(4);
    // Without an identity it still splits.
    expect(chooseVersion(alias, undefined, () => 0.01).version).toBe(2);
  });

  it('with a deterministic uniform draw, the share equals the weight exactly', () => {
    let i = 0;
    const draw = (): number => (i++ % 10_000) / 10_000; // 0, 0.0001, ..., 0.9999
    let additional = 0;
    for (let n = 0; n < 10_000; n++) if (chooseVersion(alias, undefined, draw).additional) additional++;
    expect(additional).toBe(2000);
  });

  it('sticky mode never calls draw', () => {
    const draw = vi.fn(() => 0);
    for (const id of USERS.slice(0, 100)) chooseVersion(sticky(5000), id, draw);
    chooseVersion(sticky(5000), undefined, draw);
    expect(draw).not.toHaveBeenCalled();
  });
});

describe('routing helpers', () => {
  it('lists the modes', () => {
    expect(ROUTING_MODES).toEqual(['sticky', 'request']);
  });

  it.each([
    [0, 0],
    [1, 10_000],
    [0.2, 2000],
    [0.05, 500],
    [0.29, 2900],
    [0.0001, 1],
    [0.12345, 1235],
  ])('weightToBasisPoints(%s) = %s', (weight, bp) => {
    expect(weightToBasisPoints(weight)).toBe(bp);
  });

  it.each([-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'weightToBasisPoints(%s) throws a RangeError naming the value',
    (weight) => {
      expect(() => weightToBasisPoints(weight)).toThrow(RangeError);
      expect(() => weightToBasisPoints(weight)).toThrow(`weight must be a number from 0 to 1, got ${String(weight)}`);
    },
  );

  it.each([
    [0, '0%'],
    [1, '0.01%'],
    [50, '0.50%'],
    [2000, '20%'],
    [2050, '20.50%'],
    [10_000, '100%'],
  ])('basisPointsToPercent(%s) = %s', (bp, text) => {
    expect(basisPointsToPercent(bp)).toBe(text);
  });

  it('defaultSeed is component@version', () => {
    expect(defaultSeed('api', 3)).toBe('api@3');
    expect(defaultSeed('api', 3)).not.toBe(defaultSeed('api', 4));
  });
});
