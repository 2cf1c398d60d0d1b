import { describe, expect, it } from 'vitest';
import CachePolicy from 'http-cache-semantics';
import { mergeVary, privateCacheControl } from '../../src/core/cache-headers.js';

describe('mergeVary', () => {
  it.each([
    ['no header', undefined, ['Cookie'], 'Cookie'],
    ['empty header', '', ['Cookie'], 'Cookie'],
    ['blank header', '  ', ['Cookie', 'Baggage'], 'Cookie, Baggage'],
    ['adds after the existing fields', 'Accept-Encoding', ['Cookie'], 'Accept-Encoding, Cookie'],
    ['adds several', 'Accept-Encoding', ['Cookie', 'X-User'], 'Accept-Encoding, Cookie, X-User'],
    ['already present: unchanged', 'Accept-Encoding, Cookie', ['Cookie'], 'Accept-Encoding, Cookie'],
    ['present in other case: unchanged', 'accept-encoding,cookie', ['Cookie'], 'accept-encoding,cookie'],
    ['only the missing ones added', 'Cookie', ['Cookie', 'X-User'], 'Cookie, X-User'],
    ['"*" stays "*"', '*', ['Cookie'], '*'],
    ['" * " stays "*"', ' * ', ['Cookie'], '*'],
  ])('%s', (_name, existing, fields, want) => {
    expect(mergeVary(existing, fields)).toBe(want);
  });
});

describe('privateCacheControl', () => {
  it.each([
    ['no header', undefined, 'private'],
    ['empty header', '', 'private'],
    ['public replaced', 'public', 'private'],
    ['public removed, others kept', 'public, max-age=60', 'private, max-age=60'],
    ['s-maxage removed', 'max-age=60, s-maxage=600', 'private, max-age=60'],
    ['case-insensitive', 'Public, S-MaxAge=600, max-age=5', 'private, max-age=5'],
    ['already private: kept as is', 'private, max-age=60', 'private, max-age=60'],
    ['no-store is enough', 'no-store', 'no-store'],
    ['no-store, public removed', 'public, no-store', 'no-store'],
    [
      'other directives kept in order',
      'max-age=0, must-revalidate, no-transform',
      'private, max-age=0, must-revalidate, no-transform',
    ],
    ['empty directives dropped', 'max-age=60,, ,public', 'private, max-age=60'],
    ['does not mistake public-ish names', 'publicity=1', 'private, publicity=1'],
  ])('%s', (_name, existing, want) => {
    expect(privateCacheControl(existing)).toBe(want);
  });
});

describe('privateCacheControl, as a shared cache reads it', () => {
  it.each([
    undefined,
    'public, max-age=600',
    's-maxage=600',
    'max-age=60, must-revalidate',
    'public, immutable, max-age=31536000',
  ])('a shared cache will not store a response with Cache-Control from %j', (upstream) => {
    const request = { method: 'GET', url: '/', headers: {} };
    const response = (cc: string | undefined): CachePolicy.Response => ({
      status: 200,
      headers: cc === undefined ? {} : { 'cache-control': cc },
    });
    // Without the rewrite a shared cache would store it...
    expect(new CachePolicy(request, response(upstream), { shared: true }).storable()).toBe(true);
    // ...with it, it will not.
    const privateResponse = response(privateCacheControl(upstream));
    expect(new CachePolicy(request, privateResponse, { shared: true }).storable()).toBe(false);
    // A browser (private cache) may still store it when the upstream allowed that.
    if (upstream?.includes('max-age')) {
      expect(new CachePolicy(request, privateResponse, { shared: false }).storable()).toBe(true);
    }
  });
});
