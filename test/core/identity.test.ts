import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COOKIE_MAX_AGE_SECONDS,
  IDENTITY_COOKIE,
  identityCookie,
  isValidCookieId,
  isValidHeaderId,
  readCookie,
  resolveIdentity,
} from '../../src/core/identity.js';

const ID = 'q3Vb0-xJ2mT_kLp9ZrWc4A'; // 22 chars, like an issued id
const ID2 = 'Zx9-Lm_0pQ7rS2tU4vW6yA';

describe('readCookie', () => {
  it('uses the onebox-uid cookie name', () => {
    expect(IDENTITY_COOKIE).toBe('onebox-uid');
  });

  it.each([
    ['no header', undefined, undefined],
    ['empty header', '', undefined],
    ['only cookie', `onebox-uid=${ID}`, ID],
    ['among others, with spaces', `a=1; onebox-uid=${ID}; b=2`, ID],
    ['last, without a space after ";"', `a=1;onebox-uid=${ID}`, ID],
    ['value trimmed', `onebox-uid=  ${ID}  ; b=2`, ID],
    ['similar name with a prefix (xonebox-uid)', `xonebox-uid=${ID}`, undefined],
    ['similar name with a suffix (onebox-uid-old)', `onebox-uid-old=${ID}`, undefined],
    ['similar name glued (onebox-uidx)', `onebox-uidx=${ID}`, undefined],
    ['similar name first, real one later', `xonebox-uid=${ID2}; onebox-uid=${ID}`, ID],
    ['suffixed name first, real one later', `onebox-uid-old=${ID2}; onebox-uid=${ID}`, ID],
    ["name inside another cookie's value", `a=onebox-uid; onebox-uid=${ID}`, ID],
    ['name as a value with "=" inside another cookie', `a=onebox-uid=${ID2}; onebox-uid=${ID}`, ID],
    ['two onebox-uid cookies: the first wins', `onebox-uid=${ID}; onebox-uid=${ID2}`, ID],
    ['empty value', 'onebox-uid=', ''],
    ['name without "="', 'onebox-uid', undefined],
    ['name with a space before "="', `onebox-uid =${ID}`, undefined],
  ])('%s', (_name, header, want) => {
    expect(readCookie(header, IDENTITY_COOKIE)).toBe(want);
  });
});

describe('isValidCookieId', () => {
  it.each([
    ['22 base64url chars', ID, true],
    ['64 chars', 'a'.repeat(64), true],
    ['all base64url symbols', 'AZaz09-_AZaz09-_AZaz09', true],
    ['21 chars (too short)', 'a'.repeat(21), false],
    ['65 chars (oversized)', 'a'.repeat(65), false],
    ['4 KiB (oversized)', 'a'.repeat(4096), false],
    ['empty', '', false],
    ['base64 "+"', `${ID.slice(0, 21)}+`, false],
    ['base64 "/"', `${ID.slice(0, 21)}/`, false],
    ['padding "="', `${ID}==`, false],
    ['quoted', `"${ID}"`, false],
    ['inner space', `${ID.slice(0, 11)} ${ID.slice(11)}`, false],
    ['non-ASCII', `${ID}é`, false],
    ['trailing newline', `${ID}\n`, false],
  ])('%s -> %s', (_name, value, want) => {
    expect(isValidCookieId(value)).toBe(want);
  });
});

describe('isValidHeaderId', () => {
  it.each([
    ['email', 'alice@example.com', true],
    ['one char', '7', true],
    ['all visible ASCII', Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join(''), true],
    ['256 chars', 'x'.repeat(256), true],
    ['257 chars', 'x'.repeat(257), false],
    ['empty', '', false],
    ['space', 'alice smith', false],
    ['tab', 'alice\tsmith', false],
    ['DEL', 'alice\u007f', false],
    ['NUL', 'alice\u0000', false],
    ['Latin-1', 'josé', false],
    ['emoji', 'user-😀', false],
  ])('%s -> %s', (_name, value, want) => {
    expect(isValidHeaderId(value)).toBe(want);
  });
});

