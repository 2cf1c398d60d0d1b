import { describe, expect, it } from 'vitest';
import {
  describeShadowIssue,
  SHADOW_POLICY_DEFAULTS,
  unsafeMethods,
  validateShadowPolicy,
} from '../../../src/core/shadow/index.js';
import { shadowPolicyBody } from '../../../src/api/shadow-policy.js';

describe('validateShadowPolicy', () => {
  it('finds nothing wrong with the defaults, nor with a policy at its bounds', () => {
    expect(validateShadowPolicy({ version: 1, ...SHADOW_POLICY_DEFAULTS })).toEqual([]);
    expect(
      validateShadowPolicy({
        version: 1,
        share: 1,
        bodyCapBytes: 0,
        maxInFlight: 10_000,
        timeoutMs: 600_000,
        ignorePaths: ['$.a'],
      }),
    ).toEqual([]);
    expect(
      validateShadowPolicy({ share: 0.0001, maxInFlight: 1, timeoutMs: 1, bodyCapBytes: 64 * 1024 * 1024 }),
    ).toEqual([]);
  });

  it('returns every problem, each naming its field and quoting its value', () => {
    const issues = validateShadowPolicy({
      version: 1.5,
      share: 0,
      methods: ['get', 'POST'],
      dropHeaders: ['authorization', ''],
      bodyCapBytes: -1,
      maxInFlight: 0,
      timeoutMs: 600_001,
      ignorePaths: ['$.ok', 'meta.at'],
    });
    expect(issues.map(describeShadowIssue)).toEqual([
      'version must be a positive whole number, got 1.5',
      'share must be above 0 and at most 1, got 0',
      'methods must be uppercase method names, got ["get","POST"]',
      'dropHeaders must be header names, got ["authorization",""]',
      'bodyCapBytes must be a whole number from 0 to 67108864, got -1',
      'maxInFlight must be a whole number from 1 to 10000, got 0',
      'timeoutMs must be a whole number of milliseconds from 1 to 600000, got 600001',
      'ignorePaths must be JSON paths starting with "$", got ["meta.at"]',
    ]);
    expect(issues.map((i) => i.field)).toEqual([
      'version',
      'share',
      'methods',
      'dropHeaders',
      'bodyCapBytes',
      'maxInFlight',
      'timeoutMs',
      'ignorePaths',
    ]);
  });

  it('checks only the fields given, against the limits given', () => {
    expect(validateShadowPolicy({})).toEqual([]);
    expect(validateShadowPolicy({ methods: [] }).map(describeShadowIssue)).toEqual([
      'methods must name at least one method, got []',
    ]);
    expect(validateShadowPolicy({ bodyCapBytes: 2048 }, { maxBodyCapBytes: 1024 }).map(describeShadowIssue)).toEqual([
      'bodyCapBytes must be a whole number from 0 to 1024, got 2048',
    ]);
    expect(validateShadowPolicy({ share: Number.NaN }).map(describeShadowIssue)).toEqual([
      'share must be above 0 and at most 1, got NaN',
    ]);
  });

  it('names the methods with side effects', () => {
    expect(unsafeMethods({ methods: ['GET', 'POST', 'HEAD', 'DELETE'] })).toEqual(['POST', 'DELETE']);
  });
});

describe('shadowPolicyBody (the admin API body)', () => {
  const problems = (body: unknown): string[] => {
    const r = shadowPolicyBody.safeParse(body);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('applies the defaults and lowercases header names', () => {
    expect(shadowPolicyBody.parse({ version: 3, dropHeaders: ['X-Secret'] })).toEqual({
      ...SHADOW_POLICY_DEFAULTS,
      version: 3,
      dropHeaders: ['x-secret'],
    });
  });

  it("holds the values to core's rules, and reports every problem at once, a wrong type too", () => {
    expect(problems({ version: 2, share: 2, methods: ['get'], timeoutMs: 0 })).toEqual([
      'share: must be above 0 and at most 1, got 2',
      'methods: must be uppercase method names, got ["get"]',
      'timeoutMs: must be a whole number of milliseconds from 1 to 600000, got 0',
    ]);
    const mixed = problems({ version: 'two', bodyCapBytes: 1e9 });
    expect(mixed).toHaveLength(2);
    expect(mixed[0]).toMatch(/^version: /);
    expect(mixed[1]).toBe('bodyCapBytes: must be a whole number from 0 to 67108864, got 1000000000');
  });
});
