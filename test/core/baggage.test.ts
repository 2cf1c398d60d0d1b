import { describe, expect, it } from 'vitest';
import { BAGGAGE_KEY, readBaggageIdentity, writeBaggageIdentity } from '../../src/core/baggage.js';

const members = (header: string): string[] => header.split(',').map((m) => m.trim());

describe('readBaggageIdentity', () => {
  it('uses the onebox-uid key', () => {
    expect(BAGGAGE_KEY).toBe('onebox-uid');
  });

  it.each([
    ['no header', undefined, undefined],
    ['empty header', '', undefined],
    ['only member', 'onebox-uid=abc', 'abc'],
    ['among other members', 'a=1,onebox-uid=abc,b=2', 'abc'],
    ['with a property', 'onebox-uid=abc;p=1', 'abc'],
    ['with several properties and spaces', 'onebox-uid=abc ; p=1;flag , x=2', 'abc'],
    ['optional whitespace around key and value', ' a=1 , onebox-uid = abc , b=2', 'abc'],
    ['percent-encoded "@"', 'onebox-uid=alice%40example.com', 'alice@example.com'],
    ['percent-encoded UTF-8', 'onebox-uid=%E7%94%A8%E6%88%B7', '用户'],
    ['percent-encoded "," and ";"', 'onebox-uid=a%2Cb%3Bc', 'a,b;c'],
    ['"+" is not a space', 'onebox-uid=a+b', 'a+b'],
    ['"=" inside the value', 'onebox-uid=a=b', 'a=b'],
    ['first of two members wins', 'onebox-uid=first,onebox-uid=second', 'first'],
    ['key with a prefix only', 'xonebox-uid=abc', undefined],
    ['key with a suffix only', 'onebox-uid-2=abc', undefined],
    ["key as another member's value", 'x=onebox-uid', undefined],
    ['similar key first, real one later', 'xonebox-uid=zzz,onebox-uid=abc', 'abc'],
    ['empty value', 'onebox-uid=', undefined],
    ['empty value with a property', 'onebox-uid=;p=1', undefined],
    ['member without "="', 'onebox-uid', undefined],
    ['member without "=", then others', 'onebox-uid,a=1', undefined],
    ['key with a property but no value', 'onebox-uid;p=1', undefined],
    ['keys are case-sensitive', 'ONEBOX-UID=abc', undefined],
  ])('%s', (_name, header, want) => {
    expect(readBaggageIdentity(header)).toBe(want);
  });

  it.each([
    ['truncated escape', 'onebox-uid=%E0%A4%A'],
    ['non-hex escape', 'onebox-uid=%zz'],
    ['lone "%"', 'onebox-uid=50%'],
    ['invalid UTF-8 sequence', 'onebox-uid=%C3%28'],
    ['encoded lone surrogate', 'onebox-uid=%ED%A0%80'],
  ])('ignores malformed percent-encoding: %s', (_name, header) => {
    expect(readBaggageIdentity(header)).toBeUndefined();
  });

  it('reads a header of exactly 8192 bytes and ignores one over the limit', () => {
    const head = 'onebox-uid=abc,pad=';
    const at8192 = head + 'x'.repeat(8192 - head.length);
    expect(at8192).toHaveLength(8192);
    expect(readBaggageIdentity(at8192)).toBe('abc');
    expect(readBaggageIdentity(at8192 + 'x')).toBeUndefined();
    expect(readBaggageIdentity('pad=' + 'x'.repeat(9000) + ',onebox-uid=abc')).toBeUndefined();
  });
});

describe('writeBaggageIdentity', () => {
  it('creates the header when there is none', () => {
    expect(writeBaggageIdentity(undefined, 'abc')).toBe('onebox-uid=abc');
    expect(writeBaggageIdentity('', 'abc')).toBe('onebox-uid=abc');
    expect(writeBaggageIdentity('   ', 'abc')).toBe('onebox-uid=abc');
  });

  it('appends to other members and keeps them byte for byte', () => {
    expect(writeBaggageIdentity('a=1,b=2;p=x', 'abc')).toBe('a=1,b=2;p=x,onebox-uid=abc');
    expect(writeBaggageIdentity('userId=alice,serverNode=DF%2028', 'abc')).toBe(
      'userId=alice,serverNode=DF%2028,onebox-uid=abc',
    );
  });

  it('replaces an existing onebox-uid member (with properties) and keeps the others in order', () => {
    expect(writeBaggageIdentity('a=1,onebox-uid=old;p=1,b=2', 'new')).toBe('a=1,b=2,onebox-uid=new');
    expect(writeBaggageIdentity('onebox-uid=old', 'new')).toBe('onebox-uid=new');
  });

  it('leaves exactly one onebox-uid member when the header had several', () => {
    const out = writeBaggageIdentity('onebox-uid=a,x=1,onebox-uid=b', 'c');
    expect(members(out).filter((m) => m.startsWith('onebox-uid'))).toEqual(['onebox-uid=c']);
    expect(out).toBe('x=1,onebox-uid=c');
  });

  it('keeps members whose key merely resembles onebox-uid', () => {
    expect(writeBaggageIdentity('xonebox-uid=1', 'abc')).toBe('xonebox-uid=1,onebox-uid=abc');
    expect(writeBaggageIdentity('xonebox-uid=1,onebox-uid=old', 'abc')).toBe('xonebox-uid=1,onebox-uid=abc');
    expect(writeBaggageIdentity('onebox-uid-2=1', 'abc')).toBe('onebox-uid-2=1,onebox-uid=abc');
  });

  it('replaces a member written with optional whitespace', () => {
    const out = writeBaggageIdentity(' a=1 , onebox-uid = old ;p=1', 'new');
    expect(members(out)).toEqual(['a=1', 'onebox-uid=new']);
    expect(readBaggageIdentity(out)).toBe('new');
  });

  it('percent-encodes the value', () => {
    expect(writeBaggageIdentity(undefined, 'alice@example.com')).toBe('onebox-uid=alice%40example.com');
    expect(writeBaggageIdentity(undefined, '用户')).toBe('onebox-uid=%E7%94%A8%E6%88%B7');
  });

  it.each(['alice@example.com', 'a,b', 'a;b=c', '50%', 'with space', '"quoted"', 'back\\slash', '用户', '😀'])(
    'round-trips %j through write and read',
    (id) => {
      const out = writeBaggageIdentity('k=v', id);
      expect(out.startsWith('k=v,')).toBe(true);
      // The written value uses only baggage-octets (no space, DQUOTE, comma, semicolon, backslash).
      expect(out.slice('k=v,onebox-uid='.length)).toMatch(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/);
      expect(readBaggageIdentity(out)).toBe(id);
    },
  );
});

describe('writeBaggageIdentity drops empty members', () => {
  it('does not leave an empty member behind a trailing comma', () => {
    expect(writeBaggageIdentity('a=1,', 'u')).toBe('a=1,onebox-uid=u');
    expect(writeBaggageIdentity(' , a=1 ,,', 'u')).toBe(' a=1 ,onebox-uid=u');
  });
});