describe('resolveIdentity', () => {
  it('returns undefined when the request carries nothing usable', () => {
    expect(resolveIdentity({})).toBeUndefined();
    expect(resolveIdentity({ header: undefined, cookie: undefined, baggage: undefined })).toBeUndefined();
    expect(resolveIdentity({ cookie: 'a=1; b=2' })).toBeUndefined();
  });

  it('uses a valid cookie', () => {
    expect(resolveIdentity({ cookie: `a=1; onebox-uid=${ID}` })).toEqual({ id: ID, source: 'cookie' });
  });

  it('ignores a cookie with a similar name', () => {
    expect(resolveIdentity({ cookie: `xonebox-uid=${ID}` })).toBeUndefined();
    expect(resolveIdentity({ cookie: `onebox-uid-v2=${ID}` })).toBeUndefined();
  });

  it.each([
    ['too short', 'abc'],
    ['oversized', 'a'.repeat(65)],
    ['bad characters', 'not/a+valid=id/at/all/x'],
    ['empty', ''],
  ])('rejects a malformed cookie value (%s): the user is treated as new', (_name, value) => {
    expect(resolveIdentity({ cookie: `onebox-uid=${value}` })).toBeUndefined();
  });

  it('header > cookie > baggage', () => {
    const all = { header: 'alice@example.com', cookie: `onebox-uid=${ID}`, baggage: ID2 };
    expect(resolveIdentity(all)).toEqual({ id: 'alice@example.com', source: 'header' });
    expect(resolveIdentity({ ...all, header: undefined })).toEqual({ id: ID, source: 'cookie' });
    expect(resolveIdentity({ ...all, header: undefined, cookie: undefined })).toEqual({ id: ID2, source: 'baggage' });
  });

  it('falls through an invalid header to the cookie, and an invalid cookie to baggage', () => {
    expect(resolveIdentity({ header: '', cookie: `onebox-uid=${ID}` })).toEqual({ id: ID, source: 'cookie' });
    expect(resolveIdentity({ header: 'has space', cookie: `onebox-uid=${ID}` })).toEqual({ id: ID, source: 'cookie' });
    expect(resolveIdentity({ header: 'x'.repeat(257), cookie: `onebox-uid=${ID}` })).toEqual({
      id: ID,
      source: 'cookie',
    });
    expect(resolveIdentity({ header: 'bad value', cookie: 'onebox-uid=short', baggage: 'svc-user-9' })).toEqual({
      id: 'svc-user-9',
      source: 'baggage',
    });
  });

  it('accepts a header-style id from baggage and rejects an invalid one', () => {
    expect(resolveIdentity({ baggage: 'alice@example.com' })).toEqual({ id: 'alice@example.com', source: 'baggage' });
    expect(resolveIdentity({ baggage: 'a b' })).toBeUndefined();
    expect(resolveIdentity({ baggage: '' })).toBeUndefined();
    expect(resolveIdentity({ baggage: 'x'.repeat(257) })).toBeUndefined();
  });

  it('a header id is used as given (not trimmed or lowercased)', () => {
    expect(resolveIdentity({ header: 'Alice@Example.com' })).toEqual({ id: 'Alice@Example.com', source: 'header' });
  });
});

describe('identityCookie', () => {
  it('defaults to 400 days', () => {
    expect(DEFAULT_COOKIE_MAX_AGE_SECONDS).toBe(34_560_000);
  });

  it('sets Path, Max-Age, HttpOnly and SameSite=Lax, without Secure unless asked', () => {
    const value = identityCookie(ID, { maxAgeSeconds: 3600, secure: false });
    expect(value).toBe(`onebox-uid=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`);
    expect(value).not.toMatch(/secure/i);
  });

  it('adds Secure when asked', () => {
    const value = identityCookie(ID, { maxAgeSeconds: DEFAULT_COOKIE_MAX_AGE_SECONDS, secure: true });
    expect(value).toBe(`onebox-uid=${ID}; Path=/; Max-Age=34560000; HttpOnly; SameSite=Lax; Secure`);
    const attributes = value.split('; ').slice(1);
    expect(attributes.filter((a) => a === 'Secure')).toHaveLength(1);
  });

  it('round-trips through readCookie and resolveIdentity', () => {
    const pair = identityCookie(ID, { maxAgeSeconds: 60, secure: true }).split(';')[0]!;
    expect(resolveIdentity({ cookie: `theme=dark; ${pair}` })).toEqual({ id: ID, source: 'cookie' });
  });
});

describe('readCookie does not read inside another cookie', () => {
  it('ignores the name inside a value that holds a space', () => {
    expect(readCookie('note=a onebox-uid=fake', 'onebox-uid')).toBeUndefined();
    expect(readCookie('note=a onebox-uid=fake;  onebox-uid=real', 'onebox-uid')).toBe('real');
  });
});
