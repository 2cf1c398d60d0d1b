/**
 * Seeded generators of bad input: raw HTTP/1.1 requests (as bytes), JSON values and config
 * documents. Each takes the PRNG so that a failing seed replays exactly.
 */
import { randomCookieId } from '../helpers/random.js';

export type Rnd = () => number;

export const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const int = (r: Rnd, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const chance = (r: Rnd, p: number): boolean => r() < p;

/** `n` characters from `alphabet`, or any byte (latin1) when none is given. */
export function chars(r: Rnd, n: number, alphabet?: string): string {
  let s = '';
  for (let i = 0; i < n; i++)
    s += alphabet ? alphabet[Math.floor(r() * alphabet.length)] : String.fromCharCode(int(r, 0, 255));
  return s;
}

const TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const NASTY = ['\0', '\r', '\n', '\r\n', ' ', '\t', '\x7f', '\xff', '%', '%00', '%zz', ';', ',', '=', '"', '\\'];

const nasty = (r: Rnd): string => {
  const n = int(r, 1, 6);
  let s = '';
  for (let i = 0; i < n; i++) s += chance(r, 0.5) ? pick(r, NASTY) : chars(r, int(r, 1, 8), PRINTABLE);
  return s;
};

function method(r: Rnd): string {
  return pick(r, [
    () => pick(r, ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE']),
    () => pick(r, ['CONNECT', 'PROPFIND', 'MKCOL', 'get', 'Get', 'G ET', '', 'GET\0', 'PRI']),
    () => chars(r, int(r, 1, 12), TOKEN),
    () => chars(r, int(r, 1, 12)),
    () => 'X'.repeat(int(r, 100, 5000)),
  ])();
}

function path(r: Rnd): string {
  return pick(r, [
    () => pick(r, ['/', '/api/items', '/api', '/api/', '/apix', '//', '/./api/../', '/../../etc/passwd', '*']),
    () => pick(r, ['http://127.0.0.1/api/items', 'http://evil.invalid/', 'https://[::1]:1/x', 'example.com:443']),
    () => `/${chars(r, int(r, 0, 40), PRINTABLE)}`,
    () => `/api/${nasty(r)}`,
    () => `/?${chars(r, int(r, 0, 60), PRINTABLE)}`,
    () => `/${chars(r, int(r, 1, 30))}`,
    () => `/${'a'.repeat(int(r, 1_000, 100_000))}`,
    () => '',
  ])();
}

function cookie(r: Rnd): string {
  return pick(r, [
    () => `onebox-uid=${randomCookieId(r)}`,
    () => `onebox-uid=${nasty(r)}`,
    () => `onebox-uid=${chars(r, int(r, 0, 300), PRINTABLE)}`,
    () => `onebox-uid=${randomCookieId(r)}; onebox-uid=${randomCookieId(r)}`,
    () => `a=b; onebox-uid; =; ;;; onebox-uid=="x"`,
    () => Array.from({ length: int(r, 10, 300) }, (_, i) => `c${i}=${chars(r, 8, TOKEN)}`).join('; '),
    () => nasty(r),
  ])();
}

function baggage(r: Rnd): string {
  return pick(r, [
    () => `onebox-uid=${randomCookieId(r)}`,
    () => `onebox-uid=${nasty(r)}`,
    () => `onebox-uid=${randomCookieId(r)};prop=1,other=x,onebox-uid=${randomCookieId(r)}`,
    () => `onebox-version=${int(r, 0, 99)},onebox-uid=${chars(r, int(r, 0, 40), PRINTABLE)}`,
    () => ',,,=;=;,onebox-uid=%zz%00,%',
    () => Array.from({ length: int(r, 10, 200) }, (_, i) => `k${i}=${chars(r, 20, TOKEN)}`).join(','),
    () => `onebox-uid=${'%41'.repeat(int(r, 1, 3000))}`,
    () => nasty(r),
  ])();
}

function header(r: Rnd): string {
  return pick(r, [
    () => `Cookie: ${cookie(r)}`,
    () => `Baggage: ${baggage(r)}`,
    () => `x-user-id: ${pick(r, [randomCookieId(r), nasty(r), '', 'x'.repeat(int(r, 100, 9000))])}`,
    () => `X-Forwarded-For: ${pick(r, ['1.2.3.4', '::1, 10.0.0.1', nasty(r), '999.1.1.1,,,'])}`,
    () => `X-Forwarded-Proto: ${pick(r, ['https', 'http', 'gopher', nasty(r)])}`,
    () => `x-onebox-version: ${pick(r, ['web:2', 'api:99', nasty(r)])}`,
    () => `Host: ${pick(r, ['127.0.0.1', '', 'evil.invalid', nasty(r), 'a'.repeat(int(r, 100, 9000))])}`,
    () => `Expect: ${pick(r, ['100-continue', 'nothing', ''])}`,
    () => `Connection: ${pick(r, ['close', 'keep-alive', 'upgrade', 'x-user-id, cookie', nasty(r)])}`,
    () => `Upgrade: ${pick(r, ['websocket', 'h2c', nasty(r)])}`,
    () => `${chars(r, int(r, 1, 20), TOKEN)}: ${chars(r, int(r, 0, 80), PRINTABLE)}`,
    () => `${chars(r, int(r, 1, 20))}: ${chars(r, int(r, 0, 80))}`,
    () => `no-colon-${chars(r, int(r, 1, 20), TOKEN)}`,
    () => ` folded: continuation`,
    () => `X-Big: ${'b'.repeat(int(r, 1_000, 80_000))}`,
  ])();
}

/** The body and its framing headers, including smuggling-style contradictions. */
function framing(r: Rnd): { headers: string[]; body: string } {
  const body = pick(r, [
    () => '',
    () => chars(r, int(r, 1, 200), PRINTABLE),
    () => chars(r, int(r, 1, 200)),
    () => JSON.stringify({ a: int(r, 0, 9) }),
  ])();
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const smuggled = 'GET /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  return pick(r, [
    () => ({ headers: [], body: '' }),
    () => ({ headers: [`Content-Length: ${body.length}`], body }),
    () => ({ headers: [`Content-Length: ${body.length + int(r, 1, 50)}`], body }),
    () => ({ headers: [`Content-Length: ${Math.max(0, body.length - 1)}`], body }),
    () => ({
      headers: [`Content-Length: ${pick(r, ['-1', 'abc', '1e3', '0x10', '99999999999999999999', ' 5', '5 5'])}`],
      body,
    }),
    () => ({ headers: [`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`], body }),
    () => ({ headers: [`Content-Length: ${body.length}`, `Content-Length: ${body.length}`], body }),
    () => ({ headers: ['Transfer-Encoding: chunked'], body: chunked }),
    () => ({ headers: ['Transfer-Encoding: chunked', `Content-Length: ${chunked.length}`], body: chunked }),
    () => ({ headers: [`Content-Length: 4`, 'Transfer-Encoding: chunked'], body: `0\r\n\r\n${smuggled}` }),
    () => ({ headers: ['Transfer-Encoding: chunked'], body: `0\r\n\r\n${smuggled}` }),
    () => ({
      headers: [
        `Transfer-Encoding: ${pick(r, ['xchunked', 'chunked, identity', 'gzip, chunked', ' chunked', 'chunked\t', 'CHUNKED', 'identity'])}`,
      ],
      body: chunked,
    }),
    () => ({ headers: ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], body: chunked }),
    () => ({
      headers: ['Transfer-Encoding: chunked'],
      body: `${pick(r, ['zz', '-1', 'fffffffffffffff', '1;ext=1'])}\r\n${body}\r\n0\r\n\r\n`,
    }),
    () => ({ headers: ['Transfer-Encoding: chunked'], body: `${body.length.toString(16)}\n${body}\n0\n\n` }),
    () => ({ headers: ['Transfer-Encoding: chunked'], body: `${chunked.slice(0, -2)}X-Trailer: ${nasty(r)}\r\n\r\n` }),
  ])();
}

