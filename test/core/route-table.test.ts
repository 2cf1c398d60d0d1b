import { describe, expect, it } from 'vitest';
import { RouteTable, routePrefixProblem } from '../../src/core/route-table.js';

const table = (...prefixes: string[]): RouteTable<string> =>
  new RouteTable(prefixes.map((prefix) => ({ prefix, value: prefix })));

describe('RouteTable.match', () => {
  it('matches a prefix at a segment boundary only: /api vs /apix', () => {
    const t = table('/api');
    expect(t.match('/api')).toBe('/api');
    expect(t.match('/api/')).toBe('/api');
    expect(t.match('/api/users/7')).toBe('/api');
    expect(t.match('/apix')).toBeUndefined();
    expect(t.match('/api-v2')).toBeUndefined();
    expect(t.match('/ap')).toBeUndefined();
    expect(t.match('/')).toBeUndefined();
    expect(t.match('')).toBeUndefined();
  });

  it('prefers a sibling that matches exactly over a near miss', () => {
    const t = table('/api', '/apix');
    expect(t.match('/apix')).toBe('/apix');
    expect(t.match('/apix/1')).toBe('/apix');
    expect(t.match('/api/1')).toBe('/api');
    expect(t.match('/apixy')).toBeUndefined();
  });

  it('falls back to "/" for anything no other prefix matches', () => {
    const t = table('/', '/api');
    expect(t.match('/')).toBe('/');
    expect(t.match('/index.html')).toBe('/');
    expect(t.match('/apix')).toBe('/');
    expect(t.match('/api')).toBe('/api');
    expect(t.match('/api/x')).toBe('/api');
  });

  it('picks the longest matching prefix among nested ones, whatever the declaration order', () => {
    for (const order of [
      ['/', '/api', '/api/v2', '/api/v2/admin'],
      ['/api/v2/admin', '/api/v2', '/api', '/'],
      ['/api/v2', '/', '/api/v2/admin', '/api'],
    ]) {
      const t = table(...order);
      expect(t.match('/api/v2/admin/users')).toBe('/api/v2/admin');
      expect(t.match('/api/v2/admin')).toBe('/api/v2/admin');
      expect(t.match('/api/v2/administrator')).toBe('/api/v2');
      expect(t.match('/api/v2')).toBe('/api/v2');
      expect(t.match('/api/v20')).toBe('/api');
      expect(t.match('/api/v1/x')).toBe('/api');
      expect(t.match('/apiv2')).toBe('/');
      expect(t.match('/other')).toBe('/');
    }
  });

  it('is case-sensitive', () => {
    expect(table('/api').match('/API')).toBeUndefined();
  });

  it('an empty table matches nothing', () => {
    expect(new RouteTable<number>([]).match('/')).toBeUndefined();
  });

  it('returns the stored value', () => {
    const t = new RouteTable([
      { prefix: '/api', value: { component: 'api' } },
      { prefix: '/', value: { component: 'web' } },
    ]);
    expect(t.match('/api/x')).toEqual({ component: 'api' });
    expect(t.match('/x')).toEqual({ component: 'web' });
  });
});

describe('routePrefixProblem', () => {
  it.each(['/', '/api', '/api/v2', "/a-b_c.d~e!$&'()*+,;=:@%20"])('accepts %s', (prefix) => {
    expect(routePrefixProblem(prefix)).toBeUndefined();
  });

  it.each([
    ['api', 'a path prefix must start with "/"'],
    ['', 'a path prefix must start with "/"'],
    ['/api/', 'a path prefix other than "/" must not end with "/"'],
    ['/a b', 'a path prefix may hold only URL path characters'],
    ['/api?x=1', 'a path prefix may hold only URL path characters'],
    ['/api#x', 'a path prefix may hold only URL path characters'],
    ['/用户', 'a path prefix may hold only URL path characters'],
  ])('rejects %j: %s', (prefix, problem) => {
    expect(routePrefixProblem(prefix)).toBe(problem);
  });
});

describe('RouteTable.replace', () => {
  it('changes one value in a new table, keeps the longest-prefix order, and leaves the old table as it was', () => {
    const old = new RouteTable([
      { prefix: '/', value: 'root' },
      { prefix: '/api', value: 'api' },
      { prefix: '/api/v2', value: 'v2' },
    ]);
    const next = old.replace('api', 'api-new');
    expect(next.match('/api/users')).toBe('api-new');
    expect(next.match('/api/v2/x')).toBe('v2');
    expect(next.match('/other')).toBe('root');
    expect(old.match('/api/users')).toBe('api');
    expect(() => old.replace('missing', 'x')).toThrow(/no route/);
  });
});
