import { describe, expect, it } from 'vitest';
import { diffJson, groupPath, isSignificant, normalizeEndpoint } from '../../../src/core/index.js';

describe('diffJson', () => {
  it('finds nothing between equal documents', () => {
    const doc = { a: 1, b: [1, { c: 'x' }], d: null };
    expect(diffJson(doc, structuredClone(doc))).toEqual([]);
  });

  it('names each kind of difference with a typed path', () => {
    const primary = { id: 7, price: 10, name: 'a', tags: ['x', 'y'], items: [1, 2, 3], gone: true, 'odd key': 1 };
    const shadow = { id: 7, price: '10', name: 'b', tags: ['y', 'x'], items: [1, 2], added: 1, 'odd key': 2 };
    expect(diffJson(primary, shadow)).toEqual([
      { path: '$.price', kind: 'changed-type', primary: 'number', shadow: 'string' },
      { path: '$.name', kind: 'changed-value', primary: 'a', shadow: 'b' },
      { path: '$.tags', kind: 'array-order' },
      { path: '$.items', kind: 'array-size', primary: 3, shadow: 2 },
      { path: '$.gone', kind: 'missing', primary: true },
      { path: '$["odd key"]', kind: 'changed-value', primary: 1, shadow: 2 },
      { path: '$.added', kind: 'extra', shadow: 1 },
    ]);
  });

  it('descends into arrays and groups indices', () => {
    const d = diffJson({ users: [{ n: 1 }, { n: 2 }] }, { users: [{ n: 1 }, { n: 3 }] });
    expect(d).toEqual([{ path: '$.users[1].n', kind: 'changed-value', primary: 2, shadow: 3 }]);
    expect(groupPath(d[0]!.path)).toBe('$.users[*].n');
  });

  it('skips ignored paths and what is below them', () => {
    const d = diffJson(
      { meta: { at: 1 }, rows: [{ ts: 1, v: 1 }] },
      { meta: { at: 2 }, rows: [{ ts: 2, v: 2 }] },
      new Set(['$.meta', '$.rows[*].ts']),
    );
    expect(d.map((x) => x.path)).toEqual(['$.rows[0].v']);
  });

  it('stops at the limit', () => {
    const a = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, -i - 1]));
    expect(diffJson(a, b, new Set(), 10)).toHaveLength(10);
  });
});

describe('normalizeEndpoint', () => {
  it.each([
    ['get', '/users/42', 'GET /users/:id'],
    ['GET', '/users/42/orders/9f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c?x=1', 'GET /users/:id/orders/:id'],
    ['POST', '/files/deadbeefcafe1234', 'POST /files/:id'],
    ['GET', '/session/aB3dE5fG7hJ9kL1mN2', 'GET /session/:id'],
    ['GET', '/api/v2/items', 'GET /api/v2/items'],
    ['GET', '/', 'GET /'],
  ])('%s %s -> %s', (method, path, expected) => {
    expect(normalizeEndpoint(method, path)).toBe(expected);
  });
});

describe('isSignificant (Diffy’s rule, 20% relative, 0.03% absolute)', () => {
  it('drops a field that differs as often between two copies of the live version (a timestamp)', () => {
    expect(isSignificant(1000, 1000, 1000)).toBe(false);
    expect(isSignificant(1000, 950, 1000)).toBe(false);
  });
  it('reports a field the shadow changed and the live version never does', () => {
    expect(isSignificant(120, 0, 1000)).toBe(true);
  });
  it('needs a minimum absolute rate', () => {
    expect(isSignificant(1, 0, 100_000)).toBe(false);
    expect(isSignificant(30, 0, 100_000)).toBe(true);
  });
});
