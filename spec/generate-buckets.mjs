#!/usr/bin/env node
/**
 * Regenerates spec/buckets.json: language-neutral test vectors for onebox's sticky bucket.
 *
 *   node spec/generate-buckets.mjs          # rewrite spec/buckets.json
 *   node spec/generate-buckets.mjs --check  # exit 1 if spec/buckets.json differs
 *
 * Every expected value is computed with the independent reference port of MurmurHash3
 * (`murmurhash3js-revisited`, x86.hash32 over bytes) and the bucket with BigInt
 * arithmetic. onebox's own src/core/murmur3.ts is deliberately NOT used, so the vectors
 * can catch a bug in it. Strings are encoded with TextEncoder (UTF-8); no Unicode
 * normalization is applied.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';
import reference from 'murmurhash3js-revisited';

const OUT = fileURLToPath(new URL('./buckets.json', import.meta.url));
const BUCKETS = 10000n;
const utf8 = (s) => new TextEncoder().encode(s);
const hash32 = (s, seed) => reference.x86.hash32(utf8(s), seed) >>> 0;
const bucketOfHash = (hash) => Number((BigInt(hash) * BUCKETS) >> 32n);

/**
 * Published MurmurHash3_x86_32 values (SMHasher's reference implementation, as quoted in
 * the widely used test-vector lists and the README of the reference port). The generator
 * refuses to write the file unless the reference port reproduces every one of them.
 */
const PUBLISHED = [
  { input: '', seed: 0, hash: 0x00000000 },
  { input: '', seed: 1, hash: 0x514e28b7 },
  { input: '', seed: 0xffffffff, hash: 0x81f16f39 },
  { input: '\u0000', seed: 0, hash: 0x514e28b7 },
  { input: '\u0000\u0000', seed: 0, hash: 0x30f4c306 },
  { input: '\u0000\u0000\u0000', seed: 0, hash: 0x85f0b427 },
  { input: '\u0000\u0000\u0000\u0000', seed: 0, hash: 0x2362f9de },
  { input: '!', seed: 0, hash: 0x72661cf4 },
  { input: '!C', seed: 0, hash: 0xa0f7b07a },
  { input: '!Ce', seed: 0, hash: 0x7e4a8634 },
  { input: 'a', seed: 0x9747b28c, hash: 0x7fa09ea6 },
  { input: 'ab', seed: 0x9747b28c, hash: 0x74875592 },
  { input: 'abc', seed: 0x9747b28c, hash: 0xc84a62dd },
  { input: 'abcd', seed: 0x9747b28c, hash: 0xf0478627 },
  { input: 'aaaa', seed: 0x9747b28c, hash: 0x5a97808a },
  { input: 'Hello, world!', seed: 0x9747b28c, hash: 0x24884cba },
  { input: 'Hello, world!', seed: 1234, hash: 0xfaf6cdb3 },
  { input: 'The quick brown fox jumps over the lazy dog', seed: 0, hash: 0x2e4ff723 },
  { input: 'The quick brown fox jumps over the lazy dog', seed: 0x9747b28c, hash: 0x2fa826cd },
  { input: 'I will not buy this record, it is scratched.', seed: 0, hash: 2832214938 },
  { input: 'My hovercraft is full of eels.', seed: 25, hash: 2520298415 },
];

const ID22 = ['AAAAAAAAAAAAAAAAAAAAAA', '____________________w_', 'q3Vb0-xJ2mT_kLp9ZrWc4A', 'Zx9-Lm_0pQ7rS2tU4vW6yA'];
const LONG_ASCII = 'a'.repeat(257);
const LONG_MIXED = 'user-Ω-用户-🙂-'.repeat(20); // 220 UTF-16 units, 4 scripts
const LONG_BASE64 = 'q3Vb0-xJ2mT_kLp9ZrWc4A'.repeat(10);