/** Header values the HTTP parser accepts (visible ASCII and spaces), so the gateway's own logic sees them. */
const parsable = (line: string): string => line.replace(/[^\x20-\x7e]/g, '').replace(/^\s+/, 'x');

/**
 * One raw HTTP request. Half are well-framed requests with odd but parsable headers
 * (cookies, baggage, identity, forwarded headers: the gateway's own logic); the other half
 * are malformed in a random number of ways (the HTTP parser's and the proxy's edges).
 */
export function rawRequest(r: Rnd): string {
  if (chance(r, 0.5)) {
    const lines = [
      `${pick(r, ['GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'])} ${pick(r, ['/', '/api/items', '/api/x?y=1', '/a/b'])} HTTP/1.1`,
      'Host: 127.0.0.1',
    ];
    for (let i = int(r, 1, 5); i > 0; i--) {
      const h = parsable(header(r));
      if (
        /^[!#$%&'*+.^_`|~0-9a-z-]+:/i.test(h) &&
        !/^(content-length|transfer-encoding|host|expect|connection|upgrade)\s*:/i.test(h) &&
        h.length < 8_000
      )
        lines.push(h);
    }
    const body = chance(r, 0.3) ? chars(r, int(r, 0, 100), PRINTABLE) : '';
    if (body) lines.push(`Content-Length: ${body.length}`);
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }
  const version = chance(r, 0.85)
    ? 'HTTP/1.1'
    : pick(r, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', 'http/1.1', '']);
  const lines = [`${method(r)} ${path(r)} ${version}`.trimEnd()];
  if (chance(r, 0.9)) lines.push('Host: 127.0.0.1');
  const n = int(r, 0, 6);
  for (let i = 0; i < n; i++) lines.push(header(r));
  if (chance(r, 0.05)) for (let i = 0; i < int(r, 100, 2_500); i++) lines.push(`h${i}: v`);
  const f = framing(r);
  lines.push(...f.headers);
  const eol = chance(r, 0.95) ? '\r\n' : pick(r, ['\n', '\r', '\n\r']);
  return `${lines.join(eol)}${eol}${eol}${f.body}`;
}

/** A random JSON-able value, nested at most `depth` levels. */
export function jsonValue(r: Rnd, depth = 3): unknown {
  const leaf = (): unknown =>
    pick(r, [
      () => null,
      () => chance(r, 0.5),
      () => int(r, -5, 20),
      () => pick(r, [0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, 1e-9, 10_000, 10_001]),
      () => chars(r, int(r, 0, 30), PRINTABLE),
      () =>
        pick(r, ['web', 'api', 'pause', 'rollback', 'http://127.0.0.1:1', 'linear:25%:1s', '1s', '', 'x'.repeat(5000)]),
    ])();
  if (depth <= 0 || chance(r, 0.4)) return leaf();
  if (chance(r, 0.5)) return Array.from({ length: int(r, 0, 4) }, () => jsonValue(r, depth - 1));
  const keys = [
    'version',
    'url',
    'weights',
    'routing',
    'components',
    'component',
    'after',
    'handler',
    'description',
    'share',
    'methods',
    'dropHeaders',
    'timeoutMs',
    'config',
    'event',
    '__proto__',
    'constructor',
    'prototype',
  ];
  const o: Record<string, unknown> = {};
  for (let i = int(r, 0, 5); i > 0; i--) {
    const key = chance(r, 0.8) ? pick(r, keys) : chars(r, int(r, 0, 12), PRINTABLE);
    Object.defineProperty(o, key, {
      value: jsonValue(r, depth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

/** `value` with one random change: a leaf or subtree replaced, a key removed or added. */
export function mutate(r: Rnd, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || chance(r, 0.15)) return jsonValue(r, 2);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? Array.prototype.slice.call(value)
    : { ...(value as object) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || chance(r, 0.1)) {
    // An own property, as JSON.parse makes it: assigning `__proto__` would swap the prototype.
    Object.defineProperty(copy, pick(r, ['extra', '__proto__', 'name', '0']), {
      value: jsonValue(r, 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return copy;
  }
  const key = pick(r, keys);
  if (chance(r, 0.15)) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else delete copy[key];
  } else (copy as Record<string, unknown>)[key] = mutate(r, (copy as Record<string, unknown>)[key]);
  return copy;
}

/** `text` with a few random character-level edits (insert, delete, replace, duplicate a line). */
export function mutateText(r: Rnd, text: string): string {
  let s = text;
  for (let i = int(r, 1, 4); i > 0; i--) {
    const at = int(r, 0, s.length);
    s = pick(r, [
      () =>
        s.slice(0, at) +
        pick(r, [':', '-', ' ', '\n', '{', '[', '"', "'", '&a', '*a', '!!', '#', '\t', '%', '\0']) +
        s.slice(at),
      () => s.slice(0, at) + s.slice(at + int(r, 1, 10)),
      () => s.slice(0, at) + chars(r, int(r, 1, 5), PRINTABLE) + s.slice(at + 1),
      () => {
        const lines = s.split('\n');
        const n = int(r, 0, lines.length - 1);
        lines.splice(n, 0, lines[n]!);
        return lines.join('\n');
      },
    ])();
  }
  return s;
}
