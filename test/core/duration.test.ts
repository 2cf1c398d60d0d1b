import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['250ms', 250],
    ['0ms', 0],
    ['90s', 90_000],
    ['0.5s', 500],
    ['5m', 300_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['2h45m10s500ms', 9_910_500],
    ['30s1m', 90_000],
    ['  10m  ', 600_000],
    ['0.0004s', 0],
    ['1.0005s', 1001],
    // A bare number is seconds.
    ['10', 10_000],
    ['1.5', 1500],
    ['0', 0],
    [' 7 ', 7000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '   ',
    'abc',
    '5x',
    '5M',
    '5 m',
    '1h 30m',
    '-5s',
    '-5',
    '+5s',
    '.5s',
    '5.s',
    '1d',
    '1e3',
    'm',
    '5m!',
    '1h30',
    '10%',
    'NaN',
    'Infinity',
  ])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [1, '1ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1499, '1.5s'],
    [59_000, '59s'],
    [59_999, '1m'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_599_000, '59m59s'],
    [3_600_000, '1h'],
    [3_605_000, '1h5s'],
    [3_661_000, '1h1m1s'],
    [5_400_000, '1h30m'],
    [86_400_000, '24h'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration for whole seconds and sub-second values', () => {
    const samples = [
      0, 1, 250, 999, 1000, 45_000, 60_000, 61_000, 600_000, 3_599_000, 3_600_000, 3_661_000, 5_400_000, 36_000_000,
    ];
    for (const ms of samples) expect(parseDuration(formatDuration(ms)), String(ms)).toBe(ms);
    for (let s = 0; s < 10_000; s += 37) expect(parseDuration(formatDuration(s * 1000)), `${s}s`).toBe(s * 1000);
  });
});