/** [seed, identity, note]; the bucket key is `${seed}:${identity}`. */
const CASES = [
  // ASCII, total byte lengths 1..12 so every length mod 4 appears more than once.
  ['', '', 'empty seed and identity: the key is ":" (1 byte)'],
  ['', 'a', 'empty seed (2 bytes)'],
  ['a', '', 'empty identity (2 bytes)'],
  ['a', 'b', '3 bytes'],
  ['ab', 'c', '4 bytes'],
  ['ab', 'cd', '5 bytes'],
  ['abc', 'de', '6 bytes'],
  ['abc', 'def', '7 bytes'],
  ['api@2', 'u1', '8 bytes'],
  ['api@2', 'u12', '9 bytes'],
  ['api@2', 'u123', '10 bytes'],
  ['api@2', 'u1234', '11 bytes'],
  ['api@2', 'u12345', '12 bytes'],
  // Realistic: default seeds (component@version) with issued 22-char base64url cookie ids.
  ['api@2', ID22[0], 'issued cookie id'],
  ['api@2', ID22[1], 'issued cookie id'],
  ['api@2', ID22[2], 'issued cookie id'],
  ['web@17', ID22[2], 'same id, other seed'],
  ['web@17', ID22[3], 'issued cookie id'],
  ['checkout@123', ID22[3], 'issued cookie id'],
  ['api@2', 'alice@example.com', 'header id (email)'],
  ['api@2', 'user-42', 'header id'],
  ['api@2', '42', 'numeric header id'],
  ['api@3', '42', 'numeric header id, next version seed'],
  ['spring-sale', 'user-42', 'custom seed'],
  ['', 'user-42', 'empty seed'],
  ['api@2', '', 'empty identity'],
  ['a:b', 'c', 'seed containing ":"; same key as the next entry'],
  ['a', 'b:c', 'identity containing ":"; same key as the previous entry'],
  ['api@2', ' ', 'single space identity'],
  ['API@2', 'user-42', 'case matters'],
  // Latin-1 / 2-byte UTF-8.
  ['api@2', 'José', 'Latin-1 (precomposed é, U+00E9)'],
  ['api@2', 'Jose\u0301', 'combining acute accent U+0301: not normalized, differs from the entry above'],
  ['api@2', 'ñ', '2-byte character'],
  ['ñ', 'ñ', '2-byte seed and identity'],
  // Cyrillic (2 bytes each).
  ['api@2', 'Пётр', 'Cyrillic'],
  ['api@2', 'пользователь-7', 'Cyrillic + ASCII'],
  ['релиз', 'Иван', 'Cyrillic seed'],
  // Arabic (2 bytes each), right-to-left.
  ['api@2', 'محمد', 'Arabic'],
  ['api@2', 'مستخدم-١٢٣', 'Arabic with Arabic-Indic digits'],
  ['إصدار', 'user-1', 'Arabic seed'],
  // CJK (3 bytes each).
  ['api@2', '用户', 'CJK (Chinese)'],
  ['api@2', 'ユーザー', 'CJK (Japanese katakana)'],
  ['api@2', '사용자', 'Hangul'],
  ['版本', '用户一', 'CJK seed and identity'],
  ['api@2', '\uffff', 'U+FFFF, the last BMP code point (3 bytes)'],
  ['api@2', '\ufffd', 'U+FFFD replacement character (3 bytes)'],
  // Astral plane (4 bytes each, surrogate pairs in UTF-16).
  ['api@2', '😀', 'emoji U+1F600'],
  ['api@2', '🙂🙂', 'two emoji'],
  ['api@2', '👩‍💻', 'ZWJ sequence (woman technologist)'],
  ['api@2', '🇫🇷', 'flag: two regional indicators'],
  ['🚀', 'user-1', 'emoji seed'],
  ['api@2', '𝔘𝔰𝔢𝔯', 'mathematical fraktur (astral letters)'],
  ['api@2', '\u{10ffff}', 'U+10FFFF, the last code point'],
  ['api@2', '\u{10000}', 'U+10000, the first astral code point'],
  // Combining marks.
  ['api@2', 'a\u0301\u0302\u0303', 'base letter with three combining marks'],
  ['api@2', 'ế', 'precomposed U+1EBF'],
  ['api@2', 'e\u0302\u0301', 'same glyph as above, decomposed'],
  ['api@2', '\u0301', 'a combining mark alone'],
  // Control and other edge characters.
  ['api@2', '\u0000', 'NUL byte'],
  ['api@2', '\t\n', 'tab and newline'],
  ['api@2', '\u007f\u0080', 'DEL and U+0080 (first 2-byte code point)'],
  ['api@2', '\u07ff\u0800', 'U+07FF (last 2-byte) and U+0800 (first 3-byte)'],
  // Long strings (> 200 characters).
  ['api@2', LONG_ASCII, '257 ASCII characters'],
  ['api@2', LONG_BASE64, '220 base64url characters'],
  ['api@2', LONG_MIXED, '220 UTF-16 units mixing ASCII, Greek, CJK and emoji'],
  ['x'.repeat(300), 'user-42', '300-character seed'],
  ['用'.repeat(201), '😀'.repeat(201), 'long CJK seed, long emoji identity'],
];

