import { describe, expect, it } from 'vitest';
import {
  compareResponses,
  compareVolatile,
  volatileForm,
  type AnswerWindow,
  type CapturedResponse,
} from '../../../src/core/shadow/index.js';

const T = Date.UTC(2026, 11, 2, 1, 2, 3, 456);
const at = (ms: number): AnswerWindow => ({ sentAtMs: ms, receivedAtMs: ms + 3 });

describe('volatileForm', () => {
  it.each([
    ['2026-12-02T01:02:03.456Z', 'iso-time/3/Z', T, 1],
    ['2026-12-02T01:02:03Z', 'iso-time/0/Z', T - 456, 1000],
    ['2026-12-02T01:02:03.456789Z', 'iso-time/6/Z', T + 0.789, 0.001],
    ['2026-12-02T02:02:03.456+01:00', 'iso-time/3/+hh:mm', T, 1],
    ['Wed, 02 Dec 2026 01:02:03 GMT', 'http-date', T - 456, 1000],
    [T, 'epoch-ms', T, 1],
    [Math.floor(T / 1000), 'epoch-s', T - 456, 1000],
    [T * 1000, 'epoch-us', T, 0.001],
  ])('%s is %s', (value, form, timeMs, precisionMs) => {
    const f = volatileForm(value)!;
    expect(f.form).toBe(form);
    expect(f.timeMs).toBeCloseTo(timeMs, 3);
    expect(f.precisionMs).toBeCloseTo(precisionMs, 6);
  });

  it('knows UUIDs by version, and ordinary values as none', () => {
    expect(volatileForm('9f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c')?.form).toBe('uuid-v4');
    expect(volatileForm('018f0c2a-3b1d-7e4f-8b9c-0d1e2f3a4b5c')?.form).toBe('uuid-v7');
    for (const v of [42, 10.5, 'hello', '2026-12-02', null, true, 'not-a-uuid-at-all-but-long-enough']) {
      expect(volatileForm(v)).toBeUndefined();
    }
  });
});

describe('compareVolatile', () => {
  it('takes two timestamps of "now" made during their answers as the same moment, at every precision', () => {
    const live = at(T);
    const copy = at(T + 7);
    expect(compareVolatile('2026-12-02T01:02:03.457Z', '2026-12-02T01:02:03.465Z', { a: live, b: copy })).toBe(
      'same-moment',
    );
    // Whole seconds: a copy made 7 ms later may already be in the next second.
    const lateInSecond = at(T + 540);
    expect(compareVolatile('2026-12-02T01:02:03Z', '2026-12-02T01:02:04Z', { a: at(T + 500), b: lateInSecond })).toBe(
      'same-moment',
    );
    expect(compareVolatile(T + 1, T + 8, { a: live, b: copy })).toBe('same-moment');
  });

  it('keeps a shifted time, a stale one, or a time with no timing known as a value difference', () => {
    const w = { a: at(T), b: at(T + 7) };
    expect(compareVolatile('2026-12-02T01:02:03.457Z', '2026-12-02T02:02:03.465Z', w)).toBe('same-form');
    expect(compareVolatile('2026-12-02T01:02:03.457Z', '2026-12-02T01:01:03.465Z', w)).toBe('same-form');
    expect(compareVolatile('2026-12-02T01:02:03.457Z', '2026-12-02T01:02:03.465Z', {})).toBe('same-form');
  });

  it('calls a change of form a change of format, whatever the values', () => {
    const w = { a: at(T), b: at(T + 7) };
    expect(compareVolatile('2026-12-02T01:02:03.457Z', '2026-12-02T01:02:03Z', w)).toBe('changed-format');
    expect(compareVolatile(T, Math.floor(T / 1000), w)).toBe('changed-format');
    expect(compareVolatile('9f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c', '', w)).toBe('changed-format');
    expect(compareVolatile('9f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c', '018f0c2a-3b1d-7e4f-8b9c-0d1e2f3a4b5c', w)).toBe(
      'changed-format',
    );
    expect(compareVolatile(1, 2, w)).toBe('plain');
  });
});

describe('compareResponses with volatile values', () => {
  const answer = (body: object, window: AnswerWindow, headers: Record<string, string> = {}): CapturedResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    latencyUs: 1000,
    window,
  });
  const fields = (a: CapturedResponse, b: CapturedResponse): string[] =>
    compareResponses(a, b, { ignorePaths: [] }, new Set()).map((d) => d.field);

  it('drops timestamps of the moment, keeps ids as values, and counts changes of type or form apart', () => {
    const live = answer({ at: '2026-12-02T01:02:03.457Z', id: '9f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c', n: 1 }, at(T), {
      'x-generated-at': 'Wed, 02 Dec 2026 01:02:03 GMT',
      'x-onebox-anything': 'a',
    });
    const same = answer(
      { at: '2026-12-02T01:02:03.465Z', id: '1f0c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c', n: 2 },
      at(T + 7),
      { 'x-generated-at': 'Wed, 02 Dec 2026 01:02:03 GMT', 'x-onebox-anything': 'b' },
    );
    expect(fields(live, same)).toEqual(['$.id', '$.n']);
    const changed = answer({ at: 1765000000000, id: 'none', n: '2' }, at(T + 7), {
      'x-generated-at': '2026-12-02T01:02:03Z',
    });
    // x-onebox-* is the gateway's own and never compared, even when it went missing.
    expect(fields(live, changed)).toEqual([
      'header x-generated-at (format)',
      '$.at (type)',
      '$.id (format)',
      '$.n (type)',
    ]);
  });
});
