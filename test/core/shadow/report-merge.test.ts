import { describe, expect, it } from 'vitest';
import { ShadowReport, type CapturedResponse } from '../../../src/core/shadow/index.js';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';
import { prng } from '../../helpers/random.js';

const policy = shadowPolicyBody.parse({ version: 2 });
const newReport = (): ShadowReport => new ShadowReport('api', policy);

const answer = (body: object, latencyUs: number, status = 200): CapturedResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  latencyUs,
});

describe('shadow reports from gateway workers, added up in the primary', () => {
  it('equal one report that saw every comparison', () => {
    const rand = prng(3);
    const direct = newReport();
    const merged = newReport();
    const workers = [newReport(), newReport()];
    for (let i = 0; i < 400; i++) {
      const endpoint = `GET /items/${i % 3}`;
      const live = answer({ id: i % 3, price: 10, at: i }, 1000 + rand() * 5000);
      const shadow = answer(
        { id: i % 3, price: i % 4 === 0 ? 11 : 10, at: i + 1 },
        1000 + rand() * 9000,
        i % 50 ? 200 : 500,
      );
      const noise = answer({ id: i % 3, price: 10, at: i + 2 }, 1000);
      const worker = workers[i % 2]!;
      for (const r of [direct, worker]) {
        r.data.counters.mirrored++;
        r.add(endpoint, live, shadow, i % 2 ? noise : undefined);
      }
      if (i % 97 === 0) for (const w of workers) merged.absorb(w.drain());
    }
    for (const w of workers) merged.absorb(w.drain());
    // Which three examples of a difference are kept depends on arrival order; the rest is exact.
    const samples: string[] = [];
    const withoutSamples = (r: ShadowReport, into?: string[]) =>
      JSON.parse(
        JSON.stringify(r.data, (key, value: unknown) => {
          if (key !== 'samples') return value;
          into?.push(...(value as object[]).map((s) => JSON.stringify(s)));
          return (value as object[]).length;
        }),
      ) as unknown;
    expect(withoutSamples(merged, samples)).toEqual(withoutSamples(direct));
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s).toMatch(/"path":"\$\.(at|price|id)"|"path":"status"/);
    expect(direct.summary().endpoints[0]!.fields.map((f) => f.path)).toContain('$.price');
  });

  it('a drained report starts from zero', () => {
    const r = newReport();
    r.data.counters.mirrored++;
    r.add('GET /', answer({ a: 1 }, 10), answer({ a: 2 }, 10), undefined);
    const drained = r.drain();
    expect(drained.counters).toMatchObject({ mirrored: 1, compared: 1 });
    expect(Object.keys(drained.endpoints)).toEqual(['GET /']);
    expect(r.data.counters.compared).toBe(0);
    expect(r.data.endpoints).toEqual({});
  });
});