/** Deterministic ids landing on the extreme buckets, found by search with the reference. */
function findBoundary(seed, want) {
  for (let i = 0; i < 5_000_000; i++) {
    const identity = `edge-${i}`;
    if (bucketOfHash(hash32(`${seed}:${identity}`, 0)) === want) return identity;
  }
  throw new Error(`no identity with bucket ${want} for seed ${seed}`);
}
for (const want of [0, 1, 1999, 2000, 9998, 9999]) {
  CASES.push(['edge', findBoundary('edge', want), `boundary: bucket ${want}`]);
}

for (const p of PUBLISHED) {
  const got = hash32(p.input, p.seed);
  if (got !== p.hash >>> 0) {
    throw new Error(
      `reference port disagrees with published value for ${JSON.stringify(p.input)} seed ${p.seed}: ${got}`,
    );
  }
}

const buckets = CASES.map(([seed, identity, note]) => {
  const hash = hash32(`${seed}:${identity}`, 0);
  return { seed, identity, hash, bucket: bucketOfHash(hash), note };
});

// Coverage the file promises; fail loudly rather than silently thin out.
const residues = new Set(buckets.map((b) => utf8(`${b.seed}:${b.identity}`).length % 4));
if (residues.size !== 4) throw new Error(`byte length mod 4 not all covered: ${[...residues]}`);
if (buckets.length < 60) throw new Error(`only ${buckets.length} bucket vectors`);
if (!buckets.some((b) => b.seed.length > 200) || !buckets.some((b) => b.identity.length > 200)) {
  throw new Error('missing long strings');
}

const doc = {
  description:
    "Test vectors for onebox sticky routing. A user's bucket for a release seed is " +
    'bucket = floor(hash * 10000 / 2^32), where hash = MurmurHash3_x86_32(UTF-8 bytes of seed + ":" + identity, seed 0) ' +
    'as an unsigned 32-bit integer. Buckets run 0..9999; a split with weight w basis points (w/100 percent) ' +
    'sends a user to the additional version when bucket < w. Strings are hashed exactly as given: no Unicode ' +
    'normalization, no trimming, no case folding. The "murmur3" array holds published MurmurHash3_x86_32 ' +
    'values (input as UTF-8, with the given hash seed) to check the hash itself. "note" fields are ' +
    'informational. Generated by spec/generate-buckets.mjs with the reference port murmurhash3js-revisited.',
  murmur3: PUBLISHED.map((p) => ({ input: p.input, seed: p.seed >>> 0, hash: p.hash >>> 0 })),
  buckets,
};

const text = `${JSON.stringify(doc, null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== text) {
    console.error('spec/buckets.json is out of date; run node spec/generate-buckets.mjs');
    process.exit(1);
  }
  console.log(
    `spec/buckets.json is up to date (${buckets.length} bucket vectors, ${PUBLISHED.length} murmur3 vectors)`,
  );
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${buckets.length} bucket vectors, ${PUBLISHED.length} murmur3 vectors`);
}
